"""An outside subscriber's Redis user reads the public streams with its group, nothing else."""

from __future__ import annotations

import pytest
import redis

from shared.bus.acl import create_subscriber
from shared.bus.broker import entry_fields
from shared.events import ParticipantRegistered, SlotAssigned
from tests.support.servers import RedisServer

PUBLIC = ParticipantRegistered.stream()


@pytest.fixture
def subscriber(redis_server: RedisServer) -> redis.Redis:
    admin = redis.Redis(port=redis_server.port)
    admin.xadd(PUBLIC, entry_fields("ParticipantRegistered", "{}"))
    admin.xadd(f"{PUBLIC}.dlq", {"x": "1"})
    admin.xgroup_create(PUBLIC, "registration-readers", id="0")
    admin.lpush("notifier", "a celery task")
    create_subscriber(admin, "maison-des-assos", "s3cret-pass")
    return redis.Redis(port=redis_server.port, username="maison-des-assos", password="s3cret-pass")


def test_subscriber_reads_public_streams_with_its_own_group(subscriber: redis.Redis):
    subscriber.xgroup_create(PUBLIC, "maison-des-assos", id="0")
    entries = subscriber.xreadgroup("maison-des-assos", "app-1", {PUBLIC: ">"})
    [(_stream, [(entry_id, fields)])] = entries
    assert fields[b"event_type"] == b"ParticipantRegistered"
    assert subscriber.xack(PUBLIC, "maison-des-assos", entry_id) == 1
    subscriber.xgroup_create(SlotAssigned.stream(), "maison-des-assos", id="0", mkstream=True)


@pytest.mark.parametrize(
    "forbidden",
    [
        lambda r: r.xadd(PUBLIC, {"forged": "1"}),
        lambda r: r.xrange(f"{PUBLIC}.dlq"),
        lambda r: r.lrange("notifier", 0, -1),
        lambda r: r.delete(PUBLIC),
        lambda r: r.xtrim(PUBLIC, maxlen=0),
        lambda r: r.xgroup_destroy(PUBLIC, "registration-readers"),
        lambda r: r.keys("*"),
        lambda r: r.flushall(),
        lambda r: r.config_get("*"),
        lambda r: r.xgroup_create("rencontres.internal.anything", "g", id="0", mkstream=True),
    ],
    ids=[
        "xadd",
        "dlq",
        "celery-queue",
        "del",
        "xtrim",
        "destroy-group",
        "keys",
        "flushall",
        "config",
        "other-key",
    ],
)
def test_subscriber_can_do_nothing_else(subscriber: redis.Redis, forbidden):
    with pytest.raises(redis.exceptions.NoPermissionError):
        forbidden(subscriber)
