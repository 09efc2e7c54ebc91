"""Closing sessions: by the operator or by the clock, SessionClosed exactly once."""

from __future__ import annotations

import json
import threading

import redis
from fastapi.testclient import TestClient
from sqlalchemy import select

from services.scheduler.adapters.db import closed_sessions
from services.scheduler.entrypoints.clock import tick
from services.scheduler.entrypoints.http import create_app
from services.scheduler.service_layer import planning
from services.scheduler.service_layer.sessions import MEETINGS
from shared.bus.broker import DATA_FIELD
from shared.db import transaction
from shared.events import Role, SessionClosed
from tests.integration.scheduler.conftest import TOKEN
from tests.support.scheduler import EDITION, Harness, at, small_day


def closed_events(harness: Harness) -> list[dict]:
    return harness.outbox("SessionClosed")


def test_conference_closed_twice_publishes_once(harness: Harness, redis_url: str):
    day = small_day(harness)
    goer = harness.register(Role.HOLDER, "Asso Conf", ["mecenat"], sessions=["conference-matin"])
    absent_goer = harness.register(
        Role.HOLDER, "Asso Absente", ["mecenat"], sessions=["conference-matin"]
    )
    harness.check_in(goer, Role.HOLDER)
    harness.check_in(day.experts[0], Role.EXPERT)
    del absent_goer
    harness.clock.now = at(12, 5)
    client = TestClient(create_app(harness.app), headers={"Authorization": f"Bearer {TOKEN}"})
    first = client.post("/api/sessions/conference-matin/close").json()
    second = client.post("/api/sessions/conference-matin/close").json()
    assert first["closed"] is True and second["closed"] is False
    assert first["attendees"] == 1
    events = closed_events(harness)
    assert len(events) == 1
    event = events[0]
    assert event["session_id"] == "conference-matin" and event["kind"] == "conference"
    assert event["attendee_ids"] == [str(goer)] and event["attendees"] == 1
    assert event["closed_at"] == "2030-11-21T11:05:00Z"
    # And the clock's own check does not close it again.
    tick(harness.app)
    assert len(closed_events(harness)) == 1

    # It reaches a consumer group of another service on the real Redis.
    harness.app.kit.runtime.relay.publish_all()
    stream = SessionClosed.stream(harness.app.settings.bus_prefix)
    r = redis.Redis.from_url(redis_url)
    r.xgroup_create(stream, "surveys", id="0")
    entries = r.xreadgroup("surveys", "test", {stream: ">"}, count=10)
    bodies = [json.loads(fields[DATA_FIELD.encode()]) for _, fields in entries[0][1]]
    assert [b["session_id"] for b in bodies] == ["conference-matin"]
    assert bodies[0]["event_id"] == event["event_id"]
    r.close()


def test_concurrent_closes_make_one_row(harness: Harness):
    small_day(harness)
    harness.clock.now = at(17, 0)
    client = TestClient(create_app(harness.app), headers={"Authorization": f"Bearer {TOKEN}"})
    results: list[bool] = []

    def close() -> None:
        results.append(client.post("/api/sessions/rendez-vous-matin/close").json()["closed"])

    threads = [threading.Thread(target=close) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, False, False, True]
    assert len(closed_events(harness)) == 1
    with harness.app.kit.factory() as session:
        assert len(session.execute(select(closed_sessions)).all()) == 1


def test_the_clock_closes_windows_and_the_day_with_meeting_counts(harness: Harness):
    day = small_day(harness)
    with transaction(harness.app.kit.factory) as session:
        planning.plan_draft(session, harness.app, EDITION)
    with transaction(harness.app.kit.factory) as session:
        planning.publish(session, harness.app, EDITION)
        version = planning.published_version(session, EDITION)
        rows = planning.active_rows(session, version.id)
    everyone = [(p, Role.HOLDER) for p in day.holders] + [(p, Role.EXPERT) for p in day.experts]
    missing = str(day.holders[0])
    for pid, role in everyone:
        if str(pid) != missing:
            harness.check_in(pid, role)
    morning = [r for r in rows if r.start < at(12, 30)]
    expected_missed = sum(1 for r in morning if r.holder_id == missing)

    harness.clock.now = at(9, 0)
    assert tick(harness.app) == []
    harness.clock.now = at(12, 31)
    held, missed = (MEETINGS.labels(o)._value.get() for o in ("held", "missed"))
    assert tick(harness.app) == ["conference-matin", "rendez-vous-matin"]
    assert tick(harness.app) == []  # safe to run twice
    assert MEETINGS.labels("held")._value.get() == held + len(morning) - expected_missed
    assert MEETINGS.labels("missed")._value.get() == missed + expected_missed
    window = next(e for e in closed_events(harness) if e["session_id"] == "rendez-vous-matin")
    assert window["kind"] == "window"
    assert window["meetings_held"] == len(morning) - expected_missed
    assert window["meetings_missed"] == expected_missed

    harness.clock.now = at(18, 0)
    assert tick(harness.app) == ["conference-apres-midi", "rendez-vous-apres-midi", "journee"]
    day_event = next(e for e in closed_events(harness) if e["session_id"] == "journee")
    assert day_event["kind"] == "day"
    assert day_event["attendees"] == len(everyone) - 1
    assert missing not in day_event["attendee_ids"]
    assert day_event["meetings_held"] + day_event["meetings_missed"] == len(rows)
    assert len(closed_events(harness)) == 5
    # The day's closing repeats the windows' meetings: counted once, by the windows.
    assert MEETINGS.labels("held")._value.get() + MEETINGS.labels("missed")._value.get() == (
        held + missed + len(rows)
    )


def test_an_old_edition_never_closes_itself(harness: Harness):
    small_day(harness)
    harness.clock.now = at(18, 0).replace(year=2031)
    assert tick(harness.app) == []
    assert closed_events(harness) == []


def test_the_day_page_closes_a_session_after_a_confirmation(harness: Harness):
    client = TestClient(create_app(harness.app), headers={"Authorization": f"Bearer {TOKEN}"})
    page = client.get("/admin/journee")
    assert page.status_code == 200
    assert 'href="/admin/journee/conference-matin/cloture"' in page.text
    ask = client.get("/admin/journee/conference-matin/cloture")
    assert "Clôturer « " in ask.text and "recevront son questionnaire" in ask.text
    assert 'action="/admin/journee/conference-matin/cloture"' in ask.text
    assert closed_events(harness) == []
    done = client.post("/admin/journee/conference-matin/cloture")
    assert done.status_code == 200 and "Session clôturée." in done.text
    assert "Clôturée" in done.text
    assert client.post("/api/sessions/inconnue/close").status_code == 404


def test_sessions_api_lists_each_session_and_whether_it_is_closed(harness: Harness):
    small_day(harness)
    harness.clock.now = at(12, 5)
    client = TestClient(create_app(harness.app), headers={"Authorization": f"Bearer {TOKEN}"})
    before = client.get("/api/sessions").json()
    assert before["edition_id"] == EDITION and before["published_version"] is None
    ids = [s["session_id"] for s in before["sessions"]]
    assert "conference-matin" in ids and ids[-1] == "journee"
    assert not any(s["closed"] for s in before["sessions"])
    client.post("/api/sessions/conference-matin/close").raise_for_status()
    after = {s["session_id"]: s for s in client.get("/api/sessions").json()["sessions"]}
    assert after["conference-matin"]["closed"] and after["conference-matin"]["closed_at"]
    assert not after["journee"]["closed"]
    assert TestClient(create_app(harness.app)).get("/api/sessions").status_code == 401


def test_closing_the_day_closes_what_is_still_open(harness: Harness):
    """The operator closes the morning's conference, then « La journée » at 14:30: the two
    meeting windows and the afternoon's conference close with it, each once, and the page
    shows every session closed, under its French name."""
    day = small_day(harness)
    with transaction(harness.app.kit.factory) as session:
        planning.plan_draft(session, harness.app, EDITION)
    with transaction(harness.app.kit.factory) as session:
        planning.publish(session, harness.app, EDITION)
        rows = planning.active_rows(session, planning.published_version(session, EDITION).id)
    for pid in day.holders:
        harness.check_in(pid, Role.HOLDER)
    for pid in day.experts:
        harness.check_in(pid, Role.EXPERT)
    harness.clock.now = at(14, 30)
    client = TestClient(create_app(harness.app), headers={"Authorization": f"Bearer {TOKEN}"})
    client.post("/admin/journee/conference-matin/cloture").raise_for_status()

    ask = client.get("/admin/journee/journee/cloture").text.replace("&#39;", "'")
    assert (
        "Les sessions encore ouvertes seront clôturées avec elle : « Rendez-vous (matin) », "
        "« Conférence-débat de l'après-midi », « Rendez-vous (après-midi) »"
    ) in ask
    assert "Conférence-débat du matin" not in ask

    held, missed = (MEETINGS.labels(o)._value.get() for o in ("held", "missed"))
    done = client.post("/admin/journee/journee/cloture")
    assert done.status_code == 200
    assert "Session clôturée, avec celles encore ouvertes : « Rendez-vous (matin) »" in done.text
    page = client.get("/admin/journee").text
    assert "Ouverte" not in page and "Clôturer…" not in page
    assert page.count("<strong>Clôturée</strong>") == 5
    assert "Rendez-vous (après-midi)" in page and "apres midi" not in page
    assert "Conférence-débat de l'après-midi" in page.replace("&#39;", "'")

    events = closed_events(harness)
    assert [e["session_id"] for e in events] == [
        "conference-matin",
        "rendez-vous-matin",
        "conference-apres-midi",
        "rendez-vous-apres-midi",
        "journee",
    ]
    # The windows' meetings are counted once, by the windows the day closed.
    windows = [e for e in events if e["kind"] == "window"]
    assert sum(e["meetings_held"] for e in windows) == len(rows)
    assert MEETINGS.labels("held")._value.get() == held + len(rows)
    assert MEETINGS.labels("missed")._value.get() == missed

    # The API and the home page's source say the same; closing again changes nothing.
    states = client.get("/api/sessions").json()["sessions"]
    assert all(s["closed"] for s in states)
    again = client.post("/api/sessions/journee/close").json()
    assert again == {**again, "closed": False, "also_closed": []}
    assert len(closed_events(harness)) == 5
    # The clock, later, finds nothing left to close.
    harness.clock.now = at(18, 0)
    assert tick(harness.app) == []


def test_the_api_closes_the_day_and_names_what_closed_with_it(harness: Harness):
    small_day(harness)
    harness.clock.now = at(11, 30)
    client = TestClient(create_app(harness.app), headers={"Authorization": f"Bearer {TOKEN}"})
    answer = client.post("/api/sessions/journee/close").json()
    assert answer["closed"] is True
    assert answer["also_closed"] == [
        "conference-matin",
        "rendez-vous-matin",
        "conference-apres-midi",
        "rendez-vous-apres-midi",
    ]
