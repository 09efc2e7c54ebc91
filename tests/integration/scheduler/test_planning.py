"""Planning on the read model: draft, review, operator edits, publication, export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
import redis
from fastapi.testclient import TestClient
from pydantic import SecretStr

from services.scheduler.domain.live import SchedulingError
from services.scheduler.entrypoints.http import create_app
from services.scheduler.service_layer import planning
from shared.db import transaction
from shared.events import SchedulePublished, SlotAssigned
from shared.formats.schedule import HEADER, read_schedule
from shared.web.auth import ADMIN_COOKIE
from tests.integration.scheduler.conftest import TOKEN
from tests.support.scheduler import EDITION, Harness, SmallDay, small_day
from tests.support.spreadsheets import FORMULAS, csv_cells, quoted
from tests.support.web import admin_cookie


@pytest.fixture
def day(harness: Harness) -> SmallDay:
    return small_day(harness)


@pytest.fixture
def client(harness: Harness) -> Iterator[TestClient]:
    # No `with`: the bus runtime is not started, the outbox rows stay for the test to read.
    yield TestClient(create_app(harness.app), headers={"Authorization": f"Bearer {TOKEN}"})


def schedule(client: TestClient) -> dict:
    response = client.get("/api/schedule")
    assert response.status_code == 200
    return response.json()


def test_plan_stores_a_draft_with_reasons_and_publishes_nothing(harness, day, client):
    before = harness.outbox_count()
    draft = client.post("/api/schedule/plan").json()
    assert draft["version"] == 1 and draft["meetings"] > 0
    assert draft["meetings"] <= draft["bound"]
    current = schedule(client)
    assert current["status"] == "draft"
    assert len(current["appointments"]) == draft["meetings"]
    for a in current["appointments"]:
        assert a["reason_kind"] in ("souhait", "besoin")
        assert a["reason"].startswith(("Besoins : ", "Souhaité par"))
    assert harness.outbox_count() == before  # a draft is not news


def test_a_wish_is_given_as_the_reason(harness, day):
    wisher = harness.register(
        harness_role("porteur"), "Asso Souhait", ["relation-bancaire"], wants=[day.experts[0]]
    )
    with transaction(harness.app.kit.factory) as session:
        planning.plan_draft(session, harness.app, EDITION)
    client = TestClient(create_app(harness.app), headers={"Authorization": f"Bearer {TOKEN}"})
    mine = [a for a in schedule(client)["appointments"] if a["holder_id"] == str(wisher)]
    assert [a["reason"] for a in mine if a["expert_id"] == str(day.experts[0])] == [
        "Souhaité par le porteur"
    ]


def harness_role(value: str):
    from shared.events import Role

    return Role(value)


def test_publish_emits_one_slot_assigned_per_appointment(harness, day, client, redis_url):
    client.post("/api/schedule/plan")
    before = harness.outbox_count()
    published = client.post("/api/schedule/publish").json()
    rows = harness.outbox()[before:]
    assert rows[0]["event_type"] == "SchedulePublished"
    assert rows[0]["schedule_version"] == 1
    assert rows[0]["appointments"] == published["meetings"]
    assigned = [r for r in rows if r["event_type"] == "SlotAssigned"]
    assert len(rows) == 1 + published["meetings"] == 1 + len(assigned)
    appointments = schedule(client)["appointments"]
    assert sorted(a["appointment_id"] for a in assigned) == sorted(
        a["appointment_id"] for a in appointments
    )
    first = assigned[0]
    assert first["start"].endswith("Z") or first["start"].endswith("+00:00")
    assert first["table"].startswith("T") and len(first["table"]) == 3
    assert {a["schedule_version"] for a in assigned} == {1}
    # Every event of the publication names it, so consumers tell them from later changes.
    assert {a["correlation_id"] for a in assigned} == {rows[0]["event_id"]}

    # Relayed once to the real streams; a relayed row leaves the outbox.
    waiting = harness.outbox_count()
    relayed = harness.app.kit.runtime.relay.publish_all()
    assert relayed == waiting and harness.outbox_count() == 0
    client_redis = redis.Redis.from_url(redis_url)
    prefix = harness.app.settings.bus_prefix
    assert client_redis.xlen(SlotAssigned.stream(prefix)) == published["meetings"]
    assert client_redis.xlen(SchedulePublished.stream(prefix)) == 1
    client_redis.close()

    # Publishing again without a new draft is refused in French.
    again = client.post("/api/schedule/publish")
    assert again.status_code == 409
    assert "Aucun brouillon" in again.json()["detail"]


def _two(appointments: list[dict]) -> tuple[dict, dict]:
    by_expert: dict[str, list[dict]] = {}
    for a in appointments:
        by_expert.setdefault(a["expert_id"], []).append(a)
    expert_rows = sorted(by_expert.values(), key=len, reverse=True)
    return expert_rows[0][0], expert_rows[0][1]


def test_manual_move_to_a_free_slot_and_refusals(harness, day, client):
    client.post("/api/schedule/plan")
    appointments = schedule(client)["appointments"]
    first, _ = _two(appointments)
    holder_busy = {a["start"] for a in appointments if first["holder_id"] == a["holder_id"]}
    expert_busy = {a["start"] for a in appointments if first["expert_id"] == a["expert_id"]}

    # Refused: the expert already has a meeting then (and the holder is free).
    slots = {s: i for i, s in enumerate(_slot_starts(harness))}
    # A slot where a swap would work (the other holder is free at ours): the move is refused
    # with the hint to swap.
    busy_at = {(a["holder_id"], a["start"]) for a in appointments}
    clash = next(
        a["start"]
        for a in sorted(appointments, key=lambda a: a["start"])
        if a["expert_id"] == first["expert_id"]
        and a["start"] in expert_busy - holder_busy
        and (a["holder_id"], first["start"]) not in busy_at
    )
    refused = client.post(
        f"/api/schedule/appointments/{first['appointment_id']}/move",
        json={"slot": slots[clash]},
    )
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith("L'expert a déjà un rendez-vous à ")

    # Refused: a table that does not exist.
    bad_table = client.post(
        f"/api/schedule/appointments/{first['appointment_id']}/move",
        json={"slot": slots[first["start"]], "table": 99},
    )
    assert bad_table.status_code == 409 and "La table 99 n'existe pas" in bad_table.json()["detail"]

    # Accepted: a slot where the expert and the holder are both free.
    busy = holder_busy | expert_busy
    free = next(i for s, i in slots.items() if s not in busy)
    moved = client.post(
        f"/api/schedule/appointments/{first['appointment_id']}/move", json={"slot": free}
    )
    assert moved.status_code == 204
    after = {a["appointment_id"]: a for a in schedule(client)["appointments"]}
    assert after[first["appointment_id"]]["start"] == _slot_starts(harness)[free]
    assert len(after) == len(appointments)


def test_swap_and_lock(harness, day, client):
    client.post("/api/schedule/plan")
    appointments = schedule(client)["appointments"]
    first, second = _two(appointments)
    assert client.post(
        "/api/schedule/swap",
        json={"first": first["appointment_id"], "second": second["appointment_id"]},
    ).status_code in (204, 409)
    locked = client.post(
        f"/api/schedule/appointments/{first['appointment_id']}/lock", json={"locked": True}
    )
    assert locked.status_code == 204
    refused = client.post(
        f"/api/schedule/appointments/{first['appointment_id']}/move", json={"slot": 0}
    )
    assert refused.status_code == 409
    assert "verrouillé" in refused.json()["detail"]


def test_swap_between_two_experts_exchanges_slots(harness, day, client):
    client.post("/api/schedule/plan")
    appointments = schedule(client)["appointments"]
    # Two meetings of different experts and holders in different slots.
    pair = next(
        (a, b)
        for a in appointments
        for b in appointments
        if a["expert_id"] != b["expert_id"]
        and a["holder_id"] != b["holder_id"]
        and a["start"] != b["start"]
    )
    a, b = pair
    response = client.post(
        "/api/schedule/swap", json={"first": a["appointment_id"], "second": b["appointment_id"]}
    )
    if response.status_code == 204:
        after = {x["appointment_id"]: x for x in schedule(client)["appointments"]}
        assert after[a["appointment_id"]]["start"] == b["start"]
        assert after[b["appointment_id"]]["start"] == a["start"]
    else:
        assert response.status_code == 409
        assert response.json()["detail"]


def test_manual_move_after_publication_is_announced(harness, day, client):
    client.post("/api/schedule/plan")
    client.post("/api/schedule/publish")
    appointments = schedule(client)["appointments"]
    first = appointments[0]
    busy = {a["start"] for a in appointments if first["expert_id"] == a["expert_id"]} | {
        a["start"] for a in appointments if first["holder_id"] == a["holder_id"]
    }
    starts = _slot_starts(harness)
    free = next(i for i, s in enumerate(starts) if s not in busy)
    before = harness.outbox_count()
    assert (
        client.post(
            f"/api/schedule/appointments/{first['appointment_id']}/move", json={"slot": free}
        ).status_code
        == 204
    )
    news = harness.outbox()[before:]
    assert [e["event_type"] for e in news] == ["SlotReleased", "SlotAssigned"]
    assert news[0]["reason"] == "manuel"
    assert news[0]["appointment_id"] == news[1]["appointment_id"] == first["appointment_id"]
    assert news[1]["start"].startswith("2030-11-21T")


def test_export_csv_follows_the_format(harness, day, client):
    client.post("/api/schedule/plan")
    client.post("/api/schedule/publish")
    response = client.get("/admin/planning/export.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    text = response.text
    assert text.splitlines()[0] == ",".join(HEADER)
    assert "\r\n" not in text
    rows = read_schedule(text)
    assert len(rows) == len(schedule(client)["appointments"])
    assert all(r.expert_email.endswith("@exemple.fr") for r in rows)
    assert all(r.holder_organisation.startswith("Asso ") for r in rows)
    assert rows == sorted(rows, key=lambda r: (r.date, r.start, r.table))
    first = next(csv.reader(io.StringIO(text.splitlines()[1])))
    assert first[0] == "2030-11-21" and first[1] == "10:00"


def test_admin_routes_need_a_login(harness, day):
    anonymous = TestClient(create_app(harness.app))
    assert anonymous.get("/api/schedule").status_code == 401
    # Without a session nor a CSRF token: refused either way.
    assert anonymous.post("/api/schedule/plan").status_code in (401, 403)
    page = anonymous.get("/admin/planning", headers={"Accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].startswith("http://127.0.0.1:8001/admin/login?suite=")
    settings = harness.app.kit.settings
    with_cookie = TestClient(create_app(harness.app))
    with_cookie.cookies.set(ADMIN_COOKIE, admin_cookie(settings))
    assert with_cookie.get("/api/schedule").status_code == 200
    forged = TestClient(create_app(harness.app))
    forged.cookies.set(
        ADMIN_COOKIE,
        admin_cookie(settings.model_copy(update={"secret_key": SecretStr("another-secret")})),
    )
    assert forged.get("/api/schedule").status_code == 401


def test_grid_page_shows_organisations_and_reasons(harness, day, client):
    client.post("/api/schedule/plan")
    page = client.get("/admin/planning")
    assert page.status_code == 200
    assert '<th scope="col">10:00–10:30</th>' in page.text
    assert "Banque 1" in page.text and "Asso 1" in page.text
    assert "Besoins : " in page.text


def test_domain_refuses_a_stale_draft(harness, day):
    with transaction(harness.app.kit.factory) as session:
        planning.plan_draft(session, harness.app, EDITION)
    harness.cancel(day.holders[0], harness_role("porteur"))
    with pytest.raises(SchedulingError), transaction(harness.app.kit.factory) as session:
        planning.publish(session, harness.app, EDITION)


def _slot_starts(harness: Harness) -> list[str]:
    with transaction(harness.app.kit.factory) as session:
        edition = planning.ensure_edition(session, harness.app.outbox, EDITION, harness.clock())
        d = planning.load_day(session, edition)
    return [s.isoformat().replace("+00:00", "Z") for s in d.starts]


def test_republishing_keeps_ids_and_releases_only_what_changed(harness, day, client):
    client.post("/api/schedule/plan")
    client.post("/api/schedule/publish")
    first = {a["appointment_id"]: a for a in schedule(client)["appointments"]}
    draft = client.post("/api/schedule/plan").json()
    assert draft["version"] == 2
    second = {a["appointment_id"]: a for a in schedule(client)["appointments"]}
    assert set(second) == set(first)
    # Move one meeting in the draft, then publish it.
    target = next(iter(second.values()))
    busy = {a["start"] for a in second.values() if target["expert_id"] == a["expert_id"]} | {
        a["start"] for a in second.values() if target["holder_id"] == a["holder_id"]
    }
    free = next(i for i, s in enumerate(_slot_starts(harness)) if s not in busy)
    mark = harness.outbox_count()
    assert (
        client.post(
            f"/api/schedule/appointments/{target['appointment_id']}/move", json={"slot": free}
        ).status_code
        == 204
    )
    assert harness.outbox_count() == mark  # editing a draft is not news
    client.post("/api/schedule/publish")
    news = harness.outbox()[mark:]
    releases = [e for e in news if e["event_type"] == "SlotReleased"]
    assert [(e["appointment_id"], e["reason"]) for e in releases] == [
        (target["appointment_id"], "deplacement")
    ]
    assigned = [e for e in news if e["event_type"] == "SlotAssigned"]
    assert sorted(e["appointment_id"] for e in assigned) == sorted(first)
    assert {e["schedule_version"] for e in assigned} == {2}


def test_export_csv_runs_no_formula_a_spreadsheet_would(harness, day, client):
    people = [harness.registration.people[str(p)] for p in (*day.experts, *day.holders)]
    for n, person in enumerate(people):
        person["organisation"] = FORMULAS[n % len(FORMULAS)]
        person["email"] = FORMULAS[n % len(FORMULAS)] + f"{n}@exemple.fr"
    client.post("/api/schedule/plan")
    client.post("/api/schedule/publish")
    text = client.get("/admin/planning/export.csv").text
    cells = csv_cells(text)
    assert len(cells) > 1
    assert {c[5] for c in cells[1:]} | {c[7] for c in cells[1:]} <= {quoted(v) for v in FORMULAS}
    assert all(c[4].startswith("'") and c[6].startswith("'") for c in cells[1:])
    rows = read_schedule(text)
    assert {r.holder_organisation for r in rows} <= set(FORMULAS)
