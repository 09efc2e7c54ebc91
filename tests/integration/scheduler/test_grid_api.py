"""The grid's JSON routes (/api/grid) over HTTP, as the grid's script calls them: an operator's
session cookie and the CSRF token in the X-CSRF-Token header.

One expert who attends the morning conference (11:00 and 11:30) and three holders who need
what the expert offers: two all day (A, C), one in the afternoon only (B). With one expert,
each holder's only meeting is in that expert's row, so what a drop would do can be read off
the schedule."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from services.scheduler.entrypoints.http import create_app
from shared.events import Availability, Role
from shared.web.auth import ADMIN_COOKIE
from shared.web.csrf import CSRF_HEADER
from tests.integration.scheduler.conftest import TOKEN
from tests.support.scheduler import Harness
from tests.support.web import admin_cookie, admin_cookies, csrf_of, with_csrf

LABELS = ["10:00", "10:30", "11:00", "11:30", "12:00", "14:00", "14:30", "15:00", "15:30", "16:00"]
CONFERENCE = {2, 3}
MORNING = {0, 1, 2, 3, 4}


@dataclass
class Day:
    a: str  # the meetings' ids, by holder
    b: str
    c: str


@pytest.fixture
def service(harness: Harness) -> TestClient:
    return TestClient(create_app(harness.app), headers={"Authorization": f"Bearer {TOKEN}"})


def operator_client(harness: Harness, email: str = "operatrice@pes21.example") -> TestClient:
    settings = harness.app.kit.settings
    return with_csrf(
        TestClient(create_app(harness.app), cookies=admin_cookies(settings, email)), settings
    )


@pytest.fixture
def operator(harness: Harness) -> TestClient:
    return operator_client(harness)


@pytest.fixture
def day(harness: Harness, service: TestClient) -> Day:
    harness.register(Role.EXPERT, "Banque Conf", ["mecenat"], sessions=["conference-matin"])
    ids = {
        harness.register(Role.HOLDER, name, ["mecenat"], availability=when): key
        for key, name, when in (
            ("a", "Asso Jour", Availability.DAY),
            ("b", "Asso Soir", Availability.AFTERNOON),
            ("c", "Asso Deux", Availability.DAY),
        )
    }
    assert service.post("/api/schedule/plan").json()["meetings"] == 3
    by_holder = {
        ids[uuid.UUID(m["holder_id"])]: m["appointment_id"]
        for m in service.get("/api/schedule").json()["appointments"]
    }
    return Day(**by_holder)


def slots(service: TestClient) -> dict[str, tuple[int, str]]:
    """Each meeting's slot index and table, as the schedule API gives them."""
    appointments = service.get("/api/schedule").json()["appointments"]
    return {a["appointment_id"]: (_index(a["start"]), a["table"]) for a in appointments}


def _index(start: str) -> int:
    # 10:00 Paris is 09:00 UTC on the 2030 edition's day; slots of 30 minutes, lunch 12:30-14:00.
    hour, minute = int(start[11:13]) + 1, int(start[14:16])
    return LABELS.index(f"{hour:02d}:{minute:02d}")


def targets(operator: TestClient, appointment_id: str) -> list[dict]:
    response = operator.get(f"/api/grid/appointments/{appointment_id}/targets")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["appointment_id"] == appointment_id
    assert [t["slot"] for t in body["targets"]] == list(range(len(LABELS)))
    return body["targets"]


def drop(operator: TestClient, appointment_id: str, slot: int):
    return operator.post(f"/api/grid/appointments/{appointment_id}/drop", json={"slot": slot})


def free_slot(where: dict[str, tuple[int, str]]) -> int:
    """A cell of the row that is free, outside the expert's conference."""
    taken = {s for s, _ in where.values()}
    return next(s for s in range(len(LABELS)) if s not in taken | CONFERENCE)


def free_morning_slot(where: dict[str, tuple[int, str]]) -> int:
    taken = {s for s, _ in where.values()}
    return next(s for s in sorted(MORNING - CONFERENCE) if s not in taken)


def test_targets_say_for_every_slot_move_swap_or_why_not(operator, service, day):
    where = slots(service)
    # A in the morning, so that an exchange with B (afternoon only) is refused.
    if where[day.a][0] not in MORNING:
        assert drop(operator, day.a, free_morning_slot(where)).status_code == 200
        where = slots(service)
    at = {s: m for m, (s, _) in where.items()}
    a_slot = where[day.a][0]

    for t in targets(operator, day.a):
        s, label = t["slot"], LABELS[t["slot"]]
        if s == a_slot:
            expected = ("ici", None, f"Créneau actuel de ce rendez-vous ({label}).")
        elif s in CONFERENCE:
            expected = ("refuse", "conference", f"L'expert est en conférence à {label}.")
        elif at.get(s) == day.b:
            expected = (
                "refuse",
                "indisponible",
                f"Échange impossible : l'autre porteur n'est pas disponible à {LABELS[a_slot]} "
                "(présent·e l'autre demi-journée seulement).",
            )
        elif at.get(s) == day.c:
            expected = ("echanger", None, f"Occupé : échanger avec le rendez-vous de {label}.")
        else:
            expected = ("deplacer", None, f"Libre : déplacer à {label}, table T01.")
        assert (t["state"], t["why"], t["reason"]) == expected, t

    # B, afternoon only: every morning slot is refused because of B, whatever is there.
    for t in targets(operator, day.b):
        if t["slot"] in MORNING:
            assert t["state"] == "refuse" and t["why"] == "indisponible"
            assert t["reason"] == (
                f"Le porteur n'est pas disponible à {LABELS[t['slot']]} "
                "(présent·e l'autre demi-journée seulement)."
            )
        else:
            assert t["state"] in ("ici", "deplacer", "echanger")


def test_a_drop_moves_or_swaps_and_undo_puts_back_one_step_at_a_time(operator, service, day):
    original = slots(service)
    # A move to a free cell of the row.
    taken = {s for s, _ in original.values()}
    free = next(s for s in range(len(LABELS)) if s not in taken | CONFERENCE)
    if free == original[day.a][0]:
        free = next(s for s in range(len(LABELS)) if s not in taken | CONFERENCE | {free})
    moved = drop(operator, day.a, free)
    assert moved.status_code == 200 and moved.json() == {"message": "Rendez-vous déplacé."}
    after_move = slots(service)
    assert after_move[day.a] == (free, "T01")
    assert {m: after_move[m] for m in (day.b, day.c)} == {m: original[m] for m in (day.b, day.c)}

    # A swap with C's meeting (both all day).
    c_slot = after_move[day.c][0]
    swapped = drop(operator, day.a, c_slot)
    assert swapped.status_code == 200 and swapped.json() == {"message": "Rendez-vous échangés."}
    after_swap = slots(service)
    assert after_swap[day.a] == after_move[day.c] and after_swap[day.c] == after_move[day.a]

    # Undo: the swap first, then the move, then nothing left.
    undo = operator.post("/api/grid/undo")
    assert undo.status_code == 200 and undo.json() == {"message": "Échange annulé."}
    assert slots(service) == after_move
    undo = operator.post("/api/grid/undo")
    assert undo.status_code == 200 and undo.json() == {"message": "Déplacement annulé."}
    assert slots(service) == original
    nothing = operator.post("/api/grid/undo")
    assert nothing.status_code == 409
    assert nothing.json() == {
        "detail": "Rien à annuler : aucun déplacement ni échange de votre part."
    }
    assert slots(service) == original


def test_a_refused_drop_changes_nothing_and_says_why(harness, operator, service, day):
    where = slots(service)
    placed = where[day.a][0] not in MORNING
    if placed:
        assert drop(operator, day.a, free_morning_slot(where)).status_code == 200
        where = slots(service)
    before_events = harness.outbox_count()
    cases = [
        (where[day.b][0], "Échange impossible : l'autre porteur n'est pas disponible à "),
        (2, "L'expert est en conférence à 11:00."),
        (where[day.a][0], "Ce rendez-vous est déjà à ce créneau."),
        (len(LABELS), "Ce créneau n'existe pas dans le programme."),
    ]
    for slot, reason in cases:
        refused = drop(operator, day.a, slot)
        assert refused.status_code == 409, (slot, refused.text)
        assert refused.json()["detail"].startswith(reason)
        assert slots(service) == where
    unknown = drop(operator, "pas-un-rendez-vous", 0)
    assert unknown.status_code == 409
    assert unknown.json()["detail"] == (
        "Ce rendez-vous n'existe pas (ou plus) dans le planning affiché."
    )
    for body in ({"slot": "midi"}, {}, "12"):
        bad = operator.post(f"/api/grid/appointments/{day.a}/drop", json=body)
        assert bad.status_code == 422, bad.text
        assert bad.json()["detail"][0]["loc"][0] == "body"
    assert drop(operator, day.a, -1).json()["detail"] == (
        "Ce créneau n'existe pas dans le programme."
    )
    assert slots(service) == where
    # Nothing was journalled either: the undo finds only the placing move, if there was one.
    assert harness.outbox_count() == before_events
    undo = operator.post("/api/grid/undo")
    if placed:
        assert undo.json() == {"message": "Déplacement annulé."}
        undo = operator.post("/api/grid/undo")
    assert undo.status_code == 409 and undo.json()["detail"].startswith("Rien à annuler")


def test_a_locked_meeting_stays_and_cannot_be_swapped_into(operator, service, day):
    where = slots(service)
    locked = operator.post(f"/api/grid/appointments/{day.c}/lock", json={"locked": True})
    assert locked.status_code == 200 and locked.json() == {"message": "Rendez-vous verrouillé."}

    # The locked meeting itself: every slot refused, with the way out.
    for t in targets(operator, day.c):
        assert (t["state"], t["why"]) == ("refuse", "verrouille")
        assert t["reason"] == "Ce rendez-vous est verrouillé : déverrouillez-le pour le déplacer."
    free = free_slot(where)
    refused = drop(operator, day.c, free)
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith("Ce rendez-vous est verrouillé")

    # Another meeting cannot take its cell by a swap either.
    c_slot = where[day.c][0]
    cell = next(t for t in targets(operator, day.a) if t["slot"] == c_slot)
    expected = f"Le rendez-vous de {LABELS[c_slot]} est verrouillé : échange impossible."
    assert (cell["state"], cell["why"], cell["reason"]) == ("refuse", "verrouille", expected)
    refused = drop(operator, day.a, c_slot)
    assert refused.status_code == 409 and refused.json()["detail"] == expected
    assert slots(service) == where

    unlocked = operator.post(f"/api/grid/appointments/{day.c}/lock", json={"locked": False})
    assert unlocked.json() == {"message": "Rendez-vous déverrouillé."}
    assert drop(operator, day.c, free).status_code == 200
    assert slots(service)[day.c] == (free, where[day.c][1])


def test_undo_is_each_operators_own(harness, operator, service, day):
    where = slots(service)
    free = free_slot(where)
    assert drop(operator, day.c, free).status_code == 200
    colleague = operator_client(harness, "benevole@pes21.example")
    refused = colleague.post("/api/grid/undo")
    assert refused.status_code == 409 and refused.json()["detail"].startswith("Rien à annuler")
    assert slots(service)[day.c][0] == free
    # The page's form (without JavaScript) undoes it too, with the message after the redirect.
    page = operator.get("/admin/planning")
    undone = operator.post(
        "/admin/planning/undo",
        data={"csrf_token": csrf_of(page.text)},
        headers={CSRF_HEADER: ""},
        follow_redirects=True,
    )
    assert undone.status_code == 200 and "Déplacement annulé." in undone.text
    assert slots(service) == where


def test_a_drop_on_the_published_schedule_is_announced(harness, operator, service, day):
    assert service.post("/api/schedule/publish").status_code == 200
    where = slots(service)
    free = free_slot(where)
    before = harness.outbox_count()
    assert drop(operator, day.c, free).status_code == 200
    news = harness.outbox()[before:]
    assert [e["event_type"] for e in news] == ["SlotReleased", "SlotAssigned"]
    assert news[0]["reason"] == "manuel" and news[1]["appointment_id"] == day.c
    before = harness.outbox_count()
    assert operator.post("/api/grid/undo").json() == {"message": "Déplacement annulé."}
    assert [e["event_type"] for e in harness.outbox()[before:]] == [
        "SlotReleased",
        "SlotAssigned",
    ]
    assert slots(service) == where


ROUTES = [
    ("get", "/api/grid/appointments/{id}/targets", None),
    ("post", "/api/grid/appointments/{id}/drop", {"slot": 0}),
    ("post", "/api/grid/appointments/{id}/lock", {"locked": True}),
    ("post", "/api/grid/undo", None),
]


@pytest.fixture
def anonymous(harness: Harness) -> Iterator[TestClient]:
    yield TestClient(create_app(harness.app))


def test_the_routes_need_a_session_and_the_token(harness, anonymous, service, day):
    where = slots(service)
    settings = harness.app.kit.settings
    # No session: reading says to log in (401); writing without a token is refused first
    # (403), and with a token still needs the session (401).
    assert anonymous.get(f"/api/grid/appointments/{day.a}/targets").json() == {
        "detail": "Connectez-vous au back-office pour ouvrir cette page."
    }
    tokened = with_csrf(TestClient(create_app(harness.app)), settings)
    for method, path, body in ROUTES[1:]:
        url = path.format(id=day.a)
        assert anonymous.request(method, url, json=body).status_code == 403, url
        assert tokened.request(method, url, json=body).status_code == 401, url
    # A session but no CSRF token: refused before anything runs.
    logged_in = TestClient(create_app(harness.app))
    logged_in.cookies.set(ADMIN_COOKIE, admin_cookie(settings))
    assert logged_in.get(f"/api/grid/appointments/{day.a}/targets").status_code == 200
    for method, path, body in ROUTES[1:]:
        refused = logged_in.request(method, path.format(id=day.a), json=body)
        assert refused.status_code == 403, path
    # The token, but sent from another site.
    foreign = operator_client(harness)
    for method, path, body in ROUTES[1:]:
        refused = foreign.request(
            method, path.format(id=day.a), json=body, headers={"Origin": "https://evil.example"}
        )
        assert refused.status_code == 403, path
    assert slots(service) == where
