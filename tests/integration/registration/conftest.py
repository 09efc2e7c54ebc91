"""A registration app on a fresh database and the shared Redis, and helpers to drive its forms."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from services.registration.adapters.db import outbox_table, participants
from services.registration.bootstrap import bootstrap
from services.registration.entrypoints.http import create_app
from services.registration.settings import RegistrationSettings
from shared.edition import default_edition
from shared.migrations import upgrade
from shared.service import ServiceKit

PACKAGE_DIR = Path(__file__).resolve().parents[3] / "services" / "registration"
EDITION = default_edition().edition_id
SERVICE_TOKEN = "service-token-for-tests-0123456789abcdef"


@pytest.fixture
def make_kit(database_url: str, redis_url: str, bus_prefix: str):
    upgrade(PACKAGE_DIR, database_url)
    made: list[ServiceKit] = []

    def make(**overrides: Any) -> ServiceKit:
        values: dict[str, Any] = {
            "environment": "test",
            "database_url": database_url,
            "redis_url": redis_url,
            "bus_prefix": bus_prefix,
            "secret_key": "secret-key-for-tests-0123456789abcdef",
            "service_token": SERVICE_TOKEN,
            "form_min_fill_seconds": 0,
            "registration_public_url": "https://inscriptions.example",
        }
        values.update(overrides)
        kit = bootstrap(RegistrationSettings(**values)).kit
        made.append(kit)
        return kit

    yield make
    for kit in made:
        kit.engine.dispose()


@pytest.fixture
def kit(make_kit) -> ServiceKit:
    return make_kit()


@pytest.fixture
def client(kit: ServiceKit) -> Iterator[TestClient]:
    # Not entered as a context manager: the bus runtime stays stopped, tests relay by hand.
    yield TestClient(create_app(kit), base_url="https://testserver")


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def holder_form(**overrides: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "prenom": "Camille",
        "nom": "Durand",
        "email": "Camille.Durand@Asso-Exemple.fr",
        "telephone": "03 80 00 00 00",
        "structure": "Les Jardins du Suzon",
        "forme": "association",
        "stade": "creation",
        "commune": "Dijon",
        "besoin_1": "mecenat",
        "besoin_2": "budget-previsionnel",
        "besoin_3": "",
        "souhaits": "",
        "refus": "",
        "disponibilite": "journee",
        "rdv_max": "4",
        "repas": "oui",
        "accessibilite": "",
        "consentement_partage": "oui",
        "site_web": "",
    }
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def expert_form(**overrides: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "prenom": "Jean",
        "nom": "Martin",
        "email": "jean.martin@fondation.example",
        "structure": "Fondation du Bien Commun",
        "forme": "fondation",
        "commune": "Dijon",
        "thematiques": ["mecenat", "financement-projet"],
        "disponibilite": "matin",
        "rdv_max": "",
        "site_web": "",
    }
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def submit(client: TestClient, role: str, form: dict[str, Any], edition: str = EDITION):
    page = client.get(f"/inscription/{edition}/{role}")
    assert page.status_code == 200, page.text
    data = {"csrf_token": csrf_token(page.text), **form}
    return client.post(f"/inscription/{edition}/{role}", data=data)


def outbox_events(kit: ServiceKit, event_type: str | None = None) -> list[dict[str, Any]]:
    with kit.engine.connect() as conn:
        query = select(outbox_table.c.event_type, outbox_table.c.payload).order_by(
            outbox_table.c.id
        )
        rows = conn.execute(query).all()
    return [json.loads(r.payload) for r in rows if event_type is None or r.event_type == event_type]


def participant_rows(kit: ServiceKit) -> list[Any]:
    with kit.engine.connect() as conn:
        return conn.execute(select(participants).order_by(participants.c.created_at)).all()


ADMIN_EMAIL = "equipe@pes21.example"
ADMIN_PASSWORD = "un mot de passe solide"


def log_in(client: TestClient, kit: ServiceKit) -> TestClient:
    """The client, logged in to the back-office as a team member created for the test."""
    from services.registration.service_layer.admins import create_admin
    from shared.db import transaction

    with transaction(kit.factory) as session:
        create_admin(session, kit, ADMIN_EMAIL, ADMIN_PASSWORD)
    login = client.get("/admin/login")
    answer = client.post(
        "/admin/login",
        data={
            "csrf_token": csrf_token(login.text),
            "email": ADMIN_EMAIL,
            "password": ADMIN_PASSWORD,
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return client


@pytest.fixture
def admin_client(kit: ServiceKit, client: TestClient) -> TestClient:
    """The client, logged in to the back-office."""
    return log_in(client, kit)


def submit_job(kit: ServiceKit, edition: str, filename: str, data: bytes, *, dry_run: bool) -> str:
    """An import job stored as the upload route stores it (in a transaction of its own)."""
    from services.registration.service_layer import import_jobs
    from shared.db import transaction

    with transaction(kit.factory) as session:
        return import_jobs.submit(session, edition, filename, data, dry_run=dry_run)
