"""Bus benchmark: events per second through outbox, relay, stream and a deduplicating consumer,
against raw XADD / XREADGROUP / XACK with redis-py on the same Redis.

Run with `uv run python -m benchmarks.bus` (needs a Redis at REDIS_URL, 127.0.0.1:6379 by
default; everything it writes is under a prefix of its own and removed at the end).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, cast

import redis
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select
from sqlalchemy.orm import Session

from shared.db import bus_tables, transaction
from shared.events import ParticipantRegistered, RegistrationStatus, Role
from shared.service import make_kit
from shared.settings import BaseServiceSettings

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
EVENTS = int(os.environ.get("BENCH_EVENTS", "2000"))

metadata = MetaData()
bus_tables(metadata)
effects = Table(
    "effects", metadata, Column("id", Integer, primary_key=True), Column("event_id", String(36))
)


def _event() -> ParticipantRegistered:
    return ParticipantRegistered(
        edition_id="2026",
        participant_id=uuid.uuid4(),
        role=Role.HOLDER,
        revision=1,
        status=RegistrationStatus.REGISTERED,
        legal_form="association",
        tags=["mecenat"],
    )


def raw_redis(prefix: str, count: int) -> float:
    """One XADD per event, then XREADGROUP by 100 and one XACK per entry: events per second."""
    client = redis.Redis.from_url(REDIS_URL)
    stream = f"{prefix}raw"
    client.xgroup_create(stream, "bench", id="0", mkstream=True)
    bodies = [_event().model_dump_json() for _ in range(count)]
    started = time.perf_counter()
    for body in bodies:
        client.xadd(stream, {"__data__": body})
    handled = 0
    while handled < count:
        replies = cast(
            "list[Any]", client.xreadgroup("bench", "c", {stream: ">"}, count=100, block=1000)
        )
        for _, entries in replies:
            for entry_id, _fields in entries:
                client.xack(stream, "bench", entry_id)
                handled += 1
    return count / (time.perf_counter() - started)


def _settings(prefix: str) -> BaseServiceSettings:
    return BaseServiceSettings(redis_url=REDIS_URL, bus_prefix=prefix, relay_interval_s=0.01)


def produce(prefix: str, count: int, database_url: str, ready: Any, go: Any) -> None:
    """The producing service, in a process of its own as in a deployment: each event committed
    in its own transaction, while its relay publishes."""

    async def run() -> None:
        producer = make_kit("producer", _settings(prefix), metadata, database_url)
        metadata.create_all(producer.engine)
        await producer.runtime.start()
        ready.set()  # started: the clock runs from the first event, not from the imports
        go.wait()

        def write() -> None:
            for _ in range(count):
                with transaction(producer.factory) as session:
                    producer.outbox.add(session, _event())

        await asyncio.to_thread(write)
        while producer.runtime.relay.publish_all() or _backlog(producer.engine):
            await asyncio.sleep(0.01)
        await producer.runtime.stop()
        producer.engine.dispose()

    asyncio.run(run())


def _backlog(engine) -> int:
    table = metadata.tables["outbox"]
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(table).where(table.c.published_at.is_(None))
            ).scalar_one()
        )


async def through_the_bus(prefix: str, count: int, database_urls: tuple[str, str]) -> float:
    """Events committed by a producing service (another process), relayed, and consumed by
    this service (its own database) with their dedupe rows: the rate of the whole path."""
    kit = make_kit("bench", _settings(prefix), metadata, database_urls[1])
    metadata.create_all(kit.engine)

    @kit.consumer.on(ParticipantRegistered)
    def record(session: Session, event: ParticipantRegistered) -> None:
        session.execute(effects.insert().values(event_id=str(event.event_id)))

    await kit.runtime.start()
    context = multiprocessing.get_context("spawn")
    ready, go = context.Event(), context.Event()
    producer = context.Process(target=produce, args=(prefix, count, database_urls[0], ready, go))
    producer.start()
    await asyncio.to_thread(ready.wait)
    started = time.perf_counter()
    go.set()
    while True:
        with kit.engine.connect() as conn:
            done = conn.execute(select(func.count()).select_from(effects)).scalar_one()
        if done >= count:
            break
        await asyncio.sleep(0.02)
    rate = count / (time.perf_counter() - started)
    producer.join()
    await kit.runtime.stop()
    kit.engine.dispose()
    return rate


def _cleanup(prefix: str) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        prefix = f"bench-{uuid.uuid4().hex[:6]}:"
        try:
            raw = raw_redis(prefix, EVENTS)
            sqlite = (f"sqlite:///{Path(scratch) / 'p.db'}", f"sqlite:///{Path(scratch) / 'c.db'}")
            databases = [("SQLite", sqlite)]
            if os.environ.get("BENCH_POSTGRES_URLS"):  # two URLs, comma-separated
                producer_url, consumer_url = os.environ["BENCH_POSTGRES_URLS"].split(",")
                databases.append(("PostgreSQL", (producer_url, consumer_url)))
            rows.append(("redis-py XADD + XREADGROUP + XACK", raw, 1.0))
            for name, url in databases:
                rate = asyncio.run(through_the_bus(prefix + name + ":", EVENTS, url))
                rows.append((f"outbox + relay + consumer ({name})", rate, rate / raw))
        finally:
            _cleanup(prefix)
    print(f"{EVENTS} events, {os.cpu_count()} cores")
    print(f"{'path':<42} {'events/s':>10} {'ratio':>7}")
    for name, rate, ratio in rows:
        print(f"{name:<42} {rate:>10.0f} {ratio:>7.2f}")


if __name__ == "__main__":
    main()
