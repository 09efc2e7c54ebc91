"""Consuming events exactly once in effect, over at-least-once delivery.

Each service reads with its own consumer group (one consumer name per process). A handler's
effect and the `(group, event_id)` row commit in one transaction; the message is acknowledged
only after that commit. A message left pending (crash, error) is reclaimed with XAUTOCLAIM once
idle; after `max_deliveries` it goes to `<stream>.dlq`, is acknowledged and counted.

Idle, a subscriber waits in Redis (XREADGROUP BLOCK, `block_ms`), which answers as soon as an
entry arrives; the reclaimer asks for every stream's pending count in one round trip and
claims only on the streams that have some.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

import redis.asyncio as aioredis
from faststream import AckPolicy
from faststream.redis import RedisBroker, StreamSub
from faststream.redis.annotations import Redis, RedisBatchStreamMessage
from redis.exceptions import ResponseError
from sqlalchemy import Table
from sqlalchemy.orm import Session, sessionmaker

from shared.bus.broker import DATA_FIELD
from shared.bus.loops import stop_requested
from shared.db import insert_or_nothing
from shared.events import Event, utc_now
from shared.metrics import (
    BUS_CONSUMED,
    BUS_DEAD_LETTERED,
    BUS_HANDLER_SECONDS,
    BUS_PENDING,
    BUS_RECLAIMED,
)

log = logging.getLogger(__name__)

Handler = Callable[[Session, Any], None]

App = TypeVar("App")
# A service's subscriptions, declared once in its entrypoints/streams.py: each handler is
# `handler(session, app, event)`, runs in the consumer's transaction and never commits.
Subscriptions = Mapping[type[Event], Callable[[Session, App, Any], None]]


class Outcome(StrEnum):
    OK = "ok"
    DUPLICATE = "duplicate"
    ERROR = "error"


@dataclass(frozen=True)
class Subscription:
    event_cls: type[Event]
    handler: Handler
    stream: str


def default_consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def _initialise_metrics(stream: str, group: str) -> None:
    """Every series of a subscription at 0 from the start: alerts see it before the first use."""
    for outcome in Outcome:
        BUS_CONSUMED.labels(stream, group, outcome)
    BUS_DEAD_LETTERED.labels(stream, group)
    BUS_RECLAIMED.labels(stream, group)
    BUS_HANDLER_SECONDS.labels(stream, group)


def _with_app(handler: Callable[[Session, App, Any], None], app: App) -> Handler:
    def handle(session: Session, event: Any) -> None:
        handler(session, app, event)

    return handle


class EventConsumer:
    """The subscriptions of one service, their dedupe table and their reclaimer."""

    def __init__(
        self,
        *,
        group: str,
        factory: sessionmaker[Session],
        processed: Table,
        prefix: str = "",
        consumer_name: str | None = None,
        max_deliveries: int = 5,
        reclaim_idle_ms: int = 30_000,
        reclaim_page: int = 100,
        batch_size: int = 100,
        block_ms: int = 10_000,
    ) -> None:
        self.group = group
        self.factory = factory
        self.processed = processed
        self.prefix = prefix
        self.consumer_name = consumer_name or default_consumer_name()
        self.max_deliveries = max_deliveries
        self.reclaim_idle_ms = reclaim_idle_ms
        self.reclaim_page = reclaim_page
        self.batch_size = batch_size
        # How long one XREADGROUP waits in Redis for an entry: it returns at once when one
        # comes, so this only says how often an idle subscriber asks again (FastStream's 0.1 s
        # made each subscribed stream cost ten round trips a second).
        self.block_ms = block_ms
        self.subscriptions: dict[str, Subscription] = {}
        self._attached: set[str] = set()
        self._claims: dict[str, Any] = {}

    # -- declaring --------------------------------------------------------------------------
    def on(self, event_cls: type[Event]) -> Callable[[Handler], Handler]:
        """Register `handler(session, event)` for an event type; one handler per stream."""

        def register(handler: Handler) -> Handler:
            stream = event_cls.stream(self.prefix)
            if stream in self.subscriptions:
                raise ValueError(f"{stream} already has a handler in group {self.group}")
            self.subscriptions[stream] = Subscription(event_cls, handler, stream)
            _initialise_metrics(stream, self.group)
            return handler

        return register

    def subscribe(self, app: App, subscriptions: Subscriptions[App]) -> None:
        """Register a service's table of handlers, each given the service's app object."""
        for event_cls, handler in subscriptions.items():
            self.on(event_cls)(_with_app(handler, app))

    # -- handling ---------------------------------------------------------------------------
    def process(self, stream: str, body: bytes | str) -> Outcome:
        """Decode, deduplicate, run the handler and commit: the one path of every delivery."""
        sub = self.subscriptions[stream]
        started = time.perf_counter()
        try:
            event = sub.event_cls.model_validate_json(body)
            outcome = self._apply(sub, event)
        except Exception:
            BUS_CONSUMED.labels(stream, self.group, Outcome.ERROR).inc()
            raise
        finally:
            BUS_HANDLER_SECONDS.labels(stream, self.group).observe(time.perf_counter() - started)
        BUS_CONSUMED.labels(stream, self.group, outcome).inc()
        return outcome

    def process_batch(self, stream: str, bodies: list[bytes]) -> list[Outcome | Exception]:
        """Handle entries read together in one transaction: one commit instead of one each.

        If anything in the batch fails, it is rolled back and every entry is handled in its
        own transaction, so one bad entry never holds the others back. Returns, per entry, its
        outcome or the exception that leaves it pending.
        """
        if len(bodies) > 1:
            sub = self.subscriptions[stream]
            started = time.perf_counter()
            try:
                events = [sub.event_cls.model_validate_json(body) for body in bodies]
                with self.factory() as session, session.begin():
                    outcomes = [self._apply_in(session, sub, event) for event in events]
            except Exception:  # noqa: S110 - each entry is handled again on its own below
                pass
            else:
                share = (time.perf_counter() - started) / len(bodies)
                for outcome in outcomes:
                    BUS_CONSUMED.labels(stream, self.group, outcome).inc()
                    BUS_HANDLER_SECONDS.labels(stream, self.group).observe(share)
                return list(outcomes)
        results: list[Outcome | Exception] = []
        for body in bodies:
            try:
                results.append(self.process(stream, body))
            except Exception as exc:
                results.append(exc)
        return results

    def _claim(self, session: Session, event_id: str) -> bool:
        """Insert the dedupe row first; False when it exists: the event was handled before.

        On PostgreSQL a concurrent transaction inserting the same row waits for this one and
        then finds it, so the handler never runs twice; on SQLite writers take turns.
        """
        dialect = session.get_bind().dialect.name
        statement = self._claims.get(dialect)
        if statement is None:  # built once per dialect: this runs for every event
            statement = self._claims[dialect] = insert_or_nothing(
                self.processed, dialect, ["consumer", "event_id"]
            ).returning(self.processed.c.event_id)
        result = session.execute(
            statement, {"consumer": self.group, "event_id": event_id, "processed_at": utc_now()}
        )
        # RETURNING rather than rowcount, which psycopg leaves at -1 for this statement.
        return result.first() is not None

    def _apply_in(self, session: Session, sub: Subscription, event: Event) -> Outcome:
        """The dedupe row and the handler's effect, in the caller's transaction."""
        if not self._claim(session, str(event.event_id)):
            return Outcome.DUPLICATE
        sub.handler(session, event)
        return Outcome.OK

    def _apply(self, sub: Subscription, event: Event) -> Outcome:
        with self.factory() as session, session.begin():
            return self._apply_in(session, sub, event)

    # -- wiring to FastStream ---------------------------------------------------------------
    async def ensure_groups(self, client: aioredis.Redis) -> None:
        """Create each group at the start of its stream, so nothing published before is missed.

        FastStream would create it at `$` (only entries added after the consumer started).
        """
        for stream in self.subscriptions:
            try:
                await client.xgroup_create(stream, self.group, id="0", mkstream=True)
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    def attach(self, broker: RedisBroker) -> None:
        """One FastStream subscriber per stream, reading new entries; ack after commit.

        Idempotent: streams registered after a first call (handlers declared once the runtime
        exists, as `make_kit` then `subscribe` do) are attached by the next call.
        """
        for stream in self.subscriptions:
            if stream not in self._attached:
                self._attach_one(broker, stream)
                self._attached.add(stream)

    def _attach_one(self, broker: RedisBroker, stream: str) -> None:
        @broker.subscriber(
            stream=StreamSub(
                stream,
                group=self.group,
                consumer=self.consumer_name,
                batch=True,
                max_records=self.batch_size,
                polling_interval=self.block_ms,
            ),
            ack_policy=AckPolicy.MANUAL,
            title=f"{self.group}:{stream}",
        )
        async def _deliver(message: RedisBatchStreamMessage, client: Redis) -> None:
            ids = message.raw_message["message_ids"]
            bodies = [
                fields.get(DATA_FIELD.encode(), b"") for fields in message.raw_message["data"]
            ]
            results = await asyncio.to_thread(self.process_batch, stream, bodies)
            done = [i for i, r in zip(ids, results, strict=True) if not isinstance(r, Exception)]
            for result in results:
                if isinstance(result, Exception):  # left pending, then reclaimed
                    log.warning(
                        "%s: %s on %s, left pending", self.group, type(result).__name__, stream
                    )
            if done:
                await client.xack(stream, self.group, *done)

    # -- reclaiming -------------------------------------------------------------------------
    async def reclaim_once(self, client: aioredis.Redis) -> int:
        """Take over every idle pending entry of every stream, page by page; returns handled.

        One pipelined XPENDING for all the streams first: XAUTOCLAIM only where entries are
        pending, so an idle service asks Redis once a round.
        """
        streams = list(self.subscriptions)
        async with client.pipeline(transaction=False) as pipe:
            for stream in streams:
                pipe.xpending(stream, self.group)
            summaries = await pipe.execute()
        handled = 0
        for stream, summary in zip(streams, summaries, strict=True):
            pending = int(summary["pending"])
            if pending:
                claimed = await self._reclaim_stream(client, stream)
                if claimed:
                    pending = int((await client.xpending(stream, self.group))["pending"])
                handled += claimed
            BUS_PENDING.labels(stream, self.group).set(pending)
        return handled

    async def _reclaim_stream(self, client: aioredis.Redis, stream: str) -> int:
        handled = 0
        cursor: bytes | str = "0-0"
        while True:
            cursor, entries, *_ = await client.xautoclaim(
                stream,
                self.group,
                self.consumer_name,
                min_idle_time=self.reclaim_idle_ms,
                start_id=cursor,
                count=self.reclaim_page,
            )
            for entry_id, fields in entries:
                handled += 1
                BUS_RECLAIMED.labels(stream, self.group).inc()
                await self._redeliver(client, stream, entry_id, fields)
            if cursor in (b"0-0", "0-0"):
                return handled

    async def _redeliver(
        self, client: aioredis.Redis, stream: str, entry_id: bytes, fields: dict[bytes, bytes]
    ) -> None:
        info = await client.xpending_range(stream, self.group, min=entry_id, max=entry_id, count=1)
        deliveries = int(info[0]["times_delivered"]) if info else 1
        if deliveries > self.max_deliveries or fields is None:
            await self._dead_letter(client, stream, entry_id, fields or {}, deliveries)
            return
        body = fields.get(DATA_FIELD.encode(), b"")
        try:
            await asyncio.to_thread(self.process, stream, body)
        except Exception as exc:  # stays pending until the next reclaim
            log.warning(
                "%s: %s on %s (delivery %d)", self.group, type(exc).__name__, stream, deliveries
            )
            return
        await client.xack(stream, self.group, entry_id)

    async def _dead_letter(
        self,
        client: aioredis.Redis,
        stream: str,
        entry_id: bytes,
        fields: dict[bytes, bytes],
        deliveries: int,
    ) -> None:
        dead: dict[Any, Any] = dict(fields)
        dead.update(
            {
                b"original_stream": stream.encode(),
                b"original_id": entry_id,
                b"group": self.group.encode(),
                b"attempts": str(deliveries - 1).encode(),
            }
        )
        # The DLQ entry is written before the ack: a crash in between dead-letters twice at worst.
        await client.xadd(f"{stream}.dlq", dead)
        await client.xack(stream, self.group, entry_id)
        BUS_DEAD_LETTERED.labels(stream, self.group).inc()
        log.error(
            "%s: %s entry %s dead-lettered after %d deliveries",
            self.group,
            stream,
            entry_id.decode(),
            deliveries,
        )

    async def run_reclaimer(self, client: aioredis.Redis, interval_s: float = 5.0) -> None:
        """Reclaim forever; survives a Redis restart by retrying."""
        while not stop_requested():
            try:
                await self.ensure_groups(client)
                while not stop_requested():
                    await self.reclaim_once(client)
                    await asyncio.sleep(interval_s)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis down: wait and try again
                log.warning("%s reclaimer: %s, retrying", self.group, type(exc).__name__)
                await asyncio.sleep(min(interval_s, 1.0))
