"""Background loops of the bus (relay, reclaimer) and how they learn that they must stop."""

from __future__ import annotations

import asyncio


def stop_requested() -> bool:
    """True once the running task was asked to stop, even if a library it called swallowed the
    CancelledError (redis-py may, when a command is interrupted)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
