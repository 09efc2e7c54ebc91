"""« Écrire aux participants »: the group chosen, a preview, French errors, one request sent."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.registration.entrypoints.http import create_app
from services.registration.service_layer.participants import check_in
from services.surveys.bootstrap import bootstrap as surveys_bootstrap
from services.surveys.entrypoints.http import create_app as surveys_app
from services.surveys.settings import SurveysSettings
from shared.db import transaction
from shared.events import EVENTS_BY_TYPE, ClosedSessionKind, SessionClosed, utc_now
from shared.migrations import upgrade
from tests.conftest import TEST_DATABASE
from tests.integration.registration.conftest import (
    EDITION,
    SERVICE_TOKEN,
    csrf_token,
    expert_form,
    holder_form,
    log_in,
    outbox_events,
    participant_rows,
    submit,
)
from tests.support.servers import create_test_database, free_port, serve

SURVEYS_PACKAGE = Path(__file__).resolve().parents[3] / "services" / "surveys"


def _post(client, token: str, **fields: str):
    data = {"csrf_token": token, "edition": EDITION, **fields}
    return client.post("/admin/messages", data=data)


def test_the_team_previews_then_writes_to_the_experts_once(admin_client, kit):
    submit(admin_client, "porteur", holder_form())
    submit(admin_client, "expert", expert_form())
    submit(admin_client, "expert", expert_form(prenom="Inès", nom="Roy", email="ines@banque.fr"))
    page = admin_client.get(f"/admin/messages?edition={EDITION}")
    assert page.status_code == 200 and "Écrire aux participants" in page.text
    token = csrf_token(page.text)
    message_id = page.text.split('name="message_id" value="')[1].split('"')[0]

    # Nothing written: French errors, nothing sent.
    empty = _post(admin_client, token, message_id=message_id, audience="experts", action="apercu")
    assert empty.status_code == 422
    assert "Écrivez l&#39;objet du message." in empty.text
    assert "Écrivez le texte du message." in empty.text
    unknown = _post(
        admin_client, token, message_id=message_id, audience="tout-le-monde", objet="x", texte="y"
    )
    assert unknown.status_code == 422 and "Choisissez à qui écrire." in unknown.text

    body = "Le parking ouvre à 9 h.\n\nMerci de venir avec votre badge."
    draft = {"message_id": message_id, "audience": "experts", "objet": "Accès", "texte": body}
    preview = _post(admin_client, token, **draft, action="apercu")
    assert preview.status_code == 200
    text = " ".join(preview.text.split())
    assert "Aperçu : 2 destinataires" in text
    assert "Jean Martin (Fondation du Bien Commun)" in text and "Inès Roy" in text
    assert "Camille" not in text  # the holder is not in the group
    assert not [e for e in outbox_events(kit) if e["event_type"] == "MessageRequested"]

    sent = _post(admin_client, token, **draft, action="envoyer")
    assert "Message « Accès » envoyé à 2 personne(s)" in sent.text
    [event] = [e for e in outbox_events(kit) if e["event_type"] == "MessageRequested"]
    assert event["audience"] == "experts" and event["message_id"] == message_id
    assert event["subject"] == "Accès" and event["body"] == body
    assert len(event["participant_ids"]) == 2
    assert "@" not in str(event)  # ids only, no address


def test_a_group_with_nobody_sends_nothing(admin_client, kit):
    page = admin_client.get(f"/admin/messages?edition={EDITION}")
    token = csrf_token(page.text)
    message_id = page.text.split('name="message_id" value="')[1].split('"')[0]
    draft = {"message_id": message_id, "audience": "presents", "objet": "Merci", "texte": "Merci"}
    preview = _post(admin_client, token, **draft, action="apercu")
    assert "Personne dans ce groupe" in preview.text and "Envoyer à" not in preview.text
    refused = _post(admin_client, token, **draft, action="envoyer")
    assert refused.status_code == 422 and "aucun message envoyé" in refused.text
    assert not [e for e in outbox_events(kit) if e["event_type"] == "MessageRequested"]


@pytest.fixture
def surveys_service(tmp_path: Path, redis_url: str, bus_prefix: str):
    """The surveys service on its own database, served for real on a free port."""
    (tmp_path / "surveys").mkdir()
    database_url, drop = create_test_database(TEST_DATABASE, tmp_path / "surveys")
    upgrade(SURVEYS_PACKAGE, database_url)
    settings = SurveysSettings(
        database_url=database_url,
        redis_url=redis_url,
        bus_prefix=bus_prefix,
        surveys_public_url="http://surveys.test",
        service_token=SERVICE_TOKEN,
        due_interval_s=0,
        environment="test",
    )
    surveys_kit = surveys_bootstrap(settings).kit
    with serve(surveys_app(surveys_kit)) as url:
        yield surveys_kit, url
    surveys_kit.engine.dispose()
    drop()


def test_writing_to_the_non_respondents_of_a_questionnaire(make_kit, surveys_service):
    """The group comes from the surveys service (its internal API over HTTP): the people
    invited to the day's evaluation who have not answered it, and only them."""
    surveys_kit, surveys_url = surveys_service
    kit = make_kit(surveys_internal_url=surveys_url, status_timeout_s=5)
    client = TestClient(create_app(kit), base_url="https://testserver")
    log_in(client, kit)
    submit(client, "porteur", holder_form())
    submit(client, "porteur", holder_form(prenom="Inès", nom="Roy", email="ines@asso.fr"))
    people = {r.first_name: r.participant_id for r in participant_rows(kit)}
    for pid in people.values():  # both came, so both are invited to the day's evaluation
        with transaction(kit.factory) as session:
            check_in(session, kit, pid)
    for event in outbox_events(kit):  # as the relay and the surveys' consumer carry them
        stream = EVENTS_BY_TYPE[event["event_type"]].stream(kit.settings.bus_prefix)
        if stream in surveys_kit.consumer.subscriptions:
            surveys_kit.consumer.process(stream, json.dumps(event))
    closed = SessionClosed(
        edition_id=EDITION, session_id="journee", kind=ClosedSessionKind.DAY, closed_at=utc_now()
    )
    surveys_kit.consumer.process(closed.stream(kit.settings.bus_prefix), closed.model_dump_json())
    service = TestClient(
        surveys_app(surveys_kit), headers={"Authorization": f"Bearer {SERVICE_TOKEN}"}
    )
    # The served app relays its outbox: the invitation is read from its internal API.
    data = service.get(f"/internal/participants/{people['Camille']}/data").json()
    [invitation] = [i["invitation_id"] for i in data["invitations"]]
    link = service.post(f"/internal/invitations/{invitation}/link").json()["link"]
    answer = {"organisation": "5", "qualite_rdv": "4", "reviendrait": "oui", "recommandation": "9"}
    assert service.post(link.replace("http://surveys.test", ""), data=answer).status_code == 200

    page = client.get(f"/admin/messages?edition={EDITION}")
    text = " ".join(page.text.split())
    assert "Sans réponse au questionnaire « " in text and "(1 sur 2 invités)" in text
    key = page.text.split('value="sans-reponse:')[1].split('"')[0]
    token = csrf_token(page.text)
    message_id = page.text.split('name="message_id" value="')[1].split('"')[0]
    draft = {
        "message_id": message_id,
        "audience": f"sans-reponse:{key}",
        "objet": "Votre avis",
        "texte": "Il vous reste une semaine pour répondre.",
    }
    preview = _post(client, token, **draft, action="apercu")
    assert "Aperçu : 1 destinataire" in preview.text and "Inès Roy" in preview.text
    assert "Camille" not in preview.text  # she answered
    sent = _post(client, token, **draft, action="envoyer")
    assert "envoyé à 1 personne(s)" in sent.text
    [event] = outbox_events(kit, "MessageRequested")
    assert event["audience"] == "sans-reponse" and event["survey_id"] == key
    assert event["participant_ids"] == [people["Inès"]]


def test_non_respondents_without_the_surveys_service_is_a_french_error(make_kit):
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    kit = make_kit(surveys_internal_url=closed, status_timeout_s=0.5)
    client = TestClient(create_app(kit), base_url="https://testserver")
    log_in(client, kit)
    page = client.get(f"/admin/messages?edition={EDITION}")
    assert page.status_code == 200 and "sans-reponse:" not in page.text  # no questionnaire offered
    draft = {
        "message_id": str(uuid.uuid4()),
        "audience": f"sans-reponse:{uuid.uuid4()}",
        "objet": "Votre avis",
        "texte": "Merci",
    }
    refused = _post(client, csrf_token(page.text), **draft, action="apercu")
    assert refused.status_code == 422
    assert "Le service des questionnaires ne répond pas" in refused.text
    assert not outbox_events(kit, "MessageRequested")
