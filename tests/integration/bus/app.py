"""A tiny service used by the delivery tests: it records one effect row per event handled.

Run as a process (`python -m tests.integration.bus.app ...`) for the tests that kill it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import time
import uuid
from pathlib import Path

from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, func, select
from sqlalchemy.orm import Session

from shared.bus.consumer import EventConsumer
from shared.bus.runtime import BusRuntime
from shared.db import bus_tables, make_engine, session_factory
from shared.events import ParticipantRegistered, RegistrationStatus, Role
from shared.settings import BaseServiceSettings

metadata = MetaData()
outbox_table, processed_table = bus_tables(metadata)
effects = Table(
    "effects",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", String(36), nullable=False),
    Column("participant_id", String(36), nullable=False),
)


def registered(edition_id: str = "2026", **overrides: object) -> ParticipantRegistered:
    fields: dict[str, object] = {
        "edition_id": edition_id,
        "participant_id": uuid.uuid4(),
        "role": Role.HOLDER,
        "revision": 1,
        "status": RegistrationStatus.REGISTERED,
        "legal_form": "association",
        "stage": "creation",
        "commune_code": "21231",
        "tags": ["mecenat"],
    }
    fields.update(overrides)
    return ParticipantRegistered(**fields)


def make_consumer(engine: Engine, prefix: str, name: str | None = None, **options) -> EventConsumer:
    consumer = EventConsumer(
        group="demo",
        factory=session_factory(engine),
        processed=processed_table,
        prefix=prefix,
        consumer_name=name,
        **options,
    )

    @consumer.on(ParticipantRegistered)
    def record(session: Session, event: ParticipantRegistered) -> None:
        if event.legal_form == "poison":
            raise ValueError("this event can never be handled")
        session.execute(
            effects.insert().values(
                event_id=str(event.event_id), participant_id=str(event.participant_id)
            )
        )

    return consumer


def effect_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(effects)).scalar_one())


def _hang_after_commit(consumer: EventConsumer, marker: Path) -> None:
    """Make the process stop between its commit and its ack, as a crash would leave it."""
    original = consumer.process_batch

    def process_batch(stream: str, bodies: list[bytes]):
        outcomes = original(stream, bodies)
        marker.write_text("committed")
        time.sleep(3600)
        return outcomes

    consumer.process_batch = process_batch  # type: ignore[method-assign]


async def _serve(args: argparse.Namespace) -> None:
    os.environ["REDIS_URL"] = args.redis
    settings = BaseServiceSettings(
        redis_url=args.redis, bus_prefix=args.prefix, reclaim_interval_s=0.2
    )
    engine = make_engine(args.db)
    consumer = make_consumer(engine, args.prefix, args.consumer, reclaim_idle_ms=args.idle_ms)
    if args.hang_marker:
        _hang_after_commit(consumer, Path(args.hang_marker))
    runtime = BusRuntime(
        settings, service="demo", engine=engine, outbox_table=outbox_table, consumer=consumer
    )
    await runtime.start()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await runtime.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--redis", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--consumer", required=True)
    parser.add_argument("--idle-ms", type=int, default=300)
    parser.add_argument("--hang-marker")
    asyncio.run(_serve(parser.parse_args()))


if __name__ == "__main__":
    main()
