"""`rencontres up`: every process of the platform on this machine, with prefixed logs.

Makes sure Redis answers (starting a `redis-server` under var/ when none does), applies the
migrations, starts the services, the Celery worker and beat, prints the URLs, and stops them all
on Ctrl-C.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import click
import redis
from honcho.manager import Manager

from shared.settings import BaseServiceSettings

# name, command, URL printed for the operator (None: no page of its own)
PROCESSES: tuple[tuple[str, str, str | None], ...] = (
    ("registration", "registration serve", "http://127.0.0.1:8001/healthz"),
    ("scheduler", "scheduler serve", "http://127.0.0.1:8002/healthz"),
    ("notifier", "notifier serve", "http://127.0.0.1:8003/healthz"),
    ("surveys", "surveys serve", "http://127.0.0.1:8004/healthz"),
    ("worker", "notifier worker", "http://127.0.0.1:9101/healthz"),
    ("beat", "notifier beat", "http://127.0.0.1:9102/healthz"),
)

NO_REDIS = (
    "Redis ne répond pas et redis-server est introuvable : installez-le (apt install "
    "redis-server) ou indiquez REDIS_URL. / Redis does not answer and redis-server is not "
    "installed: install it (apt install redis-server) or set REDIS_URL."
)


def _answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def ensure_redis(url: str, var: Path) -> subprocess.Popen[bytes] | None:
    """Use the Redis at `url`, or start one under var/ if it is local and none answers."""
    if _answers(url):
        return None
    parsed = urlparse(url)
    binary = shutil.which("redis-server")
    if binary is None or parsed.hostname not in ("127.0.0.1", "localhost"):
        raise click.ClickException(NO_REDIS)
    directory = var / "redis"
    directory.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(parsed.port or 6379),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(directory),
            "--appendonly",
            "yes",
            "--maxmemory-policy",
            "noeviction",
            "--logfile",
            "redis.log",
        ],
    )
    for _ in range(50):
        if _answers(url):
            click.echo(f"redis-server démarré dans {directory} (port {parsed.port or 6379})")
            return process
        time.sleep(0.1)
    process.terminate()
    raise click.ClickException("redis-server n'a pas démarré / redis-server did not start")


@click.command(help="Lance toute la plateforme sur cette machine (Ctrl-C pour tout arrêter).")
def up() -> None:
    settings = BaseServiceSettings()
    var = Path("var")
    var.mkdir(exist_ok=True)
    redis_process = ensure_redis(settings.redis_url, var)
    try:
        subprocess.run([sys.executable, "-m", "rencontres.cli", "migrate"], check=True)
        manager = Manager()
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        for name, command, _url in PROCESSES:
            manager.add_process(name, f"{sys.executable} -m rencontres.cli {command}", env=env)
        click.echo("Rencontres démarre :")
        for name, _command, url in PROCESSES:
            click.echo(f"  {name:<13} {url}")
        manager.loop()
        code = manager.returncode or 0
    finally:
        if redis_process is not None:
            redis_process.terminate()
            redis_process.wait()
    raise SystemExit(code)
