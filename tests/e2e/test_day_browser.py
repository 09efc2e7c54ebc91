"""The day in a real browser (Debian's Chromium, Playwright) on a whole platform: once the
demo's small edition is published, the operator checks part of it in at the welcome desk
(each check-in says where the person goes next), marks one named person absent from the
desk, reads the preview, confirms, and finds the grid, the desk, the day page, the home page
and the report agreeing on every count (shared/presence.py)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rencontres.demo import ADMIN_EMAIL, Figures, Scenario, Step, run_demo
from tests.e2e.test_operator_browser import browser_page

__all__ = ["browser_page"]  # the fixture

FIGURES = Figures(
    holders_on_time=8,
    holders_late=1,
    experts=5,
    cancelled=1,
    holders_present=5,
    day_answers=1,
    conference_answers_every=2,
    ex_post_answers=1,
)

pytestmark = [pytest.mark.timeout(300)]


class Enough(Exception):
    """The checks are done: the rest of the demo's day is not needed."""


def name_of(email: str) -> tuple[str, str]:
    """The demo's names: porteur03@… is « Porteur03 Exemple », expert01@… « Expert01 …»."""
    local = email.split("@")[0]
    if local.startswith("porteur"):
        return f"Porteur{local[7:]}", "Exemple"
    return f"Expert{local[6:]}", "Partenaire"


def until(read: Callable[[], Any], expected: Any, reload: Callable[[], None]) -> Any:
    """Events cross services in a moment: reload the page until it shows `expected`."""
    deadline = time.monotonic() + 20
    while (value := read()) != expected and time.monotonic() < deadline:
        time.sleep(0.5)
        reload()
    return value


def test_check_in_mark_one_absent_and_every_page_agrees(
    browser_page: Any, tmp_path: Path, redis_url: str, bus_prefix: str
):
    from playwright.sync_api import expect

    page = browser_page
    shots = tmp_path / "captures"
    shots.mkdir()

    def shoot(name: str, widths: tuple[int, ...] = (1280, 768)) -> None:
        for width in widths:
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})

    def day_checks(scenario: Scenario, _done: Step) -> None:
        urls, edition = scenario.stack.urls, scenario.edition_id
        desk = f"{urls['registration']}/admin/accueil?edition={edition}"
        page.goto(desk)
        page.get_by_label("Adresse email").fill(ADMIN_EMAIL)
        page.get_by_label("Mot de passe").fill(scenario.admin_password)
        page.get_by_role("button", name="Se connecter").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Accueil du jour J")

        # Part of the edition arrives: two holders and one expert, each with a meeting.
        booked = {
            p for a in scenario.schedule()["appointments"] for p in (a["holder_id"], a["expert_id"])
        }
        holders = [e for e in scenario.holders if scenario.participant_id(e) in booked]
        experts = [e for e in scenario.experts if scenario.participant_id(e) in booked]
        arriving = [*holders[:2], experts[0]]
        for email in arriving:
            first, last = name_of(email)
            page.get_by_label("Rechercher un nom, une structure ou un email").fill(email)
            page.get_by_role("button", name="Rechercher").click()
            page.get_by_role("button", name=f"Enregistrer l'arrivée de {first} {last}").click()
            status = page.get_by_role("status")
            expect(status).to_contain_text(f"Arrivée enregistrée : {first} {last}.")
            # Where to go: the time, the table, the other person and their organisation.
            assert re.search(
                r"Prochain rendez-vous : \d\d:\d\d, table T\d\d, avec \S+ \S+ \(.+\)\.",
                status.inner_text(),
            ), status.inner_text()
        shoot("accueil-arrivee")

        # One named person who will not come: from the desk, through the preview.
        absent = holders[-1]
        first, last = name_of(absent)
        page.get_by_label("Rechercher un nom, une structure ou un email").fill(absent)
        page.get_by_role("button", name="Rechercher").click()
        page.get_by_role("link", name=f"Marquer absent·e : {first} {last}").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Marquer absent·e et libérer ?")
        figures = {
            li.get_attribute("data-count"): int(li.inner_text().split()[0])
            for li in page.locator("#apercu-chiffres li").all()
        }
        assert figures["absents"] == 1 and figures["liberes"] >= 1, figures
        assert f"{first} {last}" in page.locator("#apercu-chiffres").inner_text()
        assert page.locator("#liberes li").count() == figures["liberes"]
        shoot("apercu", (1280,))
        page.get_by_role("button", name="Confirmer").click()
        # Back at the desk it came from, with what was done.
        expect(page.get_by_role("heading", level=1)).to_contain_text("Accueil du jour J")
        expect(page.get_by_role("status")).to_contain_text("1 personne marquée absente ;")
        expect(page.get_by_role("status")).to_contain_text(
            f"{figures['liberes']} rendez-vous libéré"
        )

        # The expected counts, from what was done here.
        registered = len(scenario.holders) - len(scenario.cancelled) + len(scenario.experts)
        want = {
            "presents": 3,
            "attendus": registered - 3 - 1,
            "absents": 1,
            "prevenus": 0,
        }

        def counts() -> dict[str, int]:
            return {
                k: int(page.locator(f'[data-count="{k}"]').first.inner_text())
                for k in ("attendus", "absents", "prevenus")
            }

        page.goto(desk)
        assert page.locator("#compteurs-titre").inner_text() == "Présents : 3"
        assert counts() == {k: v for k, v in want.items() if k != "presents"}
        marked = page.locator("#attendus ul.marques li").filter(has_text=f"{last} {first}")
        expect(marked).to_contain_text("absent·e")
        assert page.locator("#attendus table.attendus tbody tr").count() <= want["attendus"]
        shoot("accueil")
        page.emulate_media(media="print")  # the printed list: no search, no buttons
        assert not page.get_by_role("button", name="Rechercher").is_visible()
        assert page.locator("#attendus").is_visible()
        page.screenshot(path=str(shots / "accueil-impression.png"), full_page=True)
        page.emulate_media(media="screen")

        def presences() -> dict[str, int]:
            return {
                k: int(page.locator(f'#presences [data-count="{k}"]').inner_text()) for k in want
            }

        for where in ("/admin/planning", "/admin/journee"):
            page.goto(f"{urls['scheduler']}{where}")
            assert until(presences, want, page.reload) == want, where
        page.goto(f"{urls['scheduler']}/admin/planning")
        legend = page.get_by_label("Légende")
        expect(legend).to_contain_text("absent·e")
        expect(legend).to_contain_text("a prévenu")
        # Their released meetings stay in the grid, struck through, with the mark.
        ghosts = page.locator("#grille .rdv-libere")
        assert ghosts.count() == figures["liberes"]
        expect(ghosts.first).to_contain_text("absent·e")
        shoot("grille", (1280,))

        page.goto(f"{urls['registration']}/admin?edition={edition}")
        checkin = page.locator("#etape-checkin")
        expect(checkin).to_contain_text(f"3 présents sur {registered} inscrits")
        expect(checkin).to_contain_text("2 porteur(s), 1 expert(s)")
        expect(checkin).to_contain_text(
            f"1 absent(s), 0 ayant prévenu, {want['attendus']} attendu(s)"
        )

        page.goto(f"{urls['surveys']}/admin/editions/{edition}/report")
        total = page.get_by_role("row").filter(has_text="Total")

        def report() -> tuple[str, str, str]:
            row = page.get_by_role("row")
            return (
                row.filter(has_text="Porteurs de projet").first.locator("td").nth(1).inner_text(),
                row.filter(has_text="Experts et financeurs")
                .first.locator("td")
                .nth(1)
                .inner_text(),
                total.first.locator("td").nth(1).inner_text(),
            )

        assert until(report, ("2", "1", "3"), page.reload) == ("2", "1", "3")
        assert total.first.locator("td").nth(0).inner_text() == str(registered)
        raise Enough

    def on_step(scenario: Scenario, done: Step) -> None:
        if done.name.startswith("Inscriptions tardives"):
            day_checks(scenario, done)

    with pytest.raises(Enough):
        run_demo(
            tmp_path / "demo",
            redis_url,
            echo=lambda _line: None,
            bus_prefix=bus_prefix,
            figures=FIGURES,
            on_step=on_step,
        )
