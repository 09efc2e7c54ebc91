"""`rencontres registration serve --workers 2` on SQLite: registrations sent to both workers at
once are all stored, each event reaches its stream once (two relays), and /metrics, whichever
worker answers, counts the requests of both."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import redis

from shared.edition import default_edition
from shared.events import ParticipantRegistered
from tests.conftest import REDIS_URL
from tests.integration.registration.conftest import holder_form
from tests.support.servers import free_port, wait_until

ROOT = Path(__file__).resolve().parents[3]
COUNT = 30


def _healthy(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


async def _register_all(base: str, form: str) -> list[int]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        tokens = []
        for _ in range(COUNT):
            page = await client.get(form)
            tokens.append(re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1))

        async def one(i: int) -> int:
            # A connection each: the kernel spreads them over both workers.
            async with httpx.AsyncClient(base_url=base, timeout=30) as own:
                own.cookies = client.cookies
                data = holder_form(email=f"porteur{i}@asso-exemple.fr", csrf_token=tokens[i])
                return (await own.post(form, data=data)).status_code

        return await asyncio.gather(*(one(i) for i in range(COUNT)))


def _requests_counted(metrics: str, route: str) -> float:
    total = 0.0
    for line in metrics.splitlines():
        if (
            line.startswith("rencontres_http_requests_total{")
            and f'route="{route}"' in line
            and 'method="POST"' in line
        ):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_two_workers_store_every_registration_and_publish_each_event_once(tmp_path: Path):
    port = free_port()
    prefix = f"e2e-{uuid.uuid4().hex[:6]}:"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "REDIS_URL": REDIS_URL,
        "BUS_PREFIX": prefix,
        "VAR_DIR": str(tmp_path / "var"),
        "REGISTRATION_DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'registration.db'}",
        "REGISTRATION_PORT": str(port),
        "REGISTRATION_FORM_MIN_FILL_SECONDS": "0",
    }
    cli = [sys.executable, "-m", "rencontres.cli", "registration"]
    subprocess.run([*cli, "migrate"], env=env, cwd=tmp_path, check=True, capture_output=True)
    log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [*cli, "serve", "--workers", "2"],
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    client = redis.Redis.from_url(REDIS_URL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _healthy(f"{base}/healthz"), timeout=60, interval=0.3, what="serve")
        edition = default_edition().edition_id
        codes = asyncio.run(_register_all(base, f"/inscription/{edition}/porteur"))
        assert codes == [200] * COUNT

        stream = ParticipantRegistered.stream(prefix)

        def registered_on_stream() -> list[bytes]:
            return [fields[b"event_type"] for _id, fields in client.xrange(stream)]

        wait_until(lambda: len(registered_on_stream()) >= COUNT, timeout=60, what="relays")
        assert len(registered_on_stream()) == COUNT

        route = "/inscription/{edition_id}/{role_slug}"
        for _ in range(4):  # whichever worker answers, the count is both workers'
            metrics = httpx.get(f"{base}/metrics", timeout=5).text
            assert _requests_counted(metrics, route) == COUNT
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()
    # The workers' writers queued on the lock file; their metrics files are removed with them.
    assert (tmp_path / "var" / "registration.db.lock").exists()
    assert not list((tmp_path / "var" / "metrics").glob("registration-http-*"))
