"""The contact API the notifier and the scheduler call."""

from __future__ import annotations

import hashlib
import uuid

from services.registration.service_layer import participants
from shared.db import transaction
from tests.integration.registration.conftest import (
    EDITION,
    SERVICE_TOKEN,
    holder_form,
    participant_rows,
    submit,
)

AUTH = {"Authorization": f"Bearer {SERVICE_TOKEN}"}


def test_contact_needs_the_service_token(client, kit):
    submit(client, "porteur", holder_form())
    [row] = participant_rows(kit)
    url = f"/internal/participants/{row.participant_id}"
    assert client.get(url).status_code == 401
    assert client.get(url, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get(url, headers={"Authorization": f"Basic {SERVICE_TOKEN}"}).status_code == 401
    answer = client.get(url, headers=AUTH)
    assert answer.status_code == 200
    body = answer.json()
    url_prefix = "https://inscriptions.example/mon-inscription/"
    assert body["self_service_url"].startswith(url_prefix)
    token = body.pop("self_service_url").removeprefix(url_prefix)
    assert hashlib.sha256(token.encode()).hexdigest() == row.token_hash
    assert body == {
        "participant_id": row.participant_id,
        "edition_id": EDITION,
        "role": "porteur",
        "status": "inscrit",
        "first_name": "Camille",
        "last_name": "Durand",
        "email": "camille.durand@asso-exemple.fr",
        "phone": "03 80 00 00 00",
        "organisation": "Les Jardins du Suzon",
    }


def test_contact_of_unknown_or_erased_participant_is_not_found(client, kit):
    assert client.get(f"/internal/participants/{uuid.uuid4()}", headers=AUTH).status_code == 404
    submit(client, "porteur", holder_form())
    [row] = participant_rows(kit)
    with transaction(kit.factory) as session:
        participants.erase(session, kit, row.participant_id, "test")
    answer = client.get(f"/internal/participants/{row.participant_id}", headers=AUTH)
    assert answer.status_code == 404
    assert answer.json() == {"detail": "unknown participant"}
