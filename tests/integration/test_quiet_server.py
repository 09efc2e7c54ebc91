"""The HTTP server of `serve` (shared/web/server.py) sleeps while nobody is connected: after a
quiet while its Date header is still the current second, and SIGTERM still stops it at once,
after the request in progress has had its answer."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import threading
import time
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx

from tests.support.servers import free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]


def app() -> Any:
    """The ASGI app the server runs (a factory, as `serve` passes the services')."""

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["path"] == "/slow":
            await asyncio.sleep(1.5)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    return asgi


def _start(port: int) -> subprocess.Popen[bytes]:
    code = (
        "from shared.web.server import run; "
        f"run('tests.integration.test_quiet_server:app', port={port}, log_level='warning')"
    )
    process = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
    wait_until(lambda: _answers(port), timeout=60, what="the server to start")
    return process


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_after_a_quiet_while_the_date_header_is_the_current_second():
    port = free_port()
    process = _start(port)
    try:
        time.sleep(2.5)  # no connection open: the server's loop sleeps
        before = time.time()
        date = httpx.get(f"http://127.0.0.1:{port}/").headers["date"]
        after = time.time()
        stamp = parsedate_to_datetime(date).timestamp()
        assert int(before) <= stamp <= after
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_sigterm_stops_an_idle_server_after_answering_the_request_in_progress():
    port = free_port()
    process = _start(port)
    time.sleep(1.5)  # idle
    answers: list[int] = []
    slow = threading.Thread(
        target=lambda: answers.append(httpx.get(f"http://127.0.0.1:{port}/slow").status_code)
    )
    slow.start()
    time.sleep(0.5)  # the request is in progress
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    wait_until(lambda: not _answers(port), timeout=2, what="the server to stop accepting")
    process.wait(timeout=10)
    slow.join(timeout=5)
    assert answers == [200]
    assert time.monotonic() - started < 3.0
