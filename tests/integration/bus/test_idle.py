"""An idle bus waits instead of polling, and still moves an event as soon as it comes: the
relay is woken by the commit of its own process, a subscriber blocked in XREADGROUP gets the
entry, and rows committed elsewhere are found by the relay's slower look."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
import redis.asyncio as aioredis
from sqlalchemy import select

from shared.bus.broker import entry_fields
from shared.bus.outbox import Outbox
from shared.db import transaction
from shared.events import ParticipantRegistered
from shared.service import ServiceKit, make_kit
from shared.settings import BaseServiceSettings
from tests.integration.bus.app import effect_count, effects, metadata, outbox_table, registered

STREAM = ParticipantRegistered.stream


def _kit(database_url: str, redis_url: str, prefix: str, **settings: float) -> ServiceKit:
    kit = make_kit(
        "demo",
        BaseServiceSettings(redis_url=redis_url, bus_prefix=prefix, **settings),
        metadata,
        database_url,
    )
    metadata.create_all(kit.engine)
    return kit


def _record_effects(kit: ServiceKit) -> None:
    @kit.consumer.on(ParticipantRegistered)
    def record(session, event):
        session.execute(
            effects.insert().values(
                event_id=str(event.event_id), participant_id=str(event.participant_id)
            )
        )


async def _until(predicate, timeout_s: float) -> float:
    """Seconds until `predicate()` held; fails after `timeout_s`."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout_s:
            raise AssertionError(f"not within {timeout_s} s")
        await asyncio.sleep(0.01)
    return time.monotonic() - started


def _commit(kit: ServiceKit, outbox: Outbox, count: int = 1) -> None:
    with transaction(kit.factory) as session:
        outbox.add(session, *(registered() for _ in range(count)))


def test_a_committed_row_is_relayed_at_once_without_waiting_for_the_next_look(
    database_url, redis_url, bus_prefix
):
    # The relay looks for other processes' rows once a minute here: only the wake-up by the
    # commit can publish within the second.
    kit = _kit(database_url, redis_url, bus_prefix, relay_interval_s=60)
    client = aioredis.Redis.from_url(redis_url)

    async def scenario() -> list[float]:
        await kit.runtime.start()
        try:
            await asyncio.sleep(0.5)  # the relay's first round is over: it waits now
            delays = []
            for count, published in ((1, 1), (2, 3)):  # twice: the bell rings after a round
                # Committed in another thread, as a request or a consumer does.
                await asyncio.to_thread(_commit, kit, kit.outbox, count)
                delays.append(await _until(lambda: _outbox_rows(kit) == 0, timeout_s=5))
                assert await client.xlen(STREAM(bus_prefix)) == published
            return delays
        finally:
            await kit.runtime.stop()
            await client.aclose()

    delays = asyncio.run(scenario())
    kit.engine.dispose()
    assert max(delays) < 1.0, delays


def test_a_row_committed_without_the_wake_up_waits_for_the_next_look(
    database_url, redis_url, bus_prefix
):
    """The control of the test above: what rings the bell is the commit of the kit's outbox."""
    kit = _kit(database_url, redis_url, bus_prefix, relay_interval_s=60)

    async def scenario() -> int:
        await kit.runtime.start()
        try:
            await asyncio.sleep(0.5)
            await asyncio.to_thread(_commit, kit, Outbox(outbox_table, bus_prefix))
            await asyncio.sleep(1.0)
            return _outbox_rows(kit)
        finally:
            await kit.runtime.stop()

    assert asyncio.run(scenario()) == 1
    kit.engine.dispose()


def test_rows_committed_by_another_process_are_found_by_the_next_look(
    database_url, redis_url, bus_prefix
):
    kit = _kit(database_url, redis_url, bus_prefix, relay_interval_s=0.5)
    # What the command line or the Celery worker writes: an outbox whose relay is not theirs.
    elsewhere = Outbox(outbox_table, bus_prefix)

    async def scenario() -> float:
        await kit.runtime.start()
        try:
            await asyncio.sleep(0.2)
            await asyncio.to_thread(_commit, kit, elsewhere)
            return await _until(lambda: _outbox_rows(kit) == 0, timeout_s=5)
        finally:
            await kit.runtime.stop()

    assert asyncio.run(scenario()) < 2.0
    kit.engine.dispose()


@pytest.mark.slow
def test_a_subscriber_blocked_in_xreadgroup_gets_an_entry_at_once(
    database_url, redis_url, bus_prefix, caplog
):
    """Idle longer than redis-py's default socket timeout (5 s), the subscriber still waits in
    XREADGROUP: no read error, and the entry is handled as soon as it is added."""
    kit = _kit(database_url, redis_url, bus_prefix)
    _record_effects(kit)
    assert kit.consumer.block_ms > 6_000
    client = aioredis.Redis.from_url(redis_url)

    async def scenario() -> tuple[float, list[str]]:
        await kit.runtime.start()
        try:
            await asyncio.sleep(6.5)
            event = registered()
            await client.xadd(
                STREAM(bus_prefix), entry_fields(event.event_type, event.model_dump_json())
            )
            delay = await _until(lambda: effect_count(kit.engine) == 1, timeout_s=5)
            # Before the stop, which may cut a read in progress.
            return delay, [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        finally:
            await kit.runtime.stop()
            await client.aclose()

    with caplog.at_level(logging.WARNING):
        delay, warnings = asyncio.run(scenario())
    kit.engine.dispose()
    assert delay < 1.0
    assert warnings == []  # no read cut by a socket timeout while the subscriber waited


def _outbox_rows(kit: ServiceKit) -> int:
    with kit.engine.connect() as conn:
        return len(conn.execute(select(outbox_table.c.id)).all())
