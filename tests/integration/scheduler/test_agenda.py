"""Personal agendas: page, calendar file, PDF, table sheet, and the notifier's internal API."""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo

import icalendar
import pypdf
import pytest
from fastapi.testclient import TestClient

from services.scheduler.entrypoints.http import create_app
from services.scheduler.service_layer import planning
from services.scheduler.service_layer.agenda import agenda_token
from shared.db import transaction
from shared.events import Role
from tests.integration.scheduler.conftest import SECRET, TOKEN
from tests.support.scheduler import EDITION, Harness, small_day

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


@pytest.fixture
def holder(harness: Harness):
    day = small_day(harness)
    # The holder under test goes to the morning conference and to lunch.
    pid = harness.register(
        Role.HOLDER,
        "Asso Agenda",
        ["mecenat", "business-plan"],
        sessions=["conference-matin"],
        lunch=True,
        wants=[day.experts[1]],
    )
    with transaction(harness.app.kit.factory) as session:
        planning.plan_draft(session, harness.app, EDITION)
    with transaction(harness.app.kit.factory) as session:
        planning.publish(session, harness.app, EDITION)
    return pid, day


def mine(harness: Harness, pid) -> list:
    with transaction(harness.app.kit.factory) as session:
        version = planning.published_version(session, EDITION)
        return [r for r in planning.active_rows(session, version.id) if r.holder_id == str(pid)]


def test_ics_has_meetings_conference_and_lunch_in_paris_time(harness, holder):
    pid, _day = holder
    client = TestClient(create_app(harness.app))
    token = agenda_token(SECRET, str(pid), EDITION)
    response = client.get(f"/agenda/{token}.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.text)
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]
    events = calendar.walk("VEVENT")
    rows = mine(harness, pid)
    assert rows
    meetings = [e for e in events if str(e["SUMMARY"]).startswith("Rendez-vous avec ")]
    assert len(meetings) == len(rows)
    for event, row in zip(sorted(meetings, key=lambda e: e.decoded("DTSTART")), rows, strict=True):
        start = event.decoded("DTSTART")
        assert start.tzinfo is not None and str(start.tzinfo) == "Europe/Paris"
        assert start == row.start
        assert (
            "TZID=Europe/Paris" in event["DTSTART"].to_ical().decode()
            or event["DTSTART"].params.get("TZID") == "Europe/Paris"
        )
        assert f"T{row.table_number:02d}" in str(event["LOCATION"])
        assert f"Table : T{row.table_number:02d}" in str(event["DESCRIPTION"])
        organisation = harness.registration.people[row.expert_id]["organisation"]
        assert f"Structure : {organisation}" in str(event["DESCRIPTION"])
        assert str(event["SUMMARY"]) == f"Rendez-vous avec {organisation}"
    titles = {str(e["SUMMARY"]) for e in events}
    assert "Conférence-débat du matin" in titles
    assert "Repas d'affaires et réseautage" in titles
    assert "Conférence-débat de l'après-midi" not in titles
    conference = next(e for e in events if str(e["SUMMARY"]) == "Conférence-débat du matin")
    assert conference.decoded("DTSTART") == dt.datetime(2030, 11, 21, 11, tzinfo=PARIS)
    # At the conference, no meeting.
    assert all(
        not (r.start < conference.decoded("DTEND") and conference.decoded("DTSTART") < r.end)
        for r in rows
    )


def test_pdf_agenda_is_one_page_with_the_meetings(harness, holder):
    pid, _day = holder
    client = TestClient(create_app(harness.app))
    token = agenda_token(SECRET, str(pid), EDITION)
    response = client.get(f"/agenda/{token}.pdf")
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "Mon agenda" in text and "Asso Agenda" in text
    for row in mine(harness, pid):
        organisation = harness.registration.people[row.expert_id]["organisation"]
        assert organisation in text
        assert f"T{row.table_number:02d}" in text
        assert row.start.astimezone(PARIS).strftime("%H:%M") in text
    assert "Conférence-débat du matin" in text
    assert f"http://rencontres.example/agenda/{token}" in text.replace("\n", "")


def test_agenda_page_and_bad_token(harness, holder):
    pid, _day = holder
    client = TestClient(create_app(harness.app))
    token = agenda_token(SECRET, str(pid), EDITION)
    page = client.get(f"/agenda/{token}")
    assert page.status_code == 200 and "Mon agenda" in page.text and "Banque" in page.text
    forged = agenda_token("not-the-secret", str(pid), EDITION)
    assert client.get(f"/agenda/{forged}").status_code == 404


def test_internal_agenda_api(harness, holder):
    pid, _day = holder
    client = TestClient(create_app(harness.app))
    assert client.get(f"/internal/agendas/{pid}").status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert client.get(f"/internal/agendas/{pid}", headers=wrong).status_code == 401
    auth = {"Authorization": f"Bearer {TOKEN}"}
    unknown = client.get("/internal/agendas/00000000-0000-0000-0000-000000000000", headers=auth)
    assert unknown.status_code == 404
    response = client.get(f"/internal/agendas/{pid}", headers=auth)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"participant_id", "agenda_url", "ics", "items"}
    assert body["participant_id"] == str(pid)
    assert body["agenda_url"].startswith("http://rencontres.example/agenda/")
    assert body["ics"].startswith("BEGIN:VCALENDAR")
    rows = mine(harness, pid)
    meetings = [i for i in body["items"] if i["table"]]
    assert len(meetings) == len(rows)
    assert set(meetings[0]) == {
        "kind",
        "start",
        "end",
        "title",
        "table",
        "counterpart_organisation",
        "counterpart_id",
        "topics",
    }
    assert meetings[0]["kind"] == "rendez-vous"
    assert meetings[0]["counterpart_id"] in {r.expert_id for r in rows}
    assert meetings[0]["counterpart_organisation"].startswith("Banque ")
    assert dt.datetime.fromisoformat(meetings[0]["start"]).utcoffset() == dt.timedelta(hours=1)
    # The agenda link works.
    path = body["agenda_url"].removeprefix("http://rencontres.example")
    assert client.get(path).status_code == 200


def test_no_agenda_before_publication_or_after_cancellation(harness):
    day = small_day(harness)
    client = TestClient(create_app(harness.app), headers={"Authorization": f"Bearer {TOKEN}"})
    assert client.get(f"/internal/agendas/{day.holders[0]}").status_code == 404
    client.post("/api/schedule/plan")
    client.post("/api/schedule/publish")
    assert client.get(f"/internal/agendas/{day.holders[0]}").status_code == 200
    harness.cancel(day.holders[0], Role.HOLDER)
    assert client.get(f"/internal/agendas/{day.holders[0]}").status_code == 404


def test_expert_table_sheet_lists_holders_and_their_needs(harness, holder):
    _pid, day = holder
    client = TestClient(create_app(harness.app), headers={"Authorization": f"Bearer {TOKEN}"})
    expert = day.experts[1]
    page = client.get(f"/admin/tables/{expert}")
    assert page.status_code == 200
    assert "Fiche de table – Banque 2" in page.text
    assert "Asso Agenda" in page.text
    assert "Mécénat, Business plan" in page.text
