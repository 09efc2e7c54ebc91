"""Bus benchmark: events per second through outbox, relay, stream and a deduplicating consumer,
against raw XADD / XREADGROUP / XACK with redis-py on the same Redis.

Run with `uv run python -m benchmarks.bus` (needs a Redis at REDIS_URL, 127.0.0.1:6379 by
default; everything it writes is under a prefix of its own and removed at the end).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import uuid
from pathlib import Path

import redis
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select
from sqlalchemy.orm import Session

from shared.bus.outbox import Outbox
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
        for _, entries in client.xreadgroup("bench", "c", {stream: ">"}, count=100, block=1000):
            for entry_id, _fields in entries:
                client.xack(stream, "bench", entry_id)
                handled += 1
    return count / (time.perf_counter() - started)


async def through_the_bus(prefix: str, count: int, database_urls: tuple[str, str]) -> float:
    """Each event committed in its own transaction by a producing service, relayed, and
    consumed by another service (its own database) with its dedupe row."""
    settings = BaseServiceSettings(redis_url=REDIS_URL, bus_prefix=prefix, relay_interval_s=0.01)
    producer = make_kit("producer", settings, metadata, database_urls[0])
    kit = make_kit("bench", settings, metadata, database_urls[1])
    metadata.create_all(producer.engine)
    metadata.create_all(kit.engine)

    @kit.consumer.on(ParticipantRegistered)
    def record(session: Session, event: ParticipantRegistered) -> None:
        session.execute(effects.insert().values(event_id=str(event.event_id)))

    await producer.runtime.start()
    await kit.runtime.start()
    outbox: Outbox = producer.outbox
    started = time.perf_counter()

    def produce() -> None:
        for _ in range(count):
            with transaction(producer.factory) as session:
                outbox.add(session, _event())

    await asyncio.to_thread(produce)
    while True:
        with kit.engine.connect() as conn:
            done = conn.execute(select(func.count()).select_from(effects)).scalar_one()
        if done >= count:
            break
        await asyncio.sleep(0.02)
    rate = count / (time.perf_counter() - started)
    await producer.runtime.stop()
    await kit.runtime.stop()
    producer.engine.dispose()
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
            databases = [
                ("SQLite", tuple(f"sqlite:///{Path(scratch) / f'{n}.db'}" for n in ("p", "c")))
            ]
            if os.environ.get("BENCH_POSTGRES_URLS"):  # two URLs, comma-separated
                databases.append(
                    ("PostgreSQL", tuple(os.environ["BENCH_POSTGRES_URLS"].split(",")))
                )
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
