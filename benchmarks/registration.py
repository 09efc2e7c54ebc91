"""Registration benchmark: a valid holder registration through the public form (CSRF token,
validation, database commit and outbox row) at a fixed offered rate, against the same server
answering /healthz at the same rate.

Run with `uv run python -m benchmarks.registration [--rate 100] [--seconds 10]`. The server is
`rencontres registration serve` in a subprocess on a free port, with its own SQLite database
under a temporary folder and a key prefix of its own on the Redis at REDIS_URL (127.0.0.1:6379
by default; its keys are removed at the end). The load is open-loop (`benchmarks.load`):
request i leaves at i / rate seconds whether or not the previous ones have answered, so a slow
server shows as latency, not as a lower offered rate. The CSRF tokens (one per registration,
each fetched with a GET of the form) are taken and the requests prepared before the timed
phase.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import redis
import sqlalchemy

from benchmarks.load import RawClient, form_tokens, offered, quantile
from shared.db import normalise_url
from shared.edition import default_edition
from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
EDITION = default_edition().edition_id


def holder(i: int, token: str) -> dict[str, str]:
    return {
        "csrf_token": token,
        "site_web": "",
        "prenom": "Camille",
        "nom": f"Essai{i}",
        "email": f"porteur{i}-{uuid.uuid4().hex[:6]}@asso-exemple.fr",
        "structure": f"Projet solidaire {i}",
        "forme": "association",
        "stade": "creation",
        "commune": "Dijon",
        "besoin_1": "mecenat",
        "disponibilite": "journee",
        "consentement_partage": "oui",
    }


def start_server(
    scratch: Path, prefix: str, workers: int = 1, database_url: str | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "REDIS_URL": REDIS_URL,
        "BUS_PREFIX": prefix,
        "VAR_DIR": str(scratch),
        "REGISTRATION_DATABASE_URL": database_url or f"sqlite:///{scratch / 'registration.db'}",
        "REGISTRATION_PORT": str(port),
        "REGISTRATION_FORM_MIN_FILL_SECONDS": "0",
        "REGISTRATION_RATE_PER_IP": "1000000",
        "REGISTRATION_RATE_PER_EMAIL": "1000000",
        "LOG_LEVEL": "WARNING",
        "HTTP_WORKERS": str(workers),
    }
    cli = [sys.executable, "-m", "rencontres.cli", "registration"]
    subprocess.run([*cli, "migrate"], env=env, cwd=scratch, check=True, capture_output=True)
    log = open(scratch / "server.log", "wb")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [*cli, "serve"], env=env, cwd=scratch, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError((scratch / "server.log").read_text())
        time.sleep(0.1)


async def measure(base: str, rate: float, seconds: float) -> list[tuple[str, dict[str, float]]]:
    form = f"/inscription/{EDITION}/porteur"
    cookie, tokens = await form_tokens(base, form, int(rate * seconds))
    raw = RawClient.for_base(base)
    healthz = raw.get("/healthz")
    posts = [raw.post_form(form, holder(i, t), {"Cookie": cookie}) for i, t in enumerate(tokens)]

    async def check(_i: int) -> bool:
        return (await raw.send(healthz)).status == 200

    async def register(i: int) -> bool:
        answer = await raw.send(posts[i])
        return answer.status == 200 and b"Merci" in answer.body

    rows = []
    try:
        for name, request in (("GET /healthz", check), (f"POST {form}", register)):
            latencies, failures, wall = await offered(rate, seconds, request)
            values = list(latencies.values())
            rows.append(
                (
                    name,
                    {
                        "done": len(values),
                        "failures": failures,
                        "rate": len(values) / wall,
                        "p50": quantile(values, 0.50) * 1000,
                        "p99": quantile(values, 0.99) * 1000,
                    },
                )
            )
    finally:
        await raw.close()
    return rows


@contextlib.contextmanager
def database(kind: str, scratch: Path) -> Iterator[str]:
    """A database of its own: a SQLite file, or a PostgreSQL database dropped at the end."""
    if kind == "sqlite":
        yield f"sqlite:///{scratch / 'registration.db'}"
        return
    name = f"bench_{uuid.uuid4().hex[:8]}"
    admin = sqlalchemy.create_engine(normalise_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    try:
        url = sqlalchemy.engine.make_url(POSTGRES_URL).set(database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(kind: str, workers: int, rate: float, seconds: float) -> list[tuple[str, dict[str, float]]]:
    prefix = f"bench-{uuid.uuid4().hex[:8]}:"
    with tempfile.TemporaryDirectory() as scratch, database(kind, Path(scratch)) as url:
        process, base = start_server(Path(scratch), prefix, workers, url)
        try:
            return asyncio.run(measure(base, rate, seconds))
        finally:
            process.terminate()
            process.wait(timeout=30)
            client = redis.Redis.from_url(REDIS_URL)
            keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
            if keys:
                client.delete(*keys)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=100.0, help="requests offered per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--databases",
        nargs="+",
        choices=["sqlite", "postgresql"],
        default=["sqlite"],
        help="postgresql: a database created on TEST_POSTGRES_URL's server, dropped after",
    )
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1], help="HTTP worker processes (HTTP_WORKERS)"
    )
    args = parser.parse_args()
    results = [
        (kind, workers, run(kind, workers, args.rate, args.seconds))
        for kind in args.databases
        for workers in args.workers
    ]
    print(f"{args.rate:.0f} requests/s offered for {args.seconds:.0f} s, {os.cpu_count()} cores")
    print()
    header = (
        f"{'database':<10} | {'workers':>7} | {'request':<32} | {'ok':>5} | {'failed':>6} | "
        f"{'done/s':>6} | {'p50 ms':>7} | {'p99 ms':>7} | {'p99 / healthz':>13}"
    )
    print(header)
    print("-" * len(header))
    for kind, workers, rows in results:
        reference = rows[0][1]["p99"]
        for name, r in rows:
            print(
                f"{kind:<10} | {workers:>7} | {name:<32} | {r['done']:>5.0f} | "
                f"{r['failures']:>6.0f} | "
                f"{r['rate']:>6.1f} | {r['p50']:>7.1f} | {r['p99']:>7.1f} | "
                f"{r['p99'] / reference:>13.1f}"
            )


if __name__ == "__main__":
    main()
