"""Delivery guarantees of the bus against a real Redis, with exact counts."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest
import redis
import redis.asyncio as aioredis
from sqlalchemy import func, select

from shared.bus.broker import DATA_FIELD, entry_fields
from shared.bus.consumer import Outcome
from shared.bus.outbox import Outbox, OutboxRelay
from shared.bus.trim import trim_stream
from shared.db import session_factory, transaction
from shared.events import ParticipantRegistered
from shared.metrics import BUS_DEAD_LETTERED
from tests.integration.bus.app import (
    effect_count,
    make_consumer,
    outbox_table,
    registered,
)
from tests.support.servers import wait_until

STREAM = ParticipantRegistered.stream


def _commit_events(engine, prefix: str, count: int) -> list[ParticipantRegistered]:
    events = [registered() for _ in range(count)]
    with transaction(session_factory(engine)) as session:
        Outbox(outbox_table, prefix).add(session, *events)
    return events


def test_rolled_back_transaction_publishes_nothing(engine, redis_url, bus_prefix):
    client = redis.Redis.from_url(redis_url)
    with pytest.raises(RuntimeError), transaction(session_factory(engine)) as session:
        Outbox(outbox_table, bus_prefix).add(session, registered())
        raise RuntimeError("the use case failed after writing its event")
    relay = OutboxRelay(engine, outbox_table, client, "demo")
    assert relay.publish_all() == 0
    assert client.xlen(STREAM(bus_prefix)) == 0


def test_committed_while_relay_down_is_published_when_it_starts(engine, redis_url, bus_prefix):
    events = _commit_events(engine, bus_prefix, 3)  # no relay is running yet
    client = redis.Redis.from_url(redis_url)
    assert client.xlen(STREAM(bus_prefix)) == 0
    relay = OutboxRelay(engine, outbox_table, client, "demo")
    assert relay.publish_all() == 3
    entries = client.xrange(STREAM(bus_prefix))
    published = [
        ParticipantRegistered.model_validate_json(f[DATA_FIELD.encode()]) for _, f in entries
    ]
    assert [e.event_id for e in published] == [e.event_id for e in events]
    assert relay.publish_all() == 0  # marked: never published twice by the relay


def test_same_event_delivered_twice_has_one_effect(engine, bus_prefix):
    consumer = make_consumer(engine, bus_prefix)
    body = registered().model_dump_json()
    assert consumer.process(STREAM(bus_prefix), body) is Outcome.OK
    assert consumer.process(STREAM(bus_prefix), body) is Outcome.DUPLICATE
    assert effect_count(engine) == 1


def test_events_published_before_the_consumer_started_are_consumed(
    engine, redis_url, bus_prefix, consumers
):
    client = redis.Redis.from_url(redis_url)
    _commit_events(engine, bus_prefix, 4)
    OutboxRelay(engine, outbox_table, client, "demo").publish_all()
    consumers.start(redis_url, bus_prefix)
    wait_until(lambda: effect_count(engine) == 4, timeout=20, what="4 effects")
    wait_until(
        lambda: client.xpending(STREAM(bus_prefix), "demo")["pending"] == 0, what="all acknowledged"
    )


@pytest.mark.slow
def test_consumer_killed_after_commit_before_ack_has_effect_once(
    engine, redis_url, bus_prefix, consumers, tmp_path: Path
):
    client = redis.Redis.from_url(redis_url)
    marker = tmp_path / "committed"
    doomed = consumers.start(redis_url, bus_prefix, hang_marker=marker)
    _commit_events(engine, bus_prefix, 1)
    OutboxRelay(engine, outbox_table, client, "demo").publish_all()
    wait_until(marker.exists, timeout=20, what="the effect to be committed")
    doomed.send_signal(signal.SIGKILL)
    doomed.wait()
    assert effect_count(engine) == 1
    assert client.xpending(STREAM(bus_prefix), "demo")["pending"] == 1

    consumers.start(redis_url, bus_prefix, idle_ms=200)
    wait_until(
        lambda: client.xpending(STREAM(bus_prefix), "demo")["pending"] == 0,
        timeout=20,
        what="the reclaimed message to be acknowledged",
    )
    assert effect_count(engine) == 1


@pytest.mark.slow
def test_poison_message_goes_to_dlq_and_the_rest_flows(engine, redis_url, bus_prefix):
    client = redis.Redis.from_url(redis_url)
    stream = STREAM(bus_prefix)
    consumer = make_consumer(engine, bus_prefix, "c1", max_deliveries=3, reclaim_idle_ms=0)
    aclient = aioredis.Redis.from_url(redis_url)

    async def scenario() -> None:
        await consumer.ensure_groups(aclient)
        poison = registered(legal_form="poison")
        good = [registered() for _ in range(3)]
        client.xadd(stream, entry_fields("ParticipantRegistered", poison.model_dump_json()))
        client.xadd(stream, entry_fields("ParticipantRegistered", "{not json"))
        for event in good:
            client.xadd(stream, entry_fields("ParticipantRegistered", event.model_dump_json()))
        # First delivery of everything, as the subscriber would do it.
        entries = await aclient.xreadgroup("demo", "c1", {stream: ">"})
        for entry_id, fields in entries[0][1]:
            try:
                await asyncio.to_thread(consumer.process, stream, fields[DATA_FIELD.encode()])
            except Exception:
                continue
            await aclient.xack(stream, "demo", entry_id)
        for _ in range(5):
            await consumer.reclaim_once(aclient)
        await aclient.aclose()

    before = BUS_DEAD_LETTERED.labels(stream, "demo")._value.get()
    asyncio.run(scenario())
    assert effect_count(engine) == 3
    assert client.xpending(stream, "demo")["pending"] == 0
    dead = client.xrange(f"{stream}.dlq")
    assert len(dead) == 2
    assert {int(fields[b"attempts"]) for _, fields in dead} == {3}
    assert BUS_DEAD_LETTERED.labels(stream, "demo")._value.get() - before == 2


def test_backlog_larger_than_one_reclaim_page_is_fully_drained(engine, redis_url, bus_prefix):
    client = redis.Redis.from_url(redis_url)
    stream = STREAM(bus_prefix)
    consumer = make_consumer(engine, bus_prefix, "rescuer", reclaim_idle_ms=0, reclaim_page=10)
    aclient = aioredis.Redis.from_url(redis_url)

    async def scenario() -> int:
        await consumer.ensure_groups(aclient)
        for _ in range(35):
            client.xadd(
                stream, entry_fields("ParticipantRegistered", registered().model_dump_json())
            )
        # A consumer that read them all and died without handling any.
        await aclient.xreadgroup("demo", "dead-consumer", {stream: ">"})
        handled = await consumer.reclaim_once(aclient)
        await aclient.aclose()
        return handled

    assert asyncio.run(scenario()) == 35
    assert effect_count(engine) == 35
    assert client.xpending(stream, "demo")["pending"] == 0


def test_trim_never_removes_an_entry_still_pending(redis_url, bus_prefix):
    client = redis.Redis.from_url(redis_url)
    stream = f"{bus_prefix}trim-test"
    ids = [client.xadd(stream, {"n": str(i)}) for i in range(10)]
    client.xgroup_create(stream, "slow", id="0")
    client.xgroup_create(stream, "fast", id="0")
    client.xreadgroup("fast", "f", {stream: ">"})
    client.xack(stream, "fast", *ids)
    client.xreadgroup("slow", "s", {stream: ">"}, count=4)
    client.xack(stream, "slow", *ids[:2])  # entries 2 and 3 stay pending in "slow"
    trim_stream(client, stream, min_age_s=0)
    remaining = [entry_id for entry_id, _ in client.xrange(stream)]
    assert remaining == ids[2:]


@pytest.mark.slow
def test_redis_killed_and_restarted_loses_no_entry_and_consumers_resume(
    engine, redis_server, consumers
):
    prefix = "restart:"
    client = redis.Redis.from_url(redis_server.url)
    relay = OutboxRelay(engine, outbox_table, client, "demo")
    consumers.start(redis_server.url, prefix)
    _commit_events(engine, prefix, 5)
    relay.publish_all()
    published_ids = {entry_id.decode() for entry_id, _ in client.xrange(STREAM(prefix))}
    assert len(published_ids) == 5 and _outbox_rows(engine) == []
    wait_until(lambda: effect_count(engine) == 5, timeout=20, what="first 5 effects")

    redis_server.restart()
    client = redis.Redis.from_url(redis_server.url)
    stored = {entry_id.decode() for entry_id, _ in client.xrange(STREAM(prefix))}
    assert set(published_ids) <= stored

    relay = OutboxRelay(engine, outbox_table, client, "demo")
    _commit_events(engine, prefix, 5)
    wait_until(lambda: relay.publish_all() or True, what="relay")
    wait_until(lambda: effect_count(engine) == 10, timeout=30, what="consumer to resume")
    assert effect_count(engine) == 10


def _outbox_rows(engine):
    with engine.connect() as conn:
        return conn.execute(select(outbox_table)).all()


def test_outbox_backlog_counts_unpublished(engine, redis_url, bus_prefix):
    _commit_events(engine, bus_prefix, 2)
    with engine.connect() as conn:
        backlog = conn.execute(
            select(func.count()).where(outbox_table.c.published_at.is_(None))
        ).scalar_one()
    assert backlog == 2


def test_service_kit_consumes_handlers_registered_after_bootstrap(
    database_url, redis_url, bus_prefix
):
    """The path every service takes: make_kit(), then handlers, then the runtime starts."""
    from shared.service import make_kit
    from shared.settings import BaseServiceSettings
    from tests.integration.bus.app import effects, metadata

    settings = BaseServiceSettings(
        redis_url=redis_url, bus_prefix=bus_prefix, relay_interval_s=0.05
    )
    kit = make_kit("demo", settings, metadata, database_url)
    metadata.create_all(kit.engine)

    @kit.consumer.on(ParticipantRegistered)
    def record(session, event):
        session.execute(
            effects.insert().values(
                event_id=str(event.event_id), participant_id=str(event.participant_id)
            )
        )

    async def scenario() -> int:
        await kit.runtime.start()
        try:
            with transaction(kit.factory) as session:
                kit.outbox.add(session, registered(), registered())
            for _ in range(200):
                if effect_count(kit.engine) == 2:
                    break
                await asyncio.sleep(0.05)
            return effect_count(kit.engine)
        finally:
            await kit.runtime.stop()

    assert asyncio.run(scenario()) == 2
    kit.engine.dispose()


def test_two_relays_at_once_publish_each_event_exactly_once(engine, redis_url, bus_prefix):
    import threading

    events = _commit_events(engine, bus_prefix, 300)
    client = redis.Redis.from_url(redis_url)
    relays = [OutboxRelay(engine, outbox_table, client, "demo", batch_size=20) for _ in range(2)]
    barrier = threading.Barrier(2)

    def run(relay: OutboxRelay) -> None:
        barrier.wait()
        for _ in range(200):
            relay.publish_all()

    threads = [threading.Thread(target=run, args=(relay,)) for relay in relays]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    published = [
        ParticipantRegistered.model_validate_json(f[DATA_FIELD.encode()]).event_id
        for _, f in client.xrange(STREAM(bus_prefix))
    ]
    assert sorted(map(str, published)) == sorted(str(e.event_id) for e in events)
    assert published == [e.event_id for e in events]  # and in commit order


def test_a_batch_with_a_bad_entry_commits_the_others_one_by_one(engine, bus_prefix):
    consumer = make_consumer(engine, bus_prefix)
    good = [registered().model_dump_json().encode() for _ in range(3)]
    poison = registered(legal_form="poison").model_dump_json().encode()
    results = consumer.process_batch(STREAM(bus_prefix), [good[0], poison, good[1], good[2]])
    assert [type(r) for r in results] == [Outcome, ValueError, Outcome, Outcome]
    assert effect_count(engine) == 3


def test_a_batch_holding_the_same_event_twice_has_one_effect(engine, bus_prefix):
    consumer = make_consumer(engine, bus_prefix)
    body = registered().model_dump_json().encode()
    other = registered().model_dump_json().encode()
    results = consumer.process_batch(STREAM(bus_prefix), [body, other, body])
    assert results == [Outcome.OK, Outcome.OK, Outcome.DUPLICATE]
    assert effect_count(engine) == 2


def test_the_runtime_stops_promptly_right_after_starting(database_url, redis_url, bus_prefix):
    """Stopping at once used to hang now and then: redis-py may swallow the cancellation of
    a command, and the reclaimer then went on forever."""
    from shared.service import make_kit
    from shared.settings import BaseServiceSettings
    from tests.integration.bus.app import metadata

    settings = BaseServiceSettings(redis_url=redis_url, bus_prefix=bus_prefix)
    kit = make_kit("demo", settings, metadata, database_url)
    metadata.create_all(kit.engine)
    kit.consumer.on(ParticipantRegistered)(lambda session, event: None)

    async def start_and_stop() -> None:
        for _ in range(10):
            await kit.runtime.start()
            await asyncio.wait_for(kit.runtime.stop(), timeout=15)

    asyncio.run(start_and_stop())
    kit.engine.dispose()
