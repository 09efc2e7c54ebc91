"""No-shows from the day page, through a real HTTP client on a served app: who is awaited,
one named person marked absent (and back), the collective release, and the preview that
must say exactly what the confirmation then does."""

from __future__ import annotations

import html as html_module
import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from services.scheduler.adapters.db import participants
from services.scheduler.entrypoints.http import create_app
from services.scheduler.service_layer import planning
from shared.db import transaction
from shared.events import Role
from shared.web.auth import ADMIN_COOKIE
from tests.support.scheduler import EDITION, Harness, SmallDay, at, small_day
from tests.support.servers import serve
from tests.support.web import admin_cookie, csrf_of

DAY_PAGE = "/admin/journee"


@pytest.fixture
def published(harness: Harness) -> SmallDay:
    day = small_day(harness)
    with transaction(harness.app.kit.factory) as session:
        planning.plan_draft(session, harness.app, EDITION)
    with transaction(harness.app.kit.factory) as session:
        planning.publish(session, harness.app, EDITION)
    return day


@pytest.fixture
def client(harness: Harness) -> Iterator[httpx.Client]:
    with (
        serve(create_app(harness.app)) as url,
        httpx.Client(base_url=url, follow_redirects=True) as http,
    ):
        http.cookies.set(ADMIN_COOKIE, admin_cookie(harness.app.kit.settings))
        yield http


def meetings(harness: Harness) -> dict[str, tuple[str, str, Any, int]]:
    with transaction(harness.app.kit.factory) as session:
        version = planning.published_version(session, EDITION)
        rows = planning.active_rows(session, version.id)
    return {r.appointment_id: (r.holder_id, r.expert_id, r.start, r.table_number) for r in rows}


def first_slot_people(harness: Harness) -> tuple[str, str, list[tuple[str, Role]]]:
    """A holder and an expert with a meeting at the first slot (together only when it has one
    meeting), and everyone."""
    rows = meetings(harness).values()
    first = min(v[2] for v in rows)
    at_first = sorted((v for v in rows if v[2] == first), key=lambda v: v[0])
    holder = at_first[0][0]
    expert = at_first[-1][1]
    people = {(v[0], Role.HOLDER) for v in rows} | {(v[1], Role.EXPERT) for v in rows}
    return holder, expert, sorted(people)


def arrive_all_but(harness: Harness, people: list[tuple[str, Role]], *missing: str) -> None:
    for pid, role in people:
        if pid not in missing:
            harness.check_in(uuid.UUID(pid), role)


def flash(html: str) -> str:
    found = re.search(r'<p class="flash flash-\w+" role="\w+">([^<]*)</p>', html)
    return html_module.unescape(found.group(1)) if found else ""


def counts(html: str) -> dict[str, int]:
    """The preview's figures, by their data-count name."""
    return {name: int(n) for name, n in re.findall(r'<li data-count="(\w+)">\s*(\d+)', html, re.S)}


def confirm_form(html: str) -> dict[str, str]:
    form = html[html.index('action="/admin/journee/absents"') :]
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))
    assert fields["csrf_token"] == csrf_of(html)
    return fields


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, int]:
    """What happened to the published meetings, read from the tables (the relay empties the
    outbox as it publishes)."""
    gone = set(before) - set(after)
    new = set(after) - set(before)
    moved = {k for k in set(before) & set(after) if before[k] != after[k]}
    touched = [before[k] for k in gone | moved] + [after[k] for k in new]
    return {
        "liberes": len(gone),
        "deplaces": len(moved),
        "crees": len(new),
        "emails": len({p for v in touched for p in v[:2]}),
    }


def test_awaited_list_names_people_and_their_next_meeting(harness, published, client):
    holder, expert, people = first_slot_people(harness)
    arrive_all_but(harness, people, holder, expert)
    harness.clock.now = at(9, 45)
    html = client.get(DAY_PAGE).text
    section = html[html.index('id="attendus"') : html.index("<h2>Sessions</h2>")]
    rows = re.findall(r'<tr data-participant="([^"]+)">(.*?)</tr>', section, re.S)
    assert {pid for pid, _ in rows} == {holder, expert}
    mine = dict(rows)[holder]
    meeting = next(v for v in meetings(harness).values() if v[0] == holder)
    org = harness.registration.people[meeting[1]]["organisation"]
    assert "10:00, table T0" in mine and org in mine
    assert "Camille" in mine and "porteur" in mine
    assert 'id="plus-tard"' not in html  # everyone else arrived

    # Someone whose first meeting is later is offered in « a prévenu » instead.
    rows = meetings(harness).values()
    first_of: dict[str, Any] = {}
    for v in rows:
        first_of[v[0]] = min(first_of.get(v[0], v[2]), v[2])
    later = next(pid for pid, start in sorted(first_of.items()) if start > at(10, 0))
    harness.check_in(uuid.UUID(later), Role.HOLDER, present=False)
    html = client.get(DAY_PAGE).text
    offered = html[html.index('id="plus-tard"') :]
    assert f'<option value="{later}">' in offered.split("</select>")[0]
    assert f'<tr data-participant="{later}">' not in html
    preview = client.get(f"/admin/journee/absents/apercu?action=absent&personne={later}")
    assert counts(preview.text)["absents"] == 1

    # Once the holder checks in, they leave the list.
    harness.check_in(uuid.UUID(holder), Role.HOLDER)
    html = client.get(DAY_PAGE).text
    assert f'data-participant="{holder}"' not in html
    assert f'data-participant="{expert}"' in html


def test_mark_one_person_absent_preview_equals_confirmation_then_undo(harness, published, client):
    holder, _expert, people = first_slot_people(harness)
    arrive_all_but(harness, people, holder)
    harness.clock.now = at(9, 45)
    before = meetings(harness)
    page = client.get(DAY_PAGE).text
    link = re.search(rf'href="(/admin/journee/absents/apercu\?[^"]*{holder})"', page)
    assert link
    preview = client.get(link.group(1).replace("&amp;", "&"))
    assert preview.status_code == 200
    assert "Marquer absent·e et libérer ?" in preview.text
    # The preview saved nothing.
    assert meetings(harness) == before
    expected = counts(preview.text)
    theirs = sum(1 for v in before.values() if v[0] == holder)
    assert expected["absents"] == 1 and expected["liberes"] == theirs >= 1

    before = meetings(harness)
    done = client.post(
        "/admin/journee/absents", follow_redirects=False, data=confirm_form(preview.text)
    )
    assert done.status_code == 303 and done.headers["location"] == DAY_PAGE
    done_page = client.get(DAY_PAGE).text
    assert flash(done_page).startswith("1 personne marquée absente ;")
    actual = changes(before, meetings(harness))
    assert {k: expected[k] for k in actual} == actual
    assert not any(v[0] == holder for v in meetings(harness).values())
    # Now in the list of the absent, with an undo.
    absent_table = done_page[done_page.index('class="absent"') :]
    assert f'data-participant="{holder}"' in absent_table

    # Marking them again is refused in French, and nothing changes.
    before = meetings(harness)
    again = client.get(f"/admin/journee/absents/apercu?action=absent&personne={holder}")
    assert flash(again.text) == "Cette personne est déjà marquée absente."
    repeat = client.post(
        "/admin/journee/absents", follow_redirects=False, data=confirm_form(preview.text)
    )
    assert repeat.status_code == 303
    assert flash(client.get(DAY_PAGE).text) == "Cette personne est déjà marquée absente."
    assert meetings(harness) == before

    # Undo: the preview, then the same changes for real.
    back = client.get(f"/admin/journee/absents/apercu?action=retour&personne={holder}")
    assert "Annuler l'absence ?" in html_module.unescape(back.text)
    expected = counts(back.text)
    before = meetings(harness)
    client.post("/admin/journee/absents", follow_redirects=False, data=confirm_form(back.text))
    assert flash(client.get(DAY_PAGE).text).startswith("Absence annulée")
    actual = changes(before, meetings(harness))
    assert {k: expected[k] for k in actual} == actual
    assert actual["crees"] >= 1  # room was left: they are planned again
    with harness.app.kit.factory() as session:
        row = session.execute(
            select(participants.c.absent).where(participants.c.participant_id == holder)
        ).one()
    assert row.absent is False


def test_collective_release_preview_equals_confirmation(harness, published, client):
    holder, expert, people = first_slot_people(harness)
    arrive_all_but(harness, people, holder, expert)
    harness.clock.now = at(10, 5)
    before = meetings(harness)
    preview = client.get("/admin/journee/absents/apercu?action=tous")
    assert "Libérer les rendez-vous de tous les absents ?" in preview.text
    expected = counts(preview.text)
    assert expected["absents"] == 2
    assert meetings(harness) == before
    before = meetings(harness)
    client.post("/admin/journee/absents", follow_redirects=False, data=confirm_form(preview.text))
    assert flash(client.get(DAY_PAGE).text).startswith("2 personnes marquées absentes ;")
    actual = changes(before, meetings(harness))
    assert {k: expected[k] for k in actual} == actual
    assert actual["liberes"] >= 2
    # Nothing left to release: a French message, not an error page.
    again = client.get("/admin/journee/absents/apercu?action=tous")
    assert again.status_code == 200
    assert "rien à libérer" in flash(again.text)


def test_confirmation_refused_when_the_day_changed_since_the_preview(harness, published, client):
    holder, expert, people = first_slot_people(harness)
    arrive_all_but(harness, people, holder, expert)
    harness.clock.now = at(10, 5)
    preview = client.get("/admin/journee/absents/apercu?action=tous")
    assert counts(preview.text)["absents"] == 2
    harness.check_in(uuid.UUID(expert), Role.EXPERT)  # arrives while the operator reads
    before = meetings(harness)
    answer = client.post(
        "/admin/journee/absents", follow_redirects=False, data=confirm_form(preview.text)
    )
    assert answer.status_code == 303 and "/absents/apercu?action=tous" in answer.headers["location"]
    fresh = client.get(answer.headers["location"])
    assert "La journée a changé depuis l'aperçu" in flash(fresh.text)
    assert counts(fresh.text)["absents"] == 1
    assert meetings(harness) == before


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("action=absent&personne=inconnu", "Cette personne n'est pas inscrite à cette édition."),
        ("action=absent", "Choisissez une personne dans la liste."),
        ("action=supprimer&personne=x", "Action inconnue : choisissez-la dans la liste."),
        ("action=" + "x" * 40, None),  # too long: the foundation's French 422 page
    ],
)
def test_bad_input_gets_a_french_answer_and_changes_nothing(
    harness, published, client, query, message
):
    before = meetings(harness)
    answer = client.get(f"/admin/journee/absents/apercu?{query}")
    assert answer.status_code < 500
    if message is None:
        assert answer.status_code == 422 and "<html" in answer.text
    else:
        assert flash(answer.text) == message
    assert meetings(harness) == before


def test_present_person_and_nothing_published(harness, client):
    day = small_day(harness)
    holder = str(day.holders[0])
    answer = client.get(f"/admin/journee/absents/apercu?action=absent&personne={holder}")
    assert flash(answer.text) == "Rien n'est publié : il n'y a pas encore d'absents."
    assert "Rien n'est publié" in client.get(DAY_PAGE).text
    with transaction(harness.app.kit.factory) as session:
        planning.plan_draft(session, harness.app, EDITION)
    with transaction(harness.app.kit.factory) as session:
        planning.publish(session, harness.app, EDITION)
    harness.check_in(day.holders[0], Role.HOLDER)
    answer = client.get(f"/admin/journee/absents/apercu?action=absent&personne={holder}")
    assert flash(answer.text) == "Cette personne est pointée à l'accueil : elle est présente."
    answer = client.get(f"/admin/journee/absents/apercu?action=retour&personne={holder}")
    assert flash(answer.text) == "Cette personne n'est pas marquée absente."


def test_confirmation_needs_the_csrf_token(harness, published, client):
    holder, _expert, people = first_slot_people(harness)
    arrive_all_but(harness, people, holder)
    preview = client.get(f"/admin/journee/absents/apercu?action=absent&personne={holder}")
    fields = confirm_form(preview.text)
    del fields["csrf_token"]
    before = meetings(harness)
    answer = client.post("/admin/journee/absents", follow_redirects=False, data=fields)
    assert answer.status_code == 403
    assert meetings(harness) == before


def test_collective_release_warns_when_nobody_checked_in(harness, published, client):
    harness.clock.now = at(10, 5)
    preview = html_module.unescape(client.get("/admin/journee/absents/apercu?action=tous").text)
    assert "Personne n'est encore pointé à l'accueil" in preview
    named = client.get(
        f"/admin/journee/absents/apercu?action=absent&personne={published.holders[0]}"
    )
    assert "Personne n&#39;est encore pointé" not in named.text


def test_a_person_who_sent_word_is_released_like_an_absent_one_and_shown_so(
    harness, published, client
):
    holder, _expert, people = first_slot_people(harness)
    arrive_all_but(harness, people, holder)
    harness.clock.now = at(9, 45)
    before = meetings(harness)
    preview = client.get(f"/admin/journee/absents/apercu?action=prevenu&personne={holder}")
    assert "Noter « a prévenu » et libérer ?" in html_module.unescape(preview.text)
    expected = counts(preview.text)
    assert expected["absents"] == 1
    assert expected["liberes"] == sum(1 for v in before.values() if v[0] == holder) >= 1
    client.post("/admin/journee/absents", follow_redirects=False, data=confirm_form(preview.text))
    page = client.get(DAY_PAGE).text
    assert flash(page).startswith("1 personne notée « a prévenu » ;")
    assert {k: expected[k] for k in changes(before, meetings(harness))} == changes(
        before, meetings(harness)
    )
    absent_table = page[page.index('class="absent"') :]
    row = re.search(rf'<tr data-participant="{holder}">(.*?)</tr>', absent_table, re.S)
    assert row and "a prévenu" in row.group(1)
    # The same counts on the day page and the grid; the grid marks the released meetings.
    grid = client.get("/admin/planning").text
    for html in (page, grid):
        shown = dict(re.findall(r'data-count="(\w+)">(\d+)<', html))
        assert shown["presents"] == str(len(people) - 1)
        assert (shown["absents"], shown["prevenus"], shown["attendus"]) == ("0", "1", "0")
    ghosts = re.findall(r'<div class="rdv-libere">(.*?)</div>', grid, re.S)
    assert len(ghosts) == expected["liberes"] and all("a prévenu" in g for g in ghosts)
    assert "Absents : libérer et replanifier" not in grid
    assert client.get("/admin/planning/absents").status_code in (404, 405)

    # The desk's view (internal API): their mark and everyone's next meeting.
    token = harness.app.kit.settings.service_token.get_secret_value()
    desk = client.get(
        f"/internal/editions/{EDITION}/desk", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert desk["published"] is True and desk["marks"] == {holder: "prevenu"}
    assert holder not in desk["next_meetings"]
    first = min(v[2] for v in meetings(harness).values())
    someone = next(v for v in meetings(harness).values() if v[2] == first)
    mine = desk["next_meetings"][someone[0]]
    assert mine["counterpart_id"] == someone[1] and mine["table"] == f"T{someone[3]:02d}"
    assert client.get(f"/internal/editions/{EDITION}/desk").status_code == 401
