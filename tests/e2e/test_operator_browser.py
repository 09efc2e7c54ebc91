"""The operator's day in a real browser (Debian's Chromium, driven by Playwright): the demo's
edition is played on a platform of its own and, after each step, the back-office home page
(`/admin`, reached through the real login form) shows that step's new state and figures."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from rencontres.demo import ADMIN_EMAIL, Figures, Scenario, Step, run_demo

# A small edition: the browser checks the page, not the planner's scale.
FIGURES = Figures(
    holders_on_time=10,
    holders_late=1,
    experts=6,
    cancelled=1,
    holders_present=8,
    day_answers=4,
    conference_answers_every=2,
    ex_post_answers=3,
)

pytestmark = [
    # A whole edition in a browser: about 100 s on 2 cores, more when the machine is slow.
    pytest.mark.timeout(300),
]


@pytest.fixture
def browser_page(chromium_browser: Any) -> Iterator[Any]:
    context = chromium_browser.new_context(locale="fr-FR")
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_the_operator_follows_the_day_on_the_home_page(
    browser_page: Any, tmp_path: Path, redis_url: str, bus_prefix: str
):
    from playwright.sync_api import expect

    page = browser_page
    f = FIGURES
    seen: list[str] = []

    def step(key: str) -> Any:
        return page.locator(f"#etape-{key}")

    def state(key: str) -> Any:
        return step(key).locator(".etat")

    def home(scenario: Scenario) -> None:
        page.goto(f"{scenario.stack.urls['registration']}/admin")
        expect(page.get_by_role("heading", level=1)).to_contain_text("La journée pas à pas")

    def programme(scenario: Scenario, done: Step) -> None:
        # Not logged in yet: the real login form, then back on the home page.
        page.goto(f"{scenario.stack.urls['registration']}/admin")
        expect(page.get_by_role("heading", level=1)).to_have_text("Connexion au back-office")
        page.get_by_label("Adresse email").fill(ADMIN_EMAIL)
        page.get_by_label("Mot de passe").fill(scenario.admin_password)
        page.get_by_role("button", name="Se connecter").click()
        expect(page).to_have_url(re.compile(r"/admin$"))
        steps = page.locator("ol.steps > li h2")
        expect(steps).to_have_text(
            [
                "Programme de l'édition",
                "Ouverture des inscriptions",
                "Inscriptions et import",
                "Planification",
                "Relecture du planning",
                "Publication des agendas",
                "Emails",
                "Accueil du jour J",
                "Clôture des sessions",
                "Questionnaires",
                "Rapport d'évaluation",
            ]
        )
        expect(state("programme")).to_have_text("Fait")
        expect(state("ouverture")).to_have_text("En cours")
        link = f"{scenario.stack.urls['registration']}/inscription/{scenario.edition_id}"
        expect(step("ouverture").get_by_role("textbox")).to_have_value(link)
        expect(state("import")).to_have_text("À faire")
        expect(step("import")).to_contain_text("0 porteur de projet inscrit")
        expect(state("plan")).to_have_text("À faire")
        expect(state("publish")).to_have_text("En attente de l'étape précédente")
        expect(state("close")).to_have_text("À faire")
        expect(step("close")).to_contain_text("0 session(s) clôturée(s) sur 5")

    def registrations(scenario: Scenario, done: Step) -> None:
        home(scenario)
        expect(state("import")).to_have_text("En cours")
        expect(step("import")).to_contain_text(f"{f.holders_on_time} porteurs de projet inscrits")
        expect(step("import")).to_contain_text(f"{f.experts} experts inscrits")
        expect(state("plan")).to_have_text("À faire")

    def plan(scenario: Scenario, done: Step) -> None:
        home(scenario)
        meetings, holders = done.counts["rendez_vous"], done.counts["porteurs_avec_rendez_vous"]
        expect(state("plan")).to_have_text("Fait")
        expect(step("plan")).to_contain_text(f" : {meetings} rendez-vous")
        expect(step("plan")).to_contain_text(f"{holders} porteurs avec au moins un rendez-vous")
        expect(state("review")).to_have_text("En cours")
        expect(state("publish")).to_have_text("À faire")
        # One click from the step to where it is done: the scheduler's grid, same login.
        step("review").get_by_role("link").click()
        expect(page).to_have_url(re.compile(r"/admin/planning$"))
        expect(page.get_by_text("Brouillon", exact=False).first).to_be_visible()

    def publish(scenario: Scenario, done: Step) -> None:
        home(scenario)
        expect(state("publish")).to_have_text("Fait")
        expect(step("publish")).to_contain_text("publiée")
        expect(state("review")).to_have_text("Fait")
        expect(state("checkin")).to_have_text("À faire")
        expect(step("emails")).to_contain_text("emails envoyés")

    def checkin(scenario: Scenario, done: Step) -> None:
        home(scenario)
        present = f.holders_present + f.experts
        expect(state("checkin")).to_have_text("En cours")
        expect(step("checkin")).to_contain_text(f"{present} présents sur")
        expect(step("checkin")).to_contain_text(f"{f.holders_present} porteur(s)")

    def close(scenario: Scenario, done: Step) -> None:
        home(scenario)
        expect(state("close")).to_have_text("Fait")
        expect(step("close")).to_contain_text("5 session(s) clôturée(s) sur 5")
        expect(state("surveys")).to_have_text("En cours")
        expect(step("surveys")).not_to_contain_text(" 0 invitation")

    def report(scenario: Scenario, done: Step) -> None:
        home(scenario)
        answers = sum(scenario.answered.values())
        expect(state("report")).to_have_text("En cours")
        expect(step("report")).to_contain_text(f"Établi sur {answers} réponses")
        step("report").get_by_role("link").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Rapport")

    checks: dict[str, Callable[[Scenario, Step], None]] = {
        "Programme de l'édition": programme,
        "Inscriptions par les formulaires": registrations,
        "Planification": plan,
        "Publication et agendas": publish,
        "Accueil du jour J": checkin,
        "Clôture des conférences et de la journée": close,
        "Rapport d'évaluation": report,
    }

    def on_step(scenario: Scenario, done: Step) -> None:
        check = checks.get(done.name)
        if check is not None:
            check(scenario, done)
            seen.append(done.name)

    run_demo(
        tmp_path / "demo",
        redis_url,
        echo=lambda _line: None,
        bus_prefix=bus_prefix,
        figures=FIGURES,
        on_step=on_step,
    )
    assert seen == list(checks)
