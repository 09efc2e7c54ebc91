"""Runs a service's background machinery inside its process: outbox relay, subscribers,
reclaimer and, on a SQLite file, the WAL checkpoints. Idle, none of them polls faster than
every 2 s: the relay and the checkpoints are woken by this process's commits, the subscribers
block in XREADGROUP."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import redis
import redis.asyncio as aioredis
from sqlalchemy import Engine, Table, event

from shared.bus.broker import make_broker
from shared.bus.consumer import EventConsumer
from shared.bus.loops import Doorbell, stop_requested
from shared.bus.outbox import OutboxRelay
from shared.db import checkpoint_wal, is_file_sqlite, wal_stamp
from shared.settings import BaseServiceSettings

log = logging.getLogger(__name__)


class BusRuntime:
    """Start and stop, with the process, what moves events in and out of one service (and
    keeps its SQLite file checkpointed)."""

    def __init__(
        self,
        settings: BaseServiceSettings,
        *,
        service: str,
        engine: Engine,
        outbox_table: Table,
        consumer: EventConsumer | None = None,
    ) -> None:
        self.settings = settings
        self.service = service
        self.consumer = consumer
        self.engine = engine
        self.sync_redis = redis.Redis.from_url(settings.redis_url)
        self.async_redis = aioredis.Redis.from_url(settings.redis_url)
        self.relay = OutboxRelay(engine, outbox_table, self.sync_redis, service)
        self.broker = (
            # A blocked XREADGROUP answers within block_ms: a read waiting longer than that
            # (redis-py's default is 5 s) means the connection is gone.
            make_broker(settings.redis_url, socket_timeout=consumer.block_ms / 1000 + 5)
            if consumer
            else None
        )
        self._tasks: list[asyncio.Task[None]] = []
        self._committed = Doorbell()  # a commit on the engine: maybe a checkpoint to make

    async def start(self) -> None:
        self._tasks.append(asyncio.create_task(self.relay.run(self.settings.relay_interval_s)))
        if is_file_sqlite(self.engine):
            self._committed.bind()
            if not event.contains(self.engine, "commit", self._on_commit):
                event.listen(self.engine, "commit", self._on_commit)
            self._tasks.append(asyncio.create_task(self._checkpoints()))
        if self.consumer and self.consumer.subscriptions and self.broker:
            # Subscriptions are read now, so handlers registered after bootstrap count too.
            self.consumer.attach(self.broker)
            await self._wait_for_redis()
            await self.consumer.ensure_groups(self.async_redis)
            await self.broker.start()
            self._tasks.append(
                asyncio.create_task(
                    self.consumer.run_reclaimer(self.async_redis, self.settings.reclaim_interval_s)
                )
            )

    def _on_commit(self, _conn: Any) -> None:
        self._committed.ring()

    async def _checkpoints(self, delay_s: float = 0.2, fallback_s: float = 30.0) -> None:
        """Checkpoint the SQLite file when its WAL grew, until stopped: `delay_s` after a
        commit of this process (the commits of a burst share one checkpoint) or, for the
        commits of other processes, at the next look every `fallback_s`. SQLite's own
        checkpoint at 1,000 pages stays as the fallback."""
        done: tuple[int, int] | None = None  # the WAL as the last complete checkpoint left it
        while not stop_requested():
            stamp = wal_stamp(self.engine)
            # No WAL, or nothing written since: the database is not touched.
            if stamp is not None and stamp != done:
                try:
                    checkpoint = await asyncio.to_thread(checkpoint_wal, self.engine)
                    complete = checkpoint.complete
                except Exception as exc:  # a busy or locked file: next time
                    log.debug("checkpoint SQLite : %s", type(exc).__name__)
                    complete = False
                # Incomplete (a reader held old pages): the next commit or look tries again.
                done = stamp if complete else None
            await self._committed.wait(fallback_s)
            await asyncio.sleep(delay_s)

    async def _wait_for_redis(self, attempts: int = 60) -> None:
        for attempt in range(attempts):
            try:
                await self.async_redis.ping()
                return
            except redis.ConnectionError:
                if attempt == 0:
                    log.warning("Redis ne répond pas à %s, nouvel essai…", self.settings.redis_url)
                await asyncio.sleep(1.0)
        raise RuntimeError("Redis ne répond pas / Redis does not answer")

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            _done, pending = await asyncio.wait(self._tasks, timeout=10)
            for task in pending:  # never seen since the loops check stop_requested(): say so
                log.error("bus task %s did not stop", task.get_coro())
        self._tasks.clear()
        if event.contains(self.engine, "commit", self._on_commit):
            event.remove(self.engine, "commit", self._on_commit)
        self._committed.unbind()
        if self.broker:
            await self.broker.stop()
        await self.async_redis.aclose()
        self.sync_redis.close()

    def healthy(self) -> bool:
        try:
            return bool(self.sync_redis.ping())
        except redis.RedisError:
            return False
