"""`rencontres up`: every process of the platform on this machine, with prefixed logs.

Makes sure Redis answers (starting a `redis-server` under var/ when none does), catches the
emails when nothing listens at a local SMTP address (an aiosmtpd server in this process,
keeping each message under var/mails), applies the migrations, starts the services and the
Celery worker with its beat, prints the URLs, restarts a process that dies
(rencontres/supervisor.py) and stops them all on Ctrl-C.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, cast
from urllib.parse import urlparse

import click
import redis

if TYPE_CHECKING:
    from aiosmtpd.controller import Controller

from rencontres.supervisor import Supervisor
from services.notifier.settings import NotifierSettings
from services.registration.settings import RegistrationSettings
from services.scheduler.settings import SchedulerSettings
from services.surveys.settings import SurveysSettings
from shared.settings import BaseServiceSettings


def processes() -> list[tuple[str, str, str]]:
    """Each process of the platform: its name, its `rencontres` command, the page to open."""
    notifier = NotifierSettings()
    registration = RegistrationSettings()
    host = notifier.http_host
    return [
        (
            "registration",
            "registration serve",
            f"http://{host}:{registration.port}/admin",
        ),
        (
            "scheduler",
            "scheduler serve",
            f"http://{host}:{SchedulerSettings().port}/admin/planning",
        ),
        ("notifier", "notifier serve", f"http://{host}:{notifier.port}/admin/emails"),
        ("surveys", "surveys serve", f"http://{host}:{SurveysSettings().port}/admin"),
        # One process sends and schedules (the beat as a thread): compose runs them apart.
        (
            "worker",
            "notifier worker --beat",
            f"http://{host}:{notifier.worker_metrics_port}/healthz",
        ),
    ]


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
        start_new_session=True,  # stopped by `up` after the services, not by the terminal's Ctrl-C
    )
    for _ in range(50):
        if _answers(url):
            click.echo(f"redis-server démarré dans {directory} (port {parsed.port or 6379})")
            return process
        time.sleep(0.1)
    process.terminate()
    raise click.ClickException("redis-server n'a pas démarré / redis-server did not start")


def _listens(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def ensure_mail_catcher(settings: NotifierSettings, var: Path) -> Controller | None:
    """Keep the emails under var/mails when they would otherwise be lost: a local SMTP
    address without TLS nor login (the defaults, or a port of one's own) where nothing
    listens. An SMTP server that answers there (Mailpit, a relay) is used as it is."""
    local = settings.smtp_host in ("127.0.0.1", "localhost")
    plain = not (settings.smtp_ssl or settings.smtp_starttls or settings.smtp_user)
    if settings.environment == "production" or not local or not plain:
        return None
    if _listens(settings.smtp_host, settings.smtp_port):
        return None
    address = f"{settings.smtp_host}:{settings.smtp_port}"
    try:
        from services.notifier.adapters import caught

        directory = caught.folder(var)
        controller = caught.start_catcher(settings.smtp_host, settings.smtp_port, directory)
    except ImportError:
        click.echo(
            f"Rien n'écoute sur {address} et aiosmtpd manque (make install) : "
            "les emails ne seront pas gardés"
        )
        return None
    except (OSError, TimeoutError) as error:
        click.echo(f"Serveur SMTP local impossible sur {address} ({type(error).__name__})")
        return None
    click.echo(
        f"Serveur SMTP local démarré sur {address} : chaque email envoyé est gardé dans "
        f"{directory} (« Voir le message » dans le journal des emails)"
    )
    return controller


@click.command(
    help="Lance toute la plateforme sur cette machine, relance un processus qui s'arrête "
    "(Ctrl-C pour tout arrêter)."
)
def up() -> None:
    settings = BaseServiceSettings()
    var = Path(settings.var_dir)
    var.mkdir(exist_ok=True)
    redis_process = ensure_redis(settings.redis_url, var)
    catcher = None
    try:
        catcher = ensure_mail_catcher(NotifierSettings(), var)
        subprocess.run([sys.executable, "-m", "rencontres.cli", "migrate"], check=True)
        supervisor = Supervisor({**os.environ, "PYTHONUNBUFFERED": "1"}, sys.stdout)
        listed = processes()
        for name, command, _url in listed:
            supervisor.add(name, [sys.executable, "-m", "rencontres.cli", *command.split()])
        if redis_process is not None:
            argv = cast(list[str], redis_process.args)  # the list ensure_redis gave
            supervisor.add("redis", argv, running=redis_process, stop_last=True)
        click.echo("Rencontres démarre (Ctrl-C pour tout arrêter) :")
        for name, _command, url in listed:
            click.echo(f"  {name:<13} {url}")
        click.echo(
            "Chaque processus répond aussi sur /healthz et /metrics. Premier compte du "
            "back-office : .venv/bin/rencontres registration admin create --email vous@exemple.fr"
        )
        code = supervisor.run()
    finally:
        if catcher is not None:
            catcher.stop()
        if redis_process is not None:  # when `up` failed before its supervisor took Redis
            redis_process.terminate()
            redis_process.wait()
    raise SystemExit(code)
