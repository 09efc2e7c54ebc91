"""The operator prepares the day and writes to the experts, in a real browser (Debian's
Chromium, driven by Playwright) on the whole platform as `rencontres up` runs it: the
programme edited through its form reaches the public forms, the participant's edit page
speaks to the team, and a message to the experts arrives at a real SMTP server (aiosmtpd),
to them only. Screenshots are kept in the test's folder."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from rencontres.demo import ADMIN_EMAIL, Scenario, Sink, Stack
from services.scheduler.entrypoints.forms import BLANK_ROWS
from tests.support.servers import wait_until

pytestmark = pytest.mark.timeout(240)


@pytest.fixture
def scenario(tmp_path: Path, redis_url: str, bus_prefix: str) -> Iterator[Scenario]:
    """The platform started, the day in two weeks, the operator's account, two experts and
    one project holder registered through the public forms."""
    sink = Sink()
    stack = Stack.prepare(tmp_path / "plateforme", sink.start(), redis_url, bus_prefix)
    try:
        stack.start()
        played = Scenario(stack, sink, echo=lambda _line: None)
        settings = played.api["scheduler"].get("/api/edition").json()
        played.edition_id = settings["edition_id"]
        settings["date"] = played.day.isoformat()
        played.api["scheduler"].put("/api/edition", json={"settings": settings}).raise_for_status()
        played.login()
        start = sink.count()
        played.register_expert(0)
        played.register_expert(1)
        played.register_holder(0)
        played.wait_emails(start, 3)
        yield played
    finally:
        stack.stop()
        sink.stop()


def shoot(page: Any, directory: Path, name: str) -> None:
    page.screenshot(path=str(directory / f"{name}.png"), full_page=True)


def test_the_operator_edits_the_programme_then_writes_to_the_experts(
    scenario: Scenario, chromium_browser: Any, tmp_path: Path
):
    from playwright.sync_api import expect

    urls = scenario.stack.urls
    context = chromium_browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()

    # The programme page, reached through the login form.
    page.goto(f"{urls['scheduler']}/admin/edition")
    page.get_by_label("Adresse email").fill(ADMIN_EMAIL)
    page.get_by_label("Mot de passe").fill(scenario.admin_password)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Programme de l'édition {scenario.edition_id}"
    )
    # The day's rows: the morning window, then its conference, with the types' French names.
    expect(page.get_by_label("Type, ligne 1")).to_have_value("fenetre")
    expect(page.get_by_label("Type, ligne 2").locator("option:checked")).to_have_text("Conférence")
    expect(page.get_by_label("Titre, ligne 2")).to_have_value("Conférence-débat du matin")
    expect(page.locator("#avertissements")).to_have_count(0)
    rows = page.locator("table.programme tbody tr")
    blank = rows.count() - BLANK_ROWS + 1  # the first empty row under the day's, from 1

    # A conference added in an empty row, the morning one moved off the slots.
    page.get_by_label(f"Type, ligne {blank}").select_option(label="Conférence")
    page.get_by_label(f"Titre, ligne {blank}").fill("Atelier financement participatif")
    page.get_by_label(f"Début, ligne {blank}").fill("14:00")
    page.get_by_label(f"Fin, ligne {blank}").fill("15:00")
    page.get_by_label(f"Thème, ligne {blank}").fill("Financement participatif")
    page.get_by_label("Début, ligne 2").fill("11:10")
    page.get_by_role("button", name="Enregistrer et diffuser").click()
    expect(page.get_by_text("Programme enregistré et diffusé.")).to_be_visible()
    warnings = page.locator("#avertissements")
    expect(warnings).to_contain_text(
        "La conférence « Conférence-débat du matin » (11 h 10 – 12 h 00) commence ou finit "
        "au milieu du créneau 11 h 00 – 11 h 30"
    )
    shoot(page, tmp_path, "programme-avertissement")

    # A mistake: French errors at the top and at the field, nothing saved.
    page.get_by_label("Fin, ligne 2").fill("10:00")
    page.get_by_label("Titre, ligne 3").fill("")
    page.get_by_role("button", name="Enregistrer et diffuser").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("2 erreurs empêchent l'enregistrement : rien n'est enregistré")
    expect(summary).to_contain_text("Ligne 2 : la fin (10:00) doit suivre le début (11:10).")
    expect(page.get_by_label("Fin, ligne 2")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-row-2-title-error")).to_contain_text("Donnez un titre à cette session.")
    shoot(page, tmp_path, "programme-erreurs")
    page.goto(f"{urls['scheduler']}/admin/edition")  # what is saved: the warning's programme
    expect(page.get_by_label("Fin, ligne 2")).to_have_value("12:00")
    expect(page.get_by_label("Début, ligne 2")).to_have_value("11:10")

    # « Ajouter une ligne » without a script: more empty rows, nothing saved.
    before = rows.count()
    page.get_by_role("button", name="Ajouter une ligne").click()
    expect(page.get_by_text("lignes ajoutées en bas du tableau")).to_be_visible()
    assert rows.count() > before
    shoot(page, tmp_path, "programme")

    edition = scenario.api["scheduler"].get("/api/edition").json()
    sessions = {s["session_id"]: s for s in edition["sessions"]}
    assert sessions["conference-matin"]["start"] == "11:10:00"
    added = sessions["atelier-financement-participatif"]
    assert (added["kind"], added["half_day"], added["theme"]) == (
        "conference",
        "apres-midi",
        "Financement participatif",
    )

    # The public form offers the new conference once EditionUpdated has reached registration.
    def offered() -> bool:
        form = httpx.get(f"{urls['registration']}/inscription/{scenario.edition_id}/porteur")
        return "Atelier financement participatif" in form.text

    wait_until(offered, timeout=30, what="the new conference on the public form")

    # The participant's edit page speaks to the team; consents are recorded states.
    expert = scenario.participant_id(scenario.experts[0])
    page.goto(f"{urls['registration']}/admin/participants/{expert}")
    form = page.locator("main form").last
    expect(form).to_contain_text("Le participant recevra son planning")
    expect(form).to_contain_text("Ses accords, tels qu'enregistrés")
    expect(form).to_contain_text("Enregistré : accordé le")
    expect(form).not_to_contain_text("J'accepte")
    expect(form).not_to_contain_text("Vous recevrez")
    shoot(page, tmp_path, "participant-modifier")

    # « Écrire aux participants » from the list, to the experts: preview, then send.
    page.goto(f"{urls['registration']}/admin/participants?edition={scenario.edition_id}")
    page.get_by_role("link", name="Écrire aux participants").click()
    page.get_by_label("Les experts").check()
    subject = "Nouvel atelier l'après-midi"
    page.get_by_label("Objet").fill(subject)
    page.get_by_label("Texte").fill("Un atelier sur le financement participatif à 14 h.")
    page.get_by_role("button", name="Voir l'aperçu").click()
    expect(page.get_by_role("heading", name="Aperçu : 2 destinataires")).to_be_visible()
    start = scenario.sink.count()
    page.get_by_role("button", name="Envoyer à 2 personnes").click()
    expect(page.get_by_text(f"Message « {subject} » envoyé à 2 personne(s)")).to_be_visible()
    shoot(page, tmp_path, "message-envoye")
    context.close()

    received = scenario.wait_emails(start, 2)
    scenario.settle(quiet=2)
    messages = [m for m in scenario.sink.since(start) if m.subject == subject]
    assert sorted(m.to for m in messages) == sorted(scenario.experts)
    assert all("Un atelier sur le financement participatif à 14 h." in m.text for m in messages)
    assert all(re.search(r"Bonjour Expert0[01] Partenaire", m.text) for m in messages)
    assert not [m for m in received if m.to in scenario.holders]
    assert scenario.day > dt.date.today()
