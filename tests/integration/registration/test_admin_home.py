"""The back-office home page: the steps of the day, their state and figures, links onward."""

from __future__ import annotations

import re

import pytest

from services.registration.adapters.day_status import Remote
from tests.integration.registration.conftest import EDITION, expert_form, holder_form, submit
from tests.support.servers import free_port


def _step(html: str, key: str) -> str:
    match = re.search(rf'<li id="etape-{key}".*?</li>\s*(?=<li id="etape-|</ol>)', html, re.S)
    assert match, f"no step {key}"
    return match.group(0)


@pytest.fixture
def kit(make_kit):
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    return make_kit(
        scheduler_internal_url=closed,
        surveys_internal_url=closed,
        notifier_internal_url=closed,
        scheduler_public_url="https://planning.example",
        notifier_public_url="https://emails.example",
        surveys_public_url="https://questionnaires.example",
        status_timeout_s=0.5,
    )


def test_home_lists_the_steps_and_says_when_a_service_is_unreachable(admin_client):
    submit(admin_client, "porteur", holder_form())
    submit(admin_client, "expert", expert_form())
    html = admin_client.get("/admin").text
    keys = re.findall(r'<li id="etape-([a-z]+)"', html)
    assert keys == [
        "programme", "ouverture", "import", "plan", "review", "publish", "emails", "checkin",
        "close", "surveys", "report",
    ]  # fmt: skip
    assert 'href="https://planning.example/admin/edition"' in _step(html, "programme")
    assert f'value="https://inscriptions.example/inscription/{EDITION}"' in _step(html, "ouverture")
    assert "Service injoignable" in _step(html, "emails")
    assert "1 porteur de projet inscrit" in _step(html, "import")
    assert "En cours" in _step(html, "import")
    assert "Service injoignable" in _step(html, "plan")
    assert "ne répond pas" in _step(html, "surveys")
    assert 'href="https://planning.example/admin/planning"' in _step(html, "publish")
    assert 'href="https://planning.example/admin/journee"' in _step(html, "close")
    assert f'href="https://questionnaires.example/admin/editions/{EDITION}/report"' in html


def test_home_shows_the_other_services_figures(admin_client, monkeypatch):
    appointments = [
        {"holder_id": f"h{i % 3}", "expert_id": "e1", "appointment_id": str(i)} for i in range(4)
    ]
    remote = Remote(
        schedule={"version": 2, "status": "published", "appointments": appointments},
        day={
            "published_version": 2,
            "sessions": [
                {"session_id": "conference-matin", "title": "Conférence", "closed": True},
                {"session_id": "journee", "title": "La journée", "closed": False},
            ],
        },
        surveys={
            "surveys": [
                {"opened_at": "x", "invited": 5, "answered": 2, "anonymous": 1},
                {"opened_at": None, "invited": 0, "answered": 0, "anonymous": 0},
            ]
        },
        emails={"counts": {"sent": 40, "pending": 1, "sending": 1, "failed": 2}},
    )

    async def fake(*_args: object) -> Remote:
        return remote

    monkeypatch.setattr("services.registration.entrypoints.admin.read_remote", fake)
    html = admin_client.get("/admin").text
    assert "4 rendez-vous" in _step(html, "plan") and "3 porteurs" in _step(html, "plan")
    assert "Fait" in _step(html, "publish") and "n° 2 publiée" in _step(html, "publish")
    assert "1 session(s) clôturée(s) sur 2" in _step(html, "close")
    assert "1 questionnaire(s) ouvert(s) sur 2" in _step(html, "surveys")
    assert "5 invitations, 3 réponses" in _step(html, "surveys")
    assert "Établi sur 3 réponses" in _step(html, "report")
    assert "40 emails envoyés, 2 en attente" in _step(html, "emails")
    assert 'href="https://emails.example/admin/emails?status=failed"' in _step(html, "emails")
    assert "Voir les 2 échecs" in _step(html, "emails")


def test_home_needs_a_login(client):
    answer = client.get("/admin", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/admin/login")
