"""The operator's email log and its resend button."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from services.notifier.entrypoints.http import create_app
from services.notifier.service_layer.retention import apply_retention
from services.notifier.service_layer.sending import Outcome
from shared.retention import run
from shared.web.auth import ADMIN_COOKIE
from tests.integration.notifier.conftest import deliver, registered, rows
from tests.support.notifier import TOKEN
from tests.support.web import admin_cookie

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def client(notifier):
    return TestClient(create_app(notifier))  # no lifespan: the bus runtime stays off


def test_admin_needs_the_admin_session_or_the_service_token(client, notifier):
    assert client.get("/admin/emails", follow_redirects=False).status_code == 303  # to login
    client.headers["Accept"] = "application/json"  # a program, not a person: 401
    assert client.get("/admin/emails").status_code == 401
    assert client.get("/admin/emails", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.post("/admin/emails/1/resend").status_code in (401, 403)
    other = notifier.settings.model_copy(update={"secret_key": SecretStr("not-the-secret" * 3)})
    forged = admin_cookie(other, "intrus@exemple.org")
    assert client.get("/admin/emails", cookies={ADMIN_COOKIE: forged}).status_code == 401
    assert client.get("/admin/emails", headers=AUTH).status_code == 200
    cookie = admin_cookie(notifier.settings, "accueil@pes21.fr")
    page = client.get("/admin/emails", cookies={ADMIN_COOKIE: cookie}, headers={"Accept": "*/*"})
    assert page.status_code == 200 and "<h1>Emails</h1>" in page.text


def test_failure_shown_with_its_reason_then_resent(client, notifier, sender, smtp, directory):
    pid = directory.person()
    deliver(notifier, registered(pid))
    smtp.handler.permanent = True
    [row] = rows(notifier)
    assert sender.send(row.id) is Outcome.FAILED
    page = client.get("/admin/emails", params={"participant_id": pid}, headers=AUTH)
    assert page.status_code == 200
    assert "échec" in page.text and "550" in page.text and "Mailbox unavailable" in page.text
    assert "Renvoyer" in page.text
    smtp.handler.permanent = False
    response = client.post(f"/admin/emails/{row.id}/resend", headers=AUTH, follow_redirects=False)
    assert response.status_code == 303
    first, again = rows(notifier)
    assert again.cause_id != first.cause_id and again.template == first.template
    assert sender.send(again.id) is Outcome.SENT
    assert len(smtp.messages) == 1
    page = client.get("/admin/emails", params={"participant_id": pid}, headers=AUTH)
    assert "envoyé" in page.text
    assert client.post("/admin/emails/999/resend", headers=AUTH).status_code == 409


def test_an_email_emptied_by_retention_is_not_sent_again(client, notifier, sender, directory):
    """Its row no longer says what the person registered with: a resend would send a
    confirmation listing nothing, so the operator is told why it cannot be done."""
    pid = directory.person()
    deliver(notifier, registered(pid, tags=["financement-participatif"]))
    [row] = rows(notifier)
    assert sender.send(row.id) is Outcome.SENT
    later = dt.datetime.now(dt.UTC) + dt.timedelta(
        days=31 * (notifier.settings.retention_months + 1)
    )
    _, counts = run(notifier.kit, apply_retention, now=later)
    assert counts.email_contents == 1
    response = client.post(f"/admin/emails/{row.id}/resend", headers=AUTH)
    assert response.status_code == 409
    assert "contenu de cet email a été effacé" in response.text
    assert len(rows(notifier)) == 1  # nothing queued


def test_a_nul_character_in_the_address_is_refused_in_french(client):
    """PostgreSQL refuses the value (a DataError): the caller's input, never a 500."""
    page = client.get("/admin/emails", params={"participant_id": "a\x00b"}, headers=AUTH)
    assert page.status_code in (200, 422)  # SQLite stores NUL, PostgreSQL refuses it
    if page.status_code == 422:
        assert "ne peut pas être enregistrée" in page.text
