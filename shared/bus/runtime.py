"""Runs a service's background machinery inside its process: outbox relay, subscribers,
reclaimer and, on a SQLite file, the WAL checkpoints."""

from __future__ import annotations

import asyncio
import logging

import redis
import redis.asyncio as aioredis
from sqlalchemy import Engine, Table

from shared.bus.broker import make_broker
from shared.bus.consumer import EventConsumer
from shared.bus.loops import stop_requested
from shared.bus.outbox import OutboxRelay
from shared.db import checkpoint_wal, is_file_sqlite
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
        self.broker = make_broker(settings.redis_url) if consumer else None
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self._tasks.append(asyncio.create_task(self.relay.run(self.settings.relay_interval_s)))
        if is_file_sqlite(self.engine):
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

    async def _checkpoints(self, interval_s: float = 0.2) -> None:
        """Checkpoint the SQLite file until stopped; SQLite's own checkpoint stays as fallback."""
        while not stop_requested():
            try:
                await asyncio.to_thread(checkpoint_wal, self.engine)
            except Exception as exc:  # a busy or locked file: next time
                log.debug("checkpoint SQLite : %s", type(exc).__name__)
            await asyncio.sleep(interval_s)

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
        if self.broker:
            await self.broker.stop()
        await self.async_redis.aclose()
        self.sync_redis.close()

    def healthy(self) -> bool:
        try:
            return bool(self.sync_redis.ping())
        except redis.RedisError:
            return False
