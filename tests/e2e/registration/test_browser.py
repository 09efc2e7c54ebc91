"""A real browser (Debian's Chromium, driven by Playwright) on the registration app."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from services.registration.bootstrap import bootstrap
from services.registration.domain.model import parse_profile
from services.registration.entrypoints.http import create_app
from services.registration.service_layer import participants
from services.registration.service_layer.admins import create_admin
from services.registration.settings import RegistrationSettings
from shared.db import transaction
from shared.edition import default_edition
from shared.events import Role
from shared.migrations import upgrade
from shared.service import ServiceKit
from tests.support.servers import free_port

PACKAGE_DIR = Path(__file__).resolve().parents[3] / "services" / "registration"
EDITION = default_edition().edition_id


@pytest.fixture
def served(database_url: str, redis_url: str, bus_prefix: str) -> Iterator[tuple[str, ServiceKit]]:
    upgrade(PACKAGE_DIR, database_url)
    kit = bootstrap(
        RegistrationSettings(
            environment="test",
            database_url=database_url,
            redis_url=redis_url,
            bus_prefix=bus_prefix,
            secret_key="secret-key-for-browser-tests-0123456789",
            form_min_fill_seconds=0,
        )
    ).kit
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(kit), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}", kit
    server.should_exit = True
    thread.join(timeout=10)
    kit.engine.dispose()


@pytest.fixture
def page(chromium_browser: Any) -> Iterator[Any]:
    context = chromium_browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_holder_fixes_a_mistake_and_is_registered(served, page):
    from playwright.sync_api import expect

    base, kit = served
    page.goto(f"{base}/inscription/{EDITION}/porteur")
    page.get_by_label("Prénom").fill("Camille")
    page.get_by_label("Nom (obligatoire)", exact=True).fill("Durand")
    page.get_by_label("Adresse email").fill("camille.durand@")
    page.get_by_label("Nom de la structure").fill("Les Jardins du Suzon")
    page.get_by_label("Forme juridique").select_option("association")
    page.get_by_label("Création").check()
    page.get_by_label("Commune").fill("Dijon")
    page.get_by_label("Besoin n°1").select_option(label="Mécénat")
    page.get_by_label("J'accepte que mon nom").check()
    page.get_by_role("button", name="Envoyer mon inscription").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("1 erreur empêche l'envoi du formulaire")
    email = page.get_by_label("Adresse email")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-email-error")).to_have_text(
        "Erreur : Indiquez une adresse email valide, par exemple nom@exemple.fr."
    )
    # What was typed is still there; the consent box stays as the person left it.
    expect(page.get_by_label("Nom de la structure")).to_have_value("Les Jardins du Suzon")
    expect(page.get_by_label("J'accepte que mon nom")).to_be_checked()
    expect(page.get_by_label("J'accepte d'être recontacté")).not_to_be_checked()

    summary.get_by_role("link").click()
    email.fill("camille.durand@asso-exemple.fr")
    page.get_by_role("button", name="Envoyer mon inscription").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Merci, votre inscription est enregistrée"
    )
    with kit.factory() as session:
        from sqlalchemy import select

        from services.registration.adapters.db import participants as table

        [row] = session.execute(select(table)).all()
    assert (row.email, row.tags, row.consent_share_profile) == (
        "camille.durand@asso-exemple.fr",
        ["mecenat"],
        True,
    )


def test_welcome_desk_search_check_in_and_undo(served, page):
    from playwright.sync_api import expect

    base, kit = served
    with transaction(kit.factory) as session:
        create_admin(session, kit, "accueil@pes21.example", "mot de passe de l'accueil")
    edition = default_edition()
    for first, organisation, email in (
        ("Camille", "Les Jardins du Suzon", "camille@asso.example"),
        ("Jean", "Fondation du Bien Commun", "jean@fondation.example"),
    ):
        raw = {
            "prenom": first, "nom": "Test", "email": email, "structure": organisation,
            "forme": "association", "stade": "creation", "commune": "Dijon",
            "thematiques": ["mecenat"],
        }  # fmt: skip
        with transaction(kit.factory) as session:
            participants.register(session, kit, EDITION, parse_profile(Role.HOLDER, raw, edition))

    page.goto(f"{base}/admin/accueil")
    page.get_by_label("Adresse email").fill("accueil@pes21.example")
    page.get_by_label("Mot de passe").fill("mot de passe de l'accueil")
    page.get_by_role("button", name="Se connecter").click()
    # Back to the page asked for, now logged in.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Accueil")
    expect(page.locator("#compteurs-titre")).to_have_text("Présents : 0")

    # Typing filters the list without a page load (search as you type).
    page.get_by_label("Rechercher un nom").press_sequentially("suzo")
    results = page.locator("#resultats")
    expect(results).not_to_contain_text("Fondation du Bien Commun")
    expect(results).to_contain_text("Les Jardins du Suzon")

    page.get_by_role("button", name="Enregistrer l'arrivée de Camille Test").click()
    expect(page.locator("#compteurs-titre")).to_have_text("Présents : 1")
    expect(page.locator("#compteurs")).to_contain_text("Porteur de projet : 1")
    page.get_by_role("button", name="Annuler l'arrivée de Camille Test").click()
    expect(page.locator("#compteurs-titre")).to_have_text("Présents : 0")
