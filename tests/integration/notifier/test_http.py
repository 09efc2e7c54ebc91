"""The operator's email log and resend button; the surveys service's requests."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from services.notifier.entrypoints.http import create_app
from services.notifier.service_layer.sending import Outcome
from shared.auth import ADMIN_COOKIE, issue_admin_session
from shared.events import SurveyAnswered, SurveyKind
from tests.integration.notifier.conftest import EDITION, deliver, registered, rows
from tests.support.notifier import TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def client(notifier):
    return TestClient(create_app(notifier))  # no lifespan: the bus runtime stays off


def test_admin_needs_the_admin_session_or_the_service_token(client, notifier):
    assert client.get("/admin/emails").status_code == 401
    assert client.get("/admin/emails", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.post("/admin/emails/1/resend").status_code == 401
    forged = issue_admin_session("not-the-secret", "intrus@exemple.org")
    assert client.get("/admin/emails", cookies={ADMIN_COOKIE: forged}).status_code == 401
    assert client.get("/admin/emails", headers=AUTH).status_code == 200
    secret = notifier.settings.secret_key.get_secret_value()
    cookie = issue_admin_session(secret, "accueil@pes21.fr")
    page = client.get("/admin/emails", cookies={ADMIN_COOKIE: cookie})
    assert page.status_code == 200 and "<h1>Emails</h1>" in page.text
    # the surveys' endpoint is for services only
    body = {"request_id": str(uuid.uuid4())}
    assert (
        client.post(
            "/internal/survey-emails", json=body, cookies={ADMIN_COOKIE: cookie}
        ).status_code
        == 401
    )


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


def survey_request(kind: str, people: list[str], request_id: uuid.UUID, survey_id: uuid.UUID):
    return {
        "request_id": str(request_id),
        "edition_id": EDITION,
        "survey_id": str(survey_id),
        "kind": kind,
        "survey_title": "Évaluation de la journée",
        "closes_at": "2030-12-05T23:00:00+00:00",
        "recipients": [
            {"participant_id": p, "survey_url": f"https://q.example/r/{p[:6]}"} for p in people
        ],
    }


def test_survey_invitations_and_reminders(client, notifier, sender, smtp, directory):
    survey_id = uuid.uuid4()
    people = [directory.person() for _ in range(3)]
    body = survey_request("invitation", people, uuid.uuid4(), survey_id)
    assert client.post("/internal/survey-emails", json=body).status_code == 401
    first = client.post("/internal/survey-emails", json=body, headers=AUTH)
    assert first.status_code == 202 and first.json() == {"accepted": 3, "duplicates": 0}
    again = client.post("/internal/survey-emails", json=body, headers=AUTH)
    assert again.json() == {"accepted": 0, "duplicates": 3}
    for row in rows(notifier):
        assert sender.send(row.id) is Outcome.SENT
    assert len(smtp.messages) == 3
    invitation = smtp.messages[0]
    assert invitation["Subject"] == "Votre avis sur les Rencontres du financement de l'ESS"
    text = invitation.get_body(preferencelist=("plain",)).get_content()
    assert "« Évaluation de la journée »" in text
    assert "https://q.example/r/" in text
    assert "jusqu'au vendredi 6 décembre 2030" in text  # 23:00 UTC is the 6th in Paris
    assert all('"url"' not in r.context for r in rows(notifier))  # the link is not kept

    # Reminders go to whom the surveys service names (non-respondents); one answers meanwhile.
    body = survey_request("relance", people[:2], uuid.uuid4(), survey_id)
    assert client.post("/internal/survey-emails", json=body, headers=AUTH).json()["accepted"] == 2
    deliver(
        notifier,
        SurveyAnswered(
            edition_id=EDITION,
            survey_id=survey_id,
            kind=SurveyKind.DAY,
            response_id=uuid.uuid4(),
            participant_id=uuid.UUID(people[0]),
        ),
    )
    reminders = rows(notifier, template="questionnaire-relance")
    assert [r.status for r in reminders] == ["cancelled", "pending"]
    assert sender.send(reminders[1].id) is Outcome.SENT
    last = smtp.messages[-1]
    assert last["Subject"].startswith("Rappel : votre avis")
    assert last["To"].addresses[0].addr_spec == directory.participants[people[1]]["email"]
