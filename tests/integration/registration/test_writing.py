"""« Écrire aux participants »: the group chosen, a preview, French errors, one request sent."""

from __future__ import annotations

from tests.integration.registration.conftest import (
    EDITION,
    csrf_token,
    expert_form,
    holder_form,
    outbox_events,
    submit,
)


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
