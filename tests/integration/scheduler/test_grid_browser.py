"""The review grid in a real headless Chromium: load it, move a meeting, see it moved."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import uvicorn

from services.scheduler.entrypoints.http import create_app
from services.scheduler.service_layer import planning
from shared.db import transaction
from shared.web.auth import ADMIN_COOKIE
from tests.integration.scheduler.conftest import EDITION, Harness, small_day
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


def test_move_a_meeting_in_the_grid(harness: Harness, server: str, chromium_browser: Any):
    small_day(harness)
    with transaction(harness.app.kit.factory) as session:
        planning.plan_draft(session, harness.app, EDITION)
        version = planning.working_version(session, EDITION)
        rows = planning.active_rows(session, version.id)
        edition = planning.ensure_edition(session, harness.app.outbox, EDITION, harness.clock())
        day = planning.load_day(session, edition)
    # A meeting, and a slot where both of its people are free.
    target = rows[0]
    busy = {r.start for r in rows if target.expert_id == r.expert_id} | {
        r.start for r in rows if target.holder_id == r.holder_id
    }
    free = next(i for i, s in enumerate(day.starts) if s not in busy)
    holder_org = harness.registration.people[target.holder_id]["organisation"]

    context = chromium_browser.new_context(locale="fr-FR")
    context.add_cookies(
        [
            {
                "name": ADMIN_COOKIE,
                "value": admin_cookie(harness.app.kit.settings),
                "url": server,
            }
        ]
    )
    page = context.new_page()
    page.goto(f"{server}/admin/planning")
    assert page.locator("h1").inner_text() == "Planning des rendez-vous"
    grid = page.get_by_role("table")
    assert grid.locator("thead th").first.inner_text() == "Expert"
    cell = page.locator(f'td[data-appointment="{target.appointment_id}"]')
    assert holder_org in cell.inner_text()
    before_index = _column(page, target.appointment_id)

    page.get_by_label("Rendez-vous", exact=True).select_option(target.appointment_id)
    page.get_by_label("vers le créneau").select_option(str(free))
    page.get_by_role("button", name="Déplacer").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").inner_text() == "Rendez-vous déplacé."
    after_index = _column(page, target.appointment_id)
    assert after_index == free + 1 != before_index
    assert (
        holder_org in page.locator(f'td[data-appointment="{target.appointment_id}"]').inner_text()
    )

    # A refused move shows the reason in French.
    clash = next(
        day.slot_of(r.start)
        for r in rows
        if r.expert_id == target.expert_id and r.appointment_id != target.appointment_id
    )
    page.get_by_label("Rendez-vous", exact=True).select_option(target.appointment_id)
    page.get_by_label("vers le créneau").select_option(str(clash))
    page.get_by_role("button", name="Déplacer").click()
    page.wait_for_load_state()
    assert "déjà un rendez-vous" in page.get_by_role("alert").inner_text()


def _column(page, appointment_id: str) -> int:
    """Position of the meeting's cell in its row (0 is the expert's header)."""
    return page.evaluate(
        """id => {
            const cell = document.querySelector(`td[data-appointment="${id}"]`);
            return Array.from(cell.parentElement.children).indexOf(cell);
        }""",
        appointment_id,
    )
