"""Background loops of the bus (relay, reclaimer, checkpoints): how they learn that they must
stop, and that there is work for them."""

from __future__ import annotations

import asyncio
import contextlib


def stop_requested() -> bool:
    """True once the running task was asked to stop, even if a library it called swallowed the
    CancelledError (redis-py may, when a command is interrupted)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


class Doorbell:
    """Wakes a loop of this process as soon as there is work, from whatever thread made it.

    The loop calls `wait(timeout)` between rounds; `ring()` (after a commit, in the thread
    that committed) ends that wait, so an idle loop sleeps until it is needed instead of
    polling. A ring while no loop waits on the bell (a process whose loop never started: the
    command line, a Celery worker) does nothing. A ring is never lost: one that comes while
    the loop works makes its next wait return at once.
    """

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None
        self._rung = False  # a wake-up is on its way: later rings need not send another

    def bind(self) -> None:
        """Attach to the running event loop (the loop's task calls it when it starts)."""
        self._loop = asyncio.get_running_loop()
        self._event = asyncio.Event()
        self._rung = False

    def unbind(self) -> None:
        self._loop = self._event = None

    def ring(self) -> None:
        loop, event = self._loop, self._event
        if loop is None or event is None or self._rung:
            return
        self._rung = True
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits any more
            loop.call_soon_threadsafe(event.set)

    async def wait(self, timeout_s: float | None) -> bool:
        """Until rung (True) or `timeout_s` has passed (False)."""
        if self._event is None:
            self.bind()
        assert self._event is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout_s)
        rung = self._event.is_set()
        # Cleared before the round that follows: what commits after this point rings again.
        self._event.clear()
        self._rung = False
        return rung
