"""The programme: defaults, the operator's form and API, EditionUpdated after each change."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from services.scheduler.bootstrap import bootstrap
from services.scheduler.entrypoints.http import _announce_edition, create_app
from tests.integration.scheduler.conftest import TOKEN, Harness, at, small_day


def client_for(harness: Harness) -> TestClient:
    return TestClient(create_app(harness.app), headers={"Authorization": f"Bearer {TOKEN}"})


def test_service_start_announces_the_default_programme_once(harness: Harness):
    with TestClient(create_app(harness.app)):
        pass
    # A second process starting on the same database announces nothing more.
    again = bootstrap(harness.app.settings, clock=harness.clock)
    _announce_edition(again)
    again.kit.engine.dispose()
    announced = harness.outbox("EditionUpdated")
    assert len(announced) == 1
    settings = announced[0]["settings"]
    assert [w["start"] for w in settings["windows"]] == ["10:00:00", "14:00:00"]
    assert {s["session_id"]: s["start"] for s in settings["sessions"]} == {
        "conference-matin": "11:00:00",
        "repas": "12:30:00",
        "conference-apres-midi": "15:30:00",
        "cloture": "17:00:00",
    }


def test_the_form_changes_the_programme_and_publishes_it(harness: Harness):
    client = client_for(harness)
    page = client.get("/admin/edition")
    assert page.status_code == 200 and 'name="windows"' in page.text
    form = {
        "title": "Rencontres 2030",
        "date": "2030-11-21",
        "venue": "PES 21, Dijon",
        "slot_minutes": "20",
        "tables": "12",
        "holder_max_meetings": "3",
        "windows": "10:00-12:30\n14:00-16:00",
        "sessions": "conference-matin | conference | Conférence du matin | 11:00-12:00 | RSE\n"
        "repas | repas | Repas | 12:30-14:00 |",
        "tags": "mecenat | Mécénat\nbusiness-plan | Business plan",
    }
    saved = client.post("/admin/edition", data=form, follow_redirects=False)
    assert saved.status_code == 303
    edition = client.get("/api/edition").json()
    assert edition["slot_minutes"] == 20 and edition["tables"] == 12
    assert edition["sessions"][0]["theme"] == "RSE"
    assert edition["sessions"][0]["half_day"] == "matin"
    assert [t["code"] for t in edition["tags"]] == ["mecenat", "business-plan"]
    announced = harness.outbox("EditionUpdated")
    assert len(announced) == 2 and announced[-1]["settings"]["slot_minutes"] == 20

    # Saving the same programme again publishes nothing.
    client.post("/admin/edition", data=form)
    assert len(harness.outbox("EditionUpdated")) == 2

    bad = client.post("/admin/edition", data={**form, "windows": "midi-deux"})
    assert bad.status_code == 422
    assert "écrivez une plage horaire comme 10:00-12:30" in bad.text

    for field, value, message in (
        ("tables", "abc", "Tables : « abc » n&#39;est pas un nombre entier"),
        ("tables", "99999999999", "Tables : doit être compris entre 1 et 500"),
        ("slot_minutes", "5", "Durée des créneaux : doit être compris entre 10 et 120"),
        ("holder_max_meetings", "-1", "Rendez-vous par porteur : doit être compris entre 1"),
    ):
        bad = client.post("/admin/edition", data={**form, field: value})
        assert bad.status_code == 422 and message in bad.text, (field, value)
    assert len(harness.outbox("EditionUpdated")) == 2


def test_the_slots_of_a_published_day_cannot_change(harness: Harness):
    small_day(harness)
    client = client_for(harness)
    client.post("/api/schedule/plan")
    client.post("/api/schedule/publish")
    edition = client.get("/api/edition").json()
    edition["slot_minutes"] = 20
    refused = client.put("/api/edition", json={"settings": edition})
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith("Le planning est publié")
    edition["slot_minutes"] = 30
    edition["venue"] = "Salle des fêtes"
    assert client.put("/api/edition", json={"settings": edition}).status_code == 200


def test_the_programme_page_warns_of_dates_that_close_the_forms(harness: Harness):
    client = client_for(harness)
    fields = {
        "date": "2030-11-21",
        "windows": "10:00-12:30\n14:00-16:30",
        "registration_opens": "2030-10-01T09:00",
        "registration_closes": "2030-11-14T18:00",
    }
    saved = client.post("/admin/edition", data=fields, follow_redirects=False)
    assert saved.status_code == 303
    edition = client.get("/api/edition").json()
    # The form speaks Paris time, summer or winter.
    assert edition["registration_opens"] == "2030-10-01T09:00:00+02:00"
    assert edition["registration_closes"] == "2030-11-14T18:00:00+01:00"
    assert 'class="warning"' not in client.get("/admin/edition").text  # 1 November: to come

    harness.clock.now = at(9, 0) - dt.timedelta(days=3)
    page = client.get("/admin/edition").text
    assert "La clôture des inscriptions (14 novembre 2030 à 18 h 00) est passée" in page

    harness.clock.now = at(9, 0) + dt.timedelta(days=1)
    page = client.get("/admin/edition").text
    assert "La date de la journée (jeudi 21 novembre 2030) est passée" in page
    assert "La clôture des inscriptions" not in page.split("<form")[0]

    # A closing after the day is allowed, but said to be overtaken by the day itself.
    harness.clock.now = at(9, 0) - dt.timedelta(days=10)
    client.post("/admin/edition", data={**fields, "registration_closes": "2030-11-25T12:00"})
    page = client.get("/admin/edition").text
    assert "suit la journée : les formulaires fermeront de toute façon le lendemain" in page
