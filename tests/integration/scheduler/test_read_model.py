"""The participants read model and the edition, fed by real events."""

from __future__ import annotations

import uuid

import redis
from sqlalchemy import select

from services.scheduler.adapters.db import editions, participants
from shared.bus.broker import entry_fields
from shared.bus.consumer import Outcome
from shared.events import (
    ParticipantErased,
    ParticipantRegistered,
    ParticipantUpdated,
    RegistrationStatus,
    Role,
)
from tests.support.scheduler import EDITION, Harness
from tests.support.servers import wait_until


def row(h: Harness, pid: uuid.UUID):
    with h.app.kit.factory() as session:
        return session.execute(
            select(participants).where(participants.c.participant_id == str(pid))
        ).first()


def profile(cls, pid: uuid.UUID, revision: int, **extra):
    values = dict(
        edition_id=EDITION,
        participant_id=pid,
        role=Role.HOLDER,
        revision=revision,
        status=RegistrationStatus.REGISTERED,
        legal_form="association",
        tags=["mecenat"],
    )
    values.update(extra)
    return cls(**values)


def test_registered_then_updated_keeps_the_highest_revision(harness: Harness):
    pid = uuid.uuid4()
    assert harness.deliver(profile(ParticipantRegistered, pid, 1)) is Outcome.OK
    assert harness.deliver(profile(ParticipantUpdated, pid, 3, tags=["business-plan"])) == "ok"
    # An older revision arriving late changes nothing.
    assert harness.deliver(profile(ParticipantUpdated, pid, 2, tags=["mecenat"])) == "ok"
    stored = row(harness, pid)
    assert (stored.revision, stored.tags, stored.status) == (3, ["business-plan"], "inscrit")


def test_the_same_event_twice_is_applied_once(harness: Harness):
    event = profile(ParticipantRegistered, uuid.uuid4(), 1)
    assert harness.deliver(event) is Outcome.OK
    assert harness.deliver(event) is Outcome.DUPLICATE


def test_cancel_erase_and_check_in(harness: Harness):
    holder = harness.register(Role.HOLDER, "Asso Une", ["mecenat"])
    expert = harness.register(Role.EXPERT, "Banque Une", ["mecenat"])
    harness.check_in(holder, Role.HOLDER)
    assert row(harness, holder).present is True
    harness.check_in(holder, Role.HOLDER, present=False)
    assert row(harness, holder).present is False

    harness.cancel(holder, Role.HOLDER)
    assert row(harness, holder).status == "annule"

    harness.deliver(ParticipantErased(edition_id=EDITION, participant_id=expert, role=Role.EXPERT))
    erased = row(harness, expert)
    assert erased.erased is True and erased.tags == []
    # A late update of an erased person never brings them back.
    harness.deliver(profile(ParticipantUpdated, expert, 9, role=Role.EXPERT))
    assert row(harness, expert).erased is True


def test_first_event_creates_the_edition_and_announces_it(harness: Harness):
    harness.register(Role.HOLDER, "Asso Une", ["mecenat"])
    with harness.app.kit.factory() as session:
        stored = session.execute(select(editions)).all()
    assert [r.edition_id for r in stored] == [EDITION]
    announced = harness.outbox("EditionUpdated")
    assert len(announced) == 1
    assert announced[0]["settings"]["date"] == "2030-11-21"
    assert announced[0]["settings"]["slot_minutes"] == 30


def test_a_registration_arrives_through_the_real_stream(harness: Harness, redis_url: str):
    from fastapi.testclient import TestClient

    from services.scheduler.entrypoints.http import create_app

    pid = uuid.uuid4()
    event = profile(ParticipantRegistered, pid, 1)
    client = redis.Redis.from_url(redis_url)
    with TestClient(create_app(harness.app)):
        client.xadd(
            ParticipantRegistered.stream(harness.app.settings.bus_prefix),
            entry_fields(event.event_type, event.model_dump_json()),
        )
        stored = wait_until(lambda: row(harness, pid), what="the read model row")
    assert stored.role == "porteur" and stored.tags == ["mecenat"]
    pending = client.xpending(
        ParticipantRegistered.stream(harness.app.settings.bus_prefix), "scheduler"
    )
    assert pending["pending"] == 0
    client.close()
