"""The HTTP server of `serve`: uvicorn's, with a main loop that sleeps while nobody is connected.

uvicorn's `Server.main_loop` wakes ten times a second, to refresh the `Date` header once a
second and to notice a stop request; on an idle platform those wake-ups were a good part of what
each service cost. Here the loop refreshes the header once a second only while connections are
open, and otherwise waits for the next connection (whose arrival refreshes the header before
its first request is read) or for SIGINT/SIGTERM (which wake it at once, so the graceful
shutdown starts as soon as before).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import Callable
from email.utils import formatdate
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE

# While connections are open, the header is at most this old (uvicorn: the same second).
DATE_REFRESH_S = 1.0


class _Connections(set[Any]):
    """The server's open connections; a new one calls `opened` (in the event loop's thread)."""

    def __init__(self, opened: Callable[[], None]) -> None:
        super().__init__()
        self._opened = opened

    def add(self, connection: Any) -> None:
        super().add(connection)
        self._opened()


class QuietServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.server_state.connections = _Connections(self._connection_opened)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._date_at = 0.0

    def _refresh_date(self) -> None:
        now = time.time()
        self._date_at = now
        date = [(b"date", formatdate(now, usegmt=True).encode())] if self.config.date_header else []
        self.server_state.default_headers = date + self.config.encoded_headers

    def _connection_opened(self) -> None:
        if time.time() - self._date_at >= DATE_REFRESH_S:
            self._refresh_date()
        if self._wake is not None:
            self._wake.set()  # the loop goes back to ticking while connections are open

    async def on_tick(self, counter: int) -> bool:
        # Counter 0: uvicorn's once-a-second work (the header above all) at every tick.
        self._date_at = time.time()
        return await super().on_tick(0)

    async def main_loop(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        try:
            while not await self.on_tick(0):
                busy = self.server_state.connections or self.server_state.tasks
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), DATE_REFRESH_S if busy else None)
                self._wake.clear()
        finally:
            self._loop = self._wake = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed already
                loop.call_soon_threadsafe(wake.set)


def run(app: str, *, workers: int = 1, **options: Any) -> None:
    """`uvicorn.run(app, factory=True, ...)` with the quiet main loop; several workers are run
    by uvicorn's own supervisor (each worker with uvicorn's loop)."""
    if workers > 1:
        uvicorn.run(app, factory=True, workers=workers, **options)
        return
    server = QuietServer(uvicorn.Config(app, factory=True, **options))
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C, raised again once stopped
        server.run()
    if not server.started:
        sys.exit(STARTUP_FAILURE)
