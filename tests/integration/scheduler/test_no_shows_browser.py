"""The day page in a real headless Chromium: part of a small edition checks in, the operator
marks one named person absent, reads the preview, confirms, and the page agrees with it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from services.scheduler.entrypoints.http import create_app
from shared.web.auth import ADMIN_COOKIE
from tests.integration.scheduler.test_no_shows import (
    arrive_all_but,
    changes,
    first_slot_people,
    meetings,
    published,
)
from tests.support.scheduler import Harness, at
from tests.support.servers import serve
from tests.support.web import admin_cookie

__all__ = ["published"]  # the fixture, shared with the HTTP tests


def test_mark_a_named_person_absent_from_the_day_page(
    harness: Harness, published: Any, chromium_browser: Any, tmp_path: Path
):
    holder, expert, people = first_slot_people(harness)
    first_of: dict[str, Any] = {}
    for h, _e, start, _t in meetings(harness).values():
        first_of[h] = min(first_of.get(h, start), start)
    later = max(first_of, key=lambda pid: (first_of[pid], pid))  # their first meeting is late
    arrive_all_but(harness, people, holder, expert, later)
    harness.clock.now = at(9, 50)
    name = harness.registration.people[holder]
    label = f"{name['first_name']} {name['last_name']} ({name['organisation']})"
    with serve(create_app(harness.app)) as url:
        context = chromium_browser.new_context(
            locale="fr-FR", viewport={"width": 1280, "height": 900}
        )
        context.add_cookies(
            [{"name": ADMIN_COOKIE, "value": admin_cookie(harness.app.kit.settings), "url": url}]
        )
        page = context.new_page()
        page.goto(f"{url}/admin/journee")
        awaited = page.get_by_role("table").filter(has_text="Prochain rendez-vous")
        # By id: the expert's row may name the holder too, as the person they meet next.
        row = awaited.locator(f'tr[data-participant="{holder}"]')
        assert label in row.inner_text()
        assert re.search(r"10:00, table T\d\d", row.inner_text())
        assert awaited.get_by_role("row").count() == 1 + len({holder, expert})
        assert first_of[later] > at(10, 0)
        assert page.get_by_label("a prévenu").locator(f'option[value="{later}"]').count() == 1
        shoot(page, tmp_path, "journee")

        before = meetings(harness)
        row.get_by_role("link", name=f"Marquer absent·e : {label}").click()
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == "Marquer absent·e et libérer ?"
        figures = {
            li.get_attribute("data-count"): int(li.inner_text().split()[0])
            for li in page.locator("#apercu-chiffres li").all()
        }
        assert figures["absents"] == 1 and figures["liberes"] >= 1
        assert label in page.locator("#apercu-chiffres").inner_text()
        assert page.locator("#liberes li").count() == figures["liberes"]
        assert meetings(harness) == before  # a preview changes nothing
        shoot(page, tmp_path, "apercu")

        page.get_by_role("button", name="Confirmer").click()
        page.wait_for_load_state()
        status = page.get_by_role("status").inner_text()
        assert status.startswith("1 personne marquée absente ;")
        assert f"{figures['liberes']} rendez-vous libéré" in status
        done = changes(before, meetings(harness))
        assert {k: figures[k] for k in done} == done
        # No longer awaited; listed as absent, with its undo.
        absent = page.get_by_role("table").filter(has_text="Marqués absents")
        assert absent.get_by_role("link", name=f"Annuler l'absence : {label}").is_visible()
        assert page.locator(f'table.awaited tr[data-participant="{holder}"]').count() == 0
        shoot(page, tmp_path, "journee-apres")
        context.close()


def shoot(page: Any, directory: Path, name: str) -> None:
    """The page at desktop width, then as a 768 px tablet shows it."""
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(directory / f"{name}-1280.png"), full_page=True)
    page.set_viewport_size({"width": 768, "height": 1024})
    page.screenshot(path=str(directory / f"{name}-768.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
