"""The programme: defaults, the operator's form and API, EditionUpdated after each change."""

from __future__ import annotations

import datetime as dt
import json
import re

import redis
from fastapi.testclient import TestClient

from services.scheduler.bootstrap import bootstrap
from services.scheduler.entrypoints.http import _announce_edition, create_app
from shared.bus.broker import DATA_FIELD
from shared.events import EditionUpdated
from tests.integration.scheduler.conftest import TOKEN
from tests.support.scheduler import Harness, at, small_day


def client_for(harness: Harness) -> TestClient:
    return TestClient(create_app(harness.app), headers={"Authorization": f"Bearer {TOKEN}"})


def test_service_start_announces_the_default_programme_once(harness: Harness):
    with TestClient(create_app(harness.app)):
        pass
    # A second process starting on the same database announces nothing more.
    again = bootstrap(harness.app.settings, clock=harness.clock)
    _announce_edition(again)
    again.kit.engine.dispose()
    # The running service's relay may have published it (and deleted its outbox row) already.
    settings = harness.app.settings
    stream = EditionUpdated.stream(settings.bus_prefix)
    with redis.Redis.from_url(settings.redis_url) as client:
        on_stream = [json.loads(f[DATA_FIELD.encode()]) for _, f in client.xrange(stream)]
    announced = harness.outbox("EditionUpdated") + on_stream
    assert len(announced) == 1
    settings = announced[0]["settings"]
    assert [w["start"] for w in settings["windows"]] == ["10:00:00", "14:00:00"]
    assert {s["session_id"]: s["start"] for s in settings["sessions"]} == {
        "conference-matin": "11:00:00",
        "repas": "12:30:00",
        "conference-apres-midi": "15:30:00",
        "cloture": "17:00:00",
    }


def rows(*lines: tuple[str, str, str, str, str, str]) -> dict[str, str]:
    """The day's rows as the page posts them: (type, id, title, start, end, theme)."""
    form = {}
    for n, (kind, session_id, title, start, end, theme) in enumerate(lines):
        form |= {
            f"row-{n}-kind": kind,
            f"row-{n}-id": session_id,
            f"row-{n}-title": title,
            f"row-{n}-start": start,
            f"row-{n}-end": end,
            f"row-{n}-theme": theme,
        }
    return form


DAY = (
    ("fenetre", "", "", "10:00", "12:30", ""),
    ("conference", "conference-matin", "Conférence du matin", "11:00", "12:00", "RSE"),
    ("lunch", "repas", "Repas", "12:30", "14:00", ""),
    ("fenetre", "", "", "14:00", "16:00", ""),
)


def test_the_form_changes_the_programme_and_publishes_it(harness: Harness):
    client = client_for(harness)
    page = client.get("/admin/edition")
    assert page.status_code == 200
    # One row per moment of the day, by time, with its type chosen from a list.
    assert 'name="row-0-kind"' in page.text and 'type="time"' in page.text
    assert '<option value="fenetre" selected>Fenêtre de rendez-vous</option>' in page.text
    assert 'name="row-1-id" value="conference-matin"' in page.text
    assert 'name="windows"' not in page.text and 'name="sessions"' not in page.text
    form = {
        "title": "Rencontres 2030",
        "date": "2030-11-21",
        "venue": "PES 21, Dijon",
        "slot_minutes": "20",
        "tables": "12",
        "holder_max_meetings": "3",
        "capacity_holders": "40",
        "capacity_experts": "",
        **rows(*DAY, ("conference", "", "Atelier  mécénat", "14:00", "15:00", "Mécénat")),
        "row-5-kind": "conference",  # an empty row of the page: ignored
        "tags": "mecenat | Mécénat\nbusiness-plan | Business plan",
    }
    saved = client.post("/admin/edition", data=form, follow_redirects=False)
    assert saved.status_code == 303
    edition = client.get("/api/edition").json()
    assert edition["slot_minutes"] == 20 and edition["tables"] == 12
    assert (edition["capacity_holders"], edition["capacity_experts"]) == (40, None)
    assert [(w["start"], w["end"]) for w in edition["windows"]] == [
        ("10:00:00", "12:30:00"),
        ("14:00:00", "16:00:00"),
    ]
    # The existing session keeps its id; the new one gets one from its title.
    assert [(s["session_id"], s["kind"], s["half_day"]) for s in edition["sessions"]] == [
        ("conference-matin", "conference", "matin"),
        ("repas", "lunch", None),
        ("atelier-mecenat", "conference", "apres-midi"),
    ]
    assert edition["sessions"][0]["theme"] == "RSE"
    assert edition["sessions"][2]["title"] == "Atelier mécénat"
    assert [t["code"] for t in edition["tags"]] == ["mecenat", "business-plan"]
    announced = harness.outbox("EditionUpdated")
    assert len(announced) == 2 and announced[-1]["settings"]["slot_minutes"] == 20

    # Saving the same programme again publishes nothing (the new session's id is shown now).
    again = client.get("/admin/edition").text
    assert 'name="row-4-id" value="atelier-mecenat"' in again
    client.post("/admin/edition", data={**form, "row-4-id": "atelier-mecenat"})
    assert len(harness.outbox("EditionUpdated")) == 2

    # A row checked « Retirer » goes.
    client.post(
        "/admin/edition", data={**form, "row-4-id": "atelier-mecenat", "row-4-remove": "oui"}
    )
    assert [s["session_id"] for s in client.get("/api/edition").json()["sessions"]] == [
        "conference-matin",
        "repas",
    ]
    assert len(harness.outbox("EditionUpdated")) == 3
    form |= {"row-4-id": "", "row-4-remove": "oui"}

    for field, value, message in (
        ("tables", "abc", "Indiquez un nombre entier de 1 à 500."),
        ("tables", "99999999999", "Indiquez un nombre entier de 1 à 500."),
        ("slot_minutes", "5", "Indiquez un nombre entier de 10 à 120."),
        ("holder_max_meetings", "-1", "Indiquez un nombre entier de 1 à 100."),
        ("capacity_holders", "0", "Indiquez un nombre entier de 1 à 10"),
        ("date", "21/11/2030", "Indiquez la date de la journée, par exemple 2026-11-19."),
        ("row-1-start", "midi", "Indiquez l&#39;heure de début, par exemple 11:00."),
        ("row-1-end", "10:30", "La fin (10:30) doit suivre le début (11:00)."),
        ("row-2-title", " ", "Donnez un titre à cette session."),
        ("row-3-start", "12:00", "Les fenêtres de rendez-vous 10 h 00 – 12 h 30 et 12 h 00"),
        ("row-0-kind", "atelier", "Choisissez le type dans la liste."),
        ("registration_closes", "bientôt", "Indiquez une date et une heure"),
    ):
        bad = client.post("/admin/edition", data={**form, field: value})
        assert bad.status_code == 422 and message in bad.text, (field, value)
        # Said at the field, and what was typed is still there.
        name = "rows" if field == "row-3-start" else field
        assert f'id="f-{name}-error"' in bad.text, field
        assert "rien n'est enregistré" in bad.text
    no_window = {k: v for k, v in form.items() if not k.startswith(("row-0", "row-3"))}
    bad = client.post("/admin/edition", data=no_window)
    assert bad.status_code == 422 and "Indiquez au moins une fenêtre de rendez-vous." in bad.text
    assert len(harness.outbox("EditionUpdated")) == 3


def test_a_row_is_added_without_a_script_and_nothing_is_saved(harness: Harness):
    client = client_for(harness)
    form = {"date": "2030-11-21", **rows(*DAY), "row-4-title": "Brouillon", "action": "ajouter"}
    more = client.post("/admin/edition", data=form)
    assert more.status_code == 200
    assert "3 lignes ajoutées en bas du tableau" in more.text
    assert 'value="Brouillon"' in more.text  # what was typed stays
    # The five rows typed, the page's two empty rows and the three added.
    assert len(re.findall(r'name="row-\d+-kind"', more.text)) == 5 + 2 + 3
    assert not harness.outbox("EditionUpdated")


def test_the_programme_warns_of_overlaps_and_empty_windows(harness: Harness):
    client = client_for(harness)
    form = {
        "date": "2030-11-21",
        **rows(
            ("fenetre", "", "", "10:00", "12:30", ""),
            ("conference", "conference-matin", "Conférence du matin", "11:10", "12:00", ""),
            ("lunch", "repas", "Repas", "12:00", "14:00", ""),
            ("fenetre", "", "", "14:00", "14:20", ""),
            ("conference", "", "Table ronde", "16:00", "17:00", ""),
            ("fenetre", "", "", "16:00", "17:00", ""),
        ),
    }
    assert client.post("/admin/edition", data=form, follow_redirects=False).status_code == 303
    page = " ".join(client.get("/admin/edition").text.replace("&#39;", "'").split())
    assert (
        "« Conférence du matin » (11 h 10 – 12 h 00) et « Repas » (12 h 00 – 14 h 00)" not in page
    )
    assert (
        "« Repas » (12 h 00 – 14 h 00) tombe pendant la fenêtre de rendez-vous "
        "10 h 00 – 12 h 30" in page
    )
    assert "au milieu du créneau 11 h 00 – 11 h 30" in page
    assert "La fenêtre de rendez-vous 14 h 00 – 14 h 20 est plus courte qu'un créneau" in page
    assert (
        "La conférence « Table ronde » (16 h 00 – 17 h 00) occupe toute la fenêtre de "
        "rendez-vous 16 h 00 – 17 h 00" in page
    )
    overlap = {**form, "row-2-start": "11:30"}
    client.post("/admin/edition", data=overlap)
    page = " ".join(client.get("/admin/edition").text.split())
    assert (
        "« Conférence du matin » (11 h 10 – 12 h 00) et « Repas » (11 h 30 – 14 h 00) "
        "se chevauchent" in page
    )


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
        **rows(
            ("fenetre", "", "", "10:00", "12:30", ""), ("fenetre", "", "", "14:00", "16:30", "")
        ),
        "registration_opens": "2030-10-01T09:00",
        "registration_closes": "2030-11-14T18:00",
    }
    saved = client.post("/admin/edition", data=fields, follow_redirects=False)
    assert saved.status_code == 303
    edition = client.get("/api/edition").json()
    # The form speaks Paris time, summer or winter.
    assert edition["registration_opens"] == "2030-10-01T09:00:00+02:00"
    assert edition["registration_closes"] == "2030-11-14T18:00:00+01:00"
    assert 'id="avertissements"' not in client.get("/admin/edition").text  # 1 November: to come

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


def test_odd_posts_get_a_french_answer_never_a_server_error(harness: Harness):
    client = client_for(harness)
    base = {"date": "2030-11-21", **rows(*DAY)}
    many = {f"row-{n}-title": f"Session {n}" for n in range(61)}
    for extra, status, message in (
        (many, 422, "Le programme compte au plus 60 lignes."),
        ({"row-1-start": "25:00"}, 422, "Indiquez l&#39;heure de début"),
        ({"row-1-end": "12:75"}, 422, "Indiquez l&#39;heure de fin"),
        ({"row-1-start": "1" * 5000}, 422, "Indiquez l&#39;heure de début"),
        ({"row-abc-kind": "conference", "row-9-x": "?"}, 303, ""),  # not rows: ignored
        ({"row-1-id": "rendez-vous-matin"}, 303, ""),  # a forged id: a fresh one instead
        ({"row-1-start": "11h", "row-1-end": "12 h 00"}, 303, ""),  # typed without a picker
    ):
        answer = client.post("/admin/edition", data={**base, **extra}, follow_redirects=False)
        assert answer.status_code == status and message in answer.text, extra
    ids = [s["session_id"] for s in client.get("/api/edition").json()["sessions"]]
    assert "rendez-vous-matin" not in ids and "conference-du-matin" in ids
