"""The review grid in a real headless Chromium: move a meeting with the form (no script
needed), by dragging it onto a lit cell of its expert's row, and with the keyboard (« Déplacer… »
then a cell); undo from the message. Screenshots of the grid, still and during a drag, go to
the test's temporary folder."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from services.scheduler.entrypoints.http import create_app
from services.scheduler.service_layer import planning
from shared.db import transaction
from shared.events import Availability, Role
from shared.web.auth import ADMIN_COOKIE
from tests.support.scheduler import EDITION, Harness, small_day
from tests.support.servers import free_port, wait_until
from tests.support.web import admin_cookie


@pytest.fixture
def server(harness: Harness):
    port = free_port()
    instance = uvicorn.Server(
        uvicorn.Config(create_app(harness.app), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    wait_until(lambda: instance.started, what="the scheduler to serve")
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=10)


def logged_in_page(harness: Harness, server: str, browser: Any, width: int = 1366) -> Any:
    """A page of the operator's browser, with the session the login would have opened."""
    context = browser.new_context(locale="fr-FR", viewport={"width": width, "height": 900})
    context.set_default_timeout(10_000)
    context.add_cookies(
        [{"name": ADMIN_COOKIE, "value": admin_cookie(harness.app.kit.settings), "url": server}]
    )
    page = context.new_page()
    page.goto(f"{server}/admin/planning")
    return page


def planned(harness: Harness) -> tuple[list[Any], Any]:
    with transaction(harness.app.kit.factory) as session:
        planning.plan_draft(session, harness.app, EDITION)
        version = planning.working_version(session, EDITION)
        rows = planning.active_rows(session, version.id)
        edition = planning.ensure_edition(session, harness.app.outbox, EDITION, harness.clock())
        day = planning.load_day(session, edition)
    return rows, day


def test_move_a_meeting_with_the_form(harness: Harness, server: str, chromium_browser: Any):
    small_day(harness)
    rows, day = planned(harness)
    # A meeting, and a slot where both of its people are free.
    target = rows[0]
    busy = {r.start for r in rows if target.expert_id == r.expert_id} | {
        r.start for r in rows if target.holder_id == r.holder_id
    }
    free = next(i for i, s in enumerate(day.starts) if s not in busy)
    holder_org = harness.registration.people[target.holder_id]["organisation"]

    page = logged_in_page(harness, server, chromium_browser)
    assert page.locator("h1").inner_text() == "Planning des rendez-vous"
    grid = page.locator("#grille")
    assert grid.locator("thead th").first.inner_text() == "Expert"
    assert holder_org in meeting(page, target.appointment_id).inner_text()
    before_index = column(page, target.appointment_id)

    page.get_by_label("Rendez-vous", exact=True).select_option(target.appointment_id)
    page.get_by_label("vers le créneau").select_option(str(free))
    page.get_by_role("button", name="Déplacer", exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_role("status").inner_text() == "Rendez-vous déplacé."
    after_index = column(page, target.appointment_id)
    assert after_index == free + 1 != before_index
    assert holder_org in meeting(page, target.appointment_id).inner_text()

    # A refused move shows the reason in French.
    clash = next(
        day.slot_of(r.start)
        for r in rows
        if r.expert_id == target.expert_id and r.appointment_id != target.appointment_id
    )
    page.get_by_label("Rendez-vous", exact=True).select_option(target.appointment_id)
    page.get_by_label("vers le créneau").select_option(str(clash))
    page.get_by_role("button", name="Déplacer", exact=True).click()
    page.wait_for_load_state()
    assert "déjà un rendez-vous" in page.get_by_role("alert").inner_text()

    # Without JavaScript the same page has no drag hint nor « Déplacer… » buttons.
    assert page.locator(".choisir").first.is_visible()
    context = chromium_browser.new_context(locale="fr-FR", java_script_enabled=False)
    context.add_cookies(
        [{"name": ADMIN_COOKIE, "value": admin_cookie(harness.app.kit.settings), "url": server}]
    )
    plain = context.new_page()
    plain.goto(f"{server}/admin/planning")
    assert not plain.locator(".choisir").first.is_visible()
    assert plain.get_by_role("button", name="Annuler ma dernière modification").is_visible()


def a_day_with_conferences(harness: Harness) -> None:
    """The small day, with an expert at the morning conference and one there in the afternoon
    only: the grid has every kind of cell."""
    small_day(harness)
    harness.register(
        Role.EXPERT, "Fondation Matin", ["mecenat", "business-plan"], sessions=["conference-matin"]
    )
    harness.register(
        Role.EXPERT, "Banque Après-midi", ["mecenat"], availability=Availability.AFTERNOON
    )
    for i in range(4):
        harness.register(Role.HOLDER, f"Asso Plus {i + 1}", ["mecenat", "business-plan"])


def test_drag_a_meeting_to_a_free_cell_then_undo(
    harness: Harness, server: str, chromium_browser: Any, tmp_path: Path
):
    from playwright.sync_api import expect

    a_day_with_conferences(harness)
    rows, _day = planned(harness)
    page = logged_in_page(harness, server, chromium_browser)
    page.screenshot(path=tmp_path / "grille.png", full_page=True)
    page.evaluate("window.sansRechargement = true")

    # A meeting whose row has a free cell for both people (the server says which).
    target = next(r for r in rows if free_cells(page, r.appointment_id))
    holder_org = harness.registration.people[target.holder_id]["organisation"]
    start = column(page, target.appointment_id)
    source = meeting(page, target.appointment_id)
    row = page.locator(f'#grille tr:has([data-appointment="{target.appointment_id}"])')

    # Press, move: while dragging, the row says what a drop on each cell would do.
    source.scroll_into_view_if_needed()
    box = source.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 10)
    page.mouse.down()
    page.mouse.move(box["x"] + 60, box["y"] + 30, steps=5)
    lit = row.locator("td.cible-deplacer").first
    expect(lit).to_be_visible()
    expect(row.locator("td.cible-ici")).to_have_count(1)
    assert lit.get_attribute("title").startswith("Libre : déplacer à ")
    refused = row.locator("td.cible-refuse")
    for i in range(refused.count()):
        assert refused.nth(i).get_attribute("title")  # the reason, in French
    assert (
        page.locator("#grille tbody tr:not(.source)").first.evaluate(
            "r => getComputedStyle(r).opacity"
        )
        == "0.45"
    )
    goal = int(lit.get_attribute("data-slot"))
    cell = lit.bounding_box()
    x, y = cell["x"] + cell["width"] / 2, cell["y"] + cell["height"] / 2
    page.mouse.move(x, y, steps=8)
    page.mouse.move(x + 3, y + 3, steps=2)  # a hand rests, and moves a little, before letting go
    expect(page.locator("#grille-texte")).to_have_text(lit.get_attribute("title"))
    page.screenshot(path=tmp_path / "grille-glisser.png", full_page=True)
    page.mouse.up()

    expect(page.locator("#grille-texte")).to_have_text("Rendez-vous déplacé.")
    assert column(page, target.appointment_id) == goal + 1 != start
    assert holder_org in meeting(page, target.appointment_id).inner_text()
    expect(page.locator("#grille .cible-deplacer")).to_have_count(0)
    assert page.evaluate("window.sansRechargement") is True  # the grid was read again in place
    page.screenshot(path=tmp_path / "grille-deplace.png", full_page=True)

    page.locator("#grille-message").get_by_role("button", name="Annuler").click()
    expect(page.locator("#grille-texte")).to_have_text("Déplacement annulé.")
    assert column(page, target.appointment_id) == start
    assert page.evaluate("window.sansRechargement") is True


def test_keyboard_pick_refused_cell_then_swap_and_undo(
    harness: Harness, server: str, chromium_browser: Any, tmp_path: Path
):
    from playwright.sync_api import expect

    a_day_with_conferences(harness)
    rows, _day = planned(harness)
    page = logged_in_page(harness, server, chromium_browser)
    # A meeting whose row has a swap to offer and a refused cell.
    target = next(r for r in rows if swap_cells(page, r.appointment_id))
    start = column(page, target.appointment_id)
    row = page.locator(f'#grille tr:has([data-appointment="{target.appointment_id}"])')

    meeting(page, target.appointment_id).locator(".choisir").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#grille-texte")).to_contain_text("Choisissez la case")
    # The focus is on the first cell it may go to.
    expect(page.locator("button.verdict:focus")).to_have_class(re.compile("deplacer|echanger"))
    page.screenshot(path=tmp_path / "grille-choisir.png", full_page=True)

    # A refused cell: the reason is shown, nothing moves, the meeting stays picked.
    refused = row.locator("td.cible-refuse button.verdict").first
    reason = refused.get_attribute("aria-label").removeprefix("Refusé : ")
    refused.press("Enter")
    expect(page.get_by_role("alert")).to_have_text(reason)
    assert column(page, target.appointment_id) == start
    expect(row.locator("td.cible-ici")).to_have_count(1)

    swap = row.locator("td.cible-echanger").first
    other = swap.locator("[data-appointment]").first.get_attribute("data-appointment")
    goal = column(page, other)
    swap.locator("button.verdict").press("Enter")
    expect(page.locator("#grille-texte")).to_have_text("Rendez-vous échangés.")
    assert (column(page, target.appointment_id), column(page, other)) == (goal, start)
    # The focus is on « Annuler », for the keyboard to undo at once.
    expect(page.locator("#grille-message button")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#grille-texte")).to_have_text("Échange annulé.")
    assert (column(page, target.appointment_id), column(page, other)) == (start, goal)

    # Escape gives the meeting up.
    meeting(page, target.appointment_id).locator(".choisir").click()
    expect(row.locator("td.cible-ici")).to_have_count(1)
    page.keyboard.press("Escape")
    expect(page.locator("#grille .cible-ici")).to_have_count(0)


def test_the_expert_column_stays_when_the_grid_scrolls(
    harness: Harness, server: str, chromium_browser: Any, tmp_path: Path
):
    a_day_with_conferences(harness)
    planned(harness)
    page = logged_in_page(harness, server, chromium_browser, width=768)
    frame = page.locator("#grille-cadre")
    first = page.locator("#grille tbody th").first
    before = first.bounding_box()["x"]
    frame.evaluate("f => { f.scrollLeft = 400; }")
    assert frame.evaluate("f => f.scrollLeft") > 0  # the table is wider than the screen
    assert first.bounding_box()["x"] == before
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=tmp_path / "grille-768.png", full_page=True)


def test_the_slots_header_stays_when_the_grid_scrolls_down(
    harness: Harness, server: str, chromium_browser: Any, tmp_path: Path
):
    a_day_with_conferences(harness)
    planned(harness)
    page = logged_in_page(harness, server, chromium_browser, width=1366)
    page.set_viewport_size({"width": 1366, "height": 500})  # fewer rows than the grid has
    page.reload()
    frame = page.locator("#grille-cadre")
    header = page.locator("#grille thead th").nth(1)
    corner = page.locator("#grille thead th").first
    page.evaluate("window.scrollTo(0, document.getElementById('grille-cadre').offsetTop)")
    top = header.bounding_box()["y"]
    frame.evaluate("f => { f.scrollTop = 200; f.scrollLeft = 300; }")
    assert frame.evaluate("f => f.scrollTop") > 0  # the frame scrolls within the screen
    # Where it was (to the table's top border, which scrolls away).
    assert abs(header.bounding_box()["y"] - top) <= 1
    assert abs(corner.bounding_box()["y"] - top) <= 1
    # The corner cell stays above the expert column and the header row.
    assert page.evaluate(
        """() => { const c = document.querySelector("#grille thead th").getBoundingClientRect();
            return document.elementFromPoint(c.x + 5, c.y + 5).closest("thead th") ===
                document.querySelector("#grille thead th"); }"""
    )
    page.screenshot(path=tmp_path / "grille-defilee.png")


def meeting(page: Any, appointment_id: str) -> Any:
    return page.locator(f'#grille [data-appointment="{appointment_id}"]')


def column(page: Any, appointment_id: str) -> int:
    """Position of the meeting's cell in its row (0 is the expert's header)."""
    return page.evaluate(
        """id => {
            const cell = document.querySelector(`[data-appointment="${id}"]`).closest("td");
            return Array.from(cell.parentElement.children).indexOf(cell);
        }""",
        appointment_id,
    )


def _states(page: Any, appointment_id: str) -> list[str]:
    return page.evaluate(
        """id => fetch(`/api/grid/appointments/${id}/targets`)
            .then(r => r.json()).then(b => b.targets.map(t => t.state))""",
        appointment_id,
    )


def free_cells(page: Any, appointment_id: str) -> bool:
    return "deplacer" in _states(page, appointment_id)


def swap_cells(page: Any, appointment_id: str) -> bool:
    states = _states(page, appointment_id)
    return "echanger" in states and "refuse" in states
