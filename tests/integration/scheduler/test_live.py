"""Live re-planning after publication: cancellation, late registration, no-show."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from services.scheduler.adapters.db import participants
from services.scheduler.entrypoints.http import create_app
from services.scheduler.service_layer import planning
from shared.db import transaction
from shared.events import Role
from tests.integration.scheduler.conftest import TOKEN
from tests.support.scheduler import EDITION, Harness, SmallDay, at, small_day


@pytest.fixture
def published(harness: Harness) -> SmallDay:
    day = small_day(harness)
    with transaction(harness.app.kit.factory) as session:
        planning.plan_draft(session, harness.app, EDITION)
    with transaction(harness.app.kit.factory) as session:
        planning.publish(session, harness.app, EDITION)
    return day


def meetings(harness: Harness) -> dict[str, tuple[str, str, str, int]]:
    with transaction(harness.app.kit.factory) as session:
        version = planning.published_version(session, EDITION)
        rows = planning.active_rows(session, version.id)
    return {r.appointment_id: (r.holder_id, r.expert_id, r.start, r.table_number) for r in rows}


def test_cancellation_releases_only_that_persons_meetings(harness, published):
    before = meetings(harness)
    holder = str(published.holders[0])
    theirs = {k for k, v in before.items() if v[0] == holder}
    assert theirs
    mark = harness.outbox_count()
    harness.cancel(published.holders[0], Role.HOLDER)
    news = harness.outbox()[mark:]
    released = [e for e in news if e["event_type"] == "SlotReleased"]
    assert {e["appointment_id"] for e in released if e["reason"] == "annulation"} == theirs
    after = meetings(harness)
    # Every other published meeting is exactly where it was.
    for key, value in before.items():
        if key not in theirs:
            assert after[key] == value
    assigned = [e for e in news if e["event_type"] == "SlotAssigned"]
    new_ids = set(after) - set(before)
    assert {e["appointment_id"] for e in assigned} == new_ids
    assert all(after[k][0] != holder for k in after)


def test_late_registration_gets_meetings_without_moving_anyone(harness, published):
    before = meetings(harness)
    mark = harness.outbox_count()
    late = harness.register(Role.HOLDER, "Asso Tardive", ["mecenat", "financement-projet"])
    news = harness.outbox()[mark:]
    after = meetings(harness)
    assert all(after[k] == v for k, v in before.items())
    assert not [e for e in news if e["event_type"] == "SlotReleased"]
    added = [e for e in news if e["event_type"] == "SlotAssigned"]
    assert added and {e["holder_id"] for e in added} == {str(late)}
    assert {e["appointment_id"] for e in added} == set(after) - set(before)


def test_late_registration_replans_within_a_second_at_50_by_15(harness):
    tags = ["mecenat", "business-plan", "financement-projet", "relation-bancaire"]
    for j in range(15):
        harness.register(Role.EXPERT, f"Banque {j}", [tags[j % 4], tags[(j + 1) % 4]])
    for i in range(50):
        harness.register(Role.HOLDER, f"Asso {i}", [tags[i % 4], tags[(i + 2) % 4]])
    with transaction(harness.app.kit.factory) as session:
        planning.plan_draft(session, harness.app, EDITION)
    with transaction(harness.app.kit.factory) as session:
        planning.publish(session, harness.app, EDITION)
    import time

    started = time.perf_counter()
    harness.register(Role.HOLDER, "Asso Tardive", ["mecenat"])
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0, f"late registration took {elapsed:.2f}s"


def test_no_show_releases_and_replans_around_the_absent(harness, published):
    before = meetings(harness)
    first_slot = min(v[2] for v in before.values())
    holder = min(v[0] for v in before.values() if v[2] == first_slot)
    # Everybody with a meeting at 10:00 arrived except one holder.
    for k, (h, e, start, _t) in before.items():
        for pid, role in ((h, Role.HOLDER), (e, Role.EXPERT)):
            if pid != holder:
                harness.check_in(_uuid(pid), role)
    first_ten = [k for k, v in before.items() if v[2] == first_slot]
    harness.clock.now = at(10, 5)
    client = TestClient(create_app(harness.app), headers={"Authorization": f"Bearer {TOKEN}"})
    mark = harness.outbox_count()
    result = client.post("/api/schedule/no-shows").json()
    assert result["absent"] == 1
    news = harness.outbox()[mark:]
    released = [e for e in news if e["event_type"] == "SlotReleased"]
    theirs = {k for k, v in before.items() if v[0] == holder}
    assert {e["appointment_id"] for e in released if e["reason"] == "absence"} == theirs
    assert result["released"] == len(theirs)
    after = meetings(harness)
    assert not any(v[0] == holder for v in after.values())
    # The 10:00 meetings of the others are untouched; nothing new lands in a started slot.
    for k in first_ten:
        if before[k][0] != holder:
            assert after[k] == before[k]
    assert all(v[2] > first_slot for k, v in after.items() if k not in before)
    # Pressing the button again does nothing more.
    assert client.post("/api/schedule/no-shows").json()["released"] == 0


def test_a_named_person_who_sent_word_is_recorded_as_excused(harness, published):
    holder = min(v[0] for v in meetings(harness).values())
    client = TestClient(create_app(harness.app), headers={"Authorization": f"Bearer {TOKEN}"})
    result = client.post(
        "/api/schedule/no-shows", json={"participant_ids": [holder], "excused": True}
    ).json()
    assert result["absent"] == 1 and result["released"] >= 1
    with transaction(harness.app.kit.factory) as session:
        flags = session.execute(
            select(participants.c.absent, participants.c.excused).where(
                participants.c.participant_id == holder
            )
        ).one()
    assert tuple(flags) == (True, True)
    assert not any(v[0] == holder for v in meetings(harness).values())


def _uuid(text: str):
    import uuid

    return uuid.UUID(text)


def test_automatic_no_show_once_per_slot_and_never_without_check_in(harness, published):
    from services.scheduler.entrypoints.clock import tick

    harness.app.settings = harness.app.settings.model_copy(
        update={"auto_no_show": True, "no_show_grace_minutes": 10}
    )
    before = meetings(harness)
    # Nobody checked in: a day run without check-in never loses a meeting.
    harness.clock.now = at(10, 15)
    tick(harness.app)
    assert meetings(harness) == before

    first_slot = min(v[2] for v in before.values())
    holder = min(v[0] for v in before.values() if v[2] == first_slot)
    for h, e, _start, _t in before.values():
        for pid, role in ((h, Role.HOLDER), (e, Role.EXPERT)):
            if pid != holder:
                harness.check_in(_uuid(pid), role)
    harness.clock.now = at(10, 5)  # within the grace period: nothing yet
    tick(harness.app)
    assert meetings(harness) == before
    harness.clock.now = at(10, 12)
    mark = harness.outbox_count()
    tick(harness.app)
    released = [e for e in harness.outbox()[mark:] if e["event_type"] == "SlotReleased"]
    assert {e["holder_id"] for e in released} == {holder}
    assert all(e["reason"] == "absence" for e in released)
    mark = harness.outbox_count()
    tick(harness.app)  # the same slot is not checked twice
    assert harness.outbox_count() == mark
