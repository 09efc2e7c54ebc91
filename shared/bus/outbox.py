"""Transactional outbox: events are rows written in the caller's transaction, then relayed.

No event without its commit (a rolled-back transaction leaves no row) and no commit without its
event (the relay publishes every committed row, whenever it runs). Publishing is at least once:
a relay stopped between XADD and its own commit publishes the row again, and consumers
deduplicate on `event_id`.

The relay sleeps while there is nothing to publish: a commit of this process that added outbox
rows wakes it at once (a `Doorbell` rung after the commit); rows committed by other processes
(the command line, the Celery worker) are found by a slower look every `RELAY_INTERVAL_S`.
"""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from collections.abc import Callable, Iterable

import redis
from sqlalchemy import Engine, Table, delete, event, func, select, text, update
from sqlalchemy.orm import Session

from shared.bus.broker import entry_fields
from shared.bus.loops import Doorbell, stop_requested
from shared.bus.trim import trim_stream
from shared.db import is_postgresql
from shared.events import Event, utc_now
from shared.metrics import BUS_PUBLISHED, OUTBOX_BACKLOG

log = logging.getLogger(__name__)

# What a session that added outbox rows calls once it has committed (the relays to wake).
_AFTER_COMMIT = "outbox_after_commit"


@event.listens_for(Session, "after_commit")
def _wake_relays(session: Session) -> None:
    for wake in session.info.pop(_AFTER_COMMIT, ()):
        wake()


@event.listens_for(Session, "after_rollback")
def _forget_rows(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT, None)  # rolled back: no row, nothing to wake for


class Outbox:
    """Writes events into a service's outbox table, inside the caller's session.

    `wake`: called once the session has committed the rows (the relay of this process).
    """

    def __init__(
        self, table: Table, prefix: str = "", wake: Callable[[], None] | None = None
    ) -> None:
        self.table = table
        self.prefix = prefix
        self.wake = wake

    def add(self, session: Session, *events: Event) -> None:
        if not events:
            return
        now = utc_now()
        rows = [
            {
                "event_id": str(event.event_id),
                "stream": event.stream(self.prefix),
                "event_type": event.event_type,
                "payload": event.model_dump_json(),
                "created_at": now,
            }
            for event in events
        ]
        # One row (the usual case) as a plain execute: executemany costs more for a single row.
        session.execute(self.table.insert(), rows[0] if len(rows) == 1 else rows)
        if self.wake is not None:
            session.info.setdefault(_AFTER_COMMIT, set()).add(self.wake)


class OutboxRelay:
    """Publishes committed outbox rows to their streams, oldest first.

    Several relays may run: on PostgreSQL a transaction-level advisory lock lets one publish at a
    time, which also keeps each stream in commit order; on SQLite the write lock does the same.
    """

    def __init__(
        self,
        engine: Engine,
        table: Table,
        client: redis.Redis,
        service: str,
        batch_size: int = 200,
        trim_every_s: float = 600.0,
        retention_s: float = 30 * 24 * 3600,
        min_round_s: float = 0.05,
    ) -> None:
        self.engine = engine
        self.table = table
        self.client = client
        self.service = service
        self.batch_size = batch_size
        self.trim_every_s = trim_every_s
        self.retention_s = retention_s
        # Under load, rounds start at most this often, so each publishes a batch rather than
        # taking the write lock once per row; an idle relay woken by a commit starts at once.
        self.min_round_s = min_round_s
        self.doorbell = Doorbell()
        self._lock_key = zlib.crc32(f"rencontres-outbox-{service}".encode())
        self._streams: set[str] = set()
        self._last_trim = time.monotonic()

    def publish_batch(self) -> int:
        """Publish up to one batch; returns how many rows were published."""
        with self.engine.connect() as conn, conn.begin():
            if is_postgresql(self.engine):
                got = conn.execute(
                    text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": self._lock_key}
                ).scalar()
                if not got:
                    return 0
            else:
                # SQLite: an empty UPDATE takes the write lock before the rows are read, so a
                # second relay waits instead of reading (and publishing) the same rows.
                conn.execute(update(self.table).where(text("1 = 0")).values(published_at=None))
            rows = conn.execute(
                select(
                    self.table.c.id,
                    self.table.c.stream,
                    self.table.c.event_type,
                    self.table.c.payload,
                )
                .where(self.table.c.published_at.is_(None))
                .order_by(self.table.c.id)
                .limit(self.batch_size)
            ).all()
            if not rows:
                OUTBOX_BACKLOG.labels(self.service).set(0)
                return 0
            pipe = self.client.pipeline(transaction=False)
            for row in rows:
                pipe.xadd(row.stream, entry_fields(row.event_type, row.payload))
            entry_ids = pipe.execute()
            # A published row is deleted in the transaction that read it: the stream holds the
            # event from now on, and the outbox keeps no copy of it (docs/events.md, retention).
            conn.execute(delete(self.table).where(self.table.c.id.in_([row.id for row in rows])))
            log.debug(
                "outbox %s: published %d, last entry %s",
                self.service,
                len(rows),
                _text(entry_ids[-1]),
            )
            # A batch not full took every row committed when it read: nothing to count.
            backlog = (
                conn.execute(
                    select(func.count()).where(self.table.c.published_at.is_(None))
                ).scalar_one()
                if len(rows) == self.batch_size
                else 0
            )
        for row in rows:
            BUS_PUBLISHED.labels(row.stream).inc()
            self._streams.add(row.stream)
        OUTBOX_BACKLOG.labels(self.service).set(backlog)
        return len(rows)

    def publish_all(self) -> int:
        """Publish batch after batch while they come full; returns how many rows."""
        total = 0
        while True:
            published = self.publish_batch()
            total += published
            # A batch not full has left nothing behind: no extra round (and write turn) to
            # find it out.
            if published < self.batch_size:
                return total

    def trim(self, streams: Iterable[str] | None = None) -> None:
        for stream in streams if streams is not None else sorted(self._streams):
            trim_stream(self.client, stream, min_age_s=self.retention_s)

    def wake(self) -> None:
        """Ask the running relay for a round now (thread-safe; nothing if none runs here)."""
        self.doorbell.ring()

    async def run(self, interval_s: float = 2.0) -> None:
        """Relay until cancelled: when woken by a commit of this process, and every
        `interval_s` for the rows of other processes; survives Redis and database outages."""
        self.doorbell.bind()
        loop = asyncio.get_running_loop()
        try:
            while not stop_requested():
                started = loop.time()
                try:
                    await asyncio.to_thread(self.publish_all)
                    if time.monotonic() - self._last_trim > self.trim_every_s:
                        self._last_trim = time.monotonic()
                        await asyncio.to_thread(self.trim)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # keep relaying after any outage
                    log.warning("outbox relay %s: %s, retrying", self.service, type(exc).__name__)
                    await asyncio.sleep(1.0)
                # publish_all drained what was there; a commit meanwhile rang the bell.
                await self.doorbell.wait(interval_s)
                pause = self.min_round_s - (loop.time() - started)
                if pause > 0:
                    await asyncio.sleep(pause)
        finally:
            self.doorbell.unbind()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
