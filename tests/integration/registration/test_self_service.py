"""The personal link: see, correct, download, cancel, erase; and the retention purge."""

from __future__ import annotations

import datetime as dt
import json

from click.testing import CliRunner
from sqlalchemy import select

from services.registration.adapters.db import erasures
from services.registration.service_layer import participants
from shared.db import transaction
from shared.edition import default_edition
from tests.integration.registration.conftest import (
    SERVICE_TOKEN,
    csrf_token,
    holder_form,
    outbox_events,
    participant_rows,
    submit,
)


def personal_link(client, kit) -> str:
    [row] = [r for r in participant_rows(kit) if r.erased_at is None][:1]
    answer = client.get(
        f"/internal/participants/{row.participant_id}",
        headers={"Authorization": f"Bearer {SERVICE_TOKEN}"},
    )
    return answer.json()["self_service_url"].removeprefix("https://inscriptions.example")


def test_see_correct_and_download(client, kit):
    submit(client, "porteur", holder_form())
    link = personal_link(client, kit)
    page = client.get(link)
    assert page.status_code == 200
    assert page.headers["referrer-policy"] == "no-referrer"
    assert 'value="Les Jardins du Suzon"' in page.text and "Statut : <strong>Inscrit" in page.text

    form = {
        **holder_form(telephone="06 12 34 56 78", prenom=""),
        "csrf_token": csrf_token(page.text),
    }
    wrong = client.post(link, data=form)
    assert wrong.status_code == 422 and 'id="f-prenom-error"' in wrong.text
    form["prenom"] = "Camille"
    answer = client.post(link, data=form)
    assert answer.status_code == 200 and "Vos corrections sont enregistrées." in answer.text
    assert participant_rows(kit)[0].phone == "06 12 34 56 78"
    assert outbox_events(kit)[-1]["event_type"] == "ParticipantUpdated"

    data = client.get(f"{link}/donnees.json")
    assert data.headers["content-disposition"] == 'attachment; filename="mes-donnees.json"'
    document = json.loads(data.content)
    body = document["registration"]
    assert body["email"] == "camille.durand@asso-exemple.fr" and body["phone"] == "06 12 34 56 78"
    assert "token_hash" not in body and "token_nonce" not in body
    # No other service runs here: each part says so, the registration is still given.
    for service in ("scheduler", "notifier", "surveys"):
        assert document[service]["erreur"].startswith("service injoignable"), document[service]
    assert client.get("/mon-inscription/pas-un-jeton").status_code == 404


def test_cancel_from_the_link(client, kit):
    submit(client, "porteur", holder_form())
    link = personal_link(client, kit)
    token = csrf_token(client.get(link).text)
    answer = client.post(f"{link}/annuler", data={"csrf_token": token})
    assert "Votre inscription est annulée." in answer.text
    assert participant_rows(kit)[0].status == "annule"
    assert outbox_events(kit)[-1]["event_type"] == "ParticipantCancelled"


def test_erase_removes_personal_data_keeps_counts_and_logs(client, kit):
    submit(client, "porteur", holder_form())
    link = personal_link(client, kit)
    token = csrf_token(client.get(link).text)
    unconfirmed = client.post(f"{link}/effacer", data={"csrf_token": token})
    assert unconfirmed.status_code == 422 and "Cochez la case" in unconfirmed.text
    assert participant_rows(kit)[0].erased_at is None

    answer = client.post(f"{link}/effacer", data={"csrf_token": token, "confirmer": "oui"})
    assert "Vos données personnelles sont effacées." in answer.text
    [row] = participant_rows(kit)
    personal = (row.email, row.first_name, row.last_name, row.phone, row.organisation)
    assert personal == (None, None, None, None, None)
    assert (row.token_hash, row.wants, row.refuses) == (None, [], [])
    assert (row.role, row.legal_form, row.status) == ("porteur", "association", "inscrit")
    with kit.engine.connect() as conn:
        [log] = conn.execute(select(erasures)).all()
    assert (log.participant_id, log.reason) == (row.participant_id, "demande de la personne")
    erased = outbox_events(kit, "ParticipantErased")
    assert [e["participant_id"] for e in erased] == [row.participant_id]
    assert client.get(link).status_code == 404
    # The same email may register again: a new participant.
    submit(client, "porteur", holder_form())
    assert len(participant_rows(kit)) == 2


def test_purge_erases_past_editions_except_who_agreed_to_be_contacted(
    client, kit, database_url, monkeypatch
):
    submit(client, "porteur", holder_form())
    submit(client, "porteur", holder_form(email="fidele@asso.example", consentement_contact="oui"))
    day = default_edition().date
    with transaction(kit.factory) as session:
        assert participants.purge(session, kit, 365, today=day + dt.timedelta(days=200)) == 0
    with transaction(kit.factory) as session:
        assert participants.purge(session, kit, 365, today=day + dt.timedelta(days=400)) == 1
    kept, erased = sorted(participant_rows(kit), key=lambda r: r.erased_at is not None)
    assert kept.email == "fidele@asso.example" and kept.erased_at is None
    assert erased.email is None and erased.erased_at is not None
    assert [e["participant_id"] for e in outbox_events(kit, "ParticipantErased")] == [
        erased.participant_id
    ]
    with kit.engine.connect() as conn:
        assert [r.reason for r in conn.execute(select(erasures))] == ["retention"]

    from rencontres.cli import main

    monkeypatch.setenv("REGISTRATION_DATABASE_URL", database_url)
    result = CliRunner().invoke(main, ["registration", "purge", "--older-than-days", "0"])
    assert result.exit_code == 0, result.output
    # Only the person who agreed to be contacted is left: nothing more to erase.
    assert result.output == "0 personne(s) effacée(s)\n"
    assert [r.email for r in participant_rows(kit) if r.erased_at is None] == [
        "fidele@asso.example"
    ]


def test_correcting_after_cancelling_does_not_register_again(client, kit):
    submit(client, "porteur", holder_form())
    link = personal_link(client, kit)
    token = csrf_token(client.get(link).text)
    client.post(f"{link}/annuler", data={"csrf_token": token})
    client.post(link, data={**holder_form(commune="Beaune"), "csrf_token": token})
    [row] = participant_rows(kit)
    assert (row.status, row.commune) == ("annule", "Beaune")
    # The public form does not bring the person back (anyone can fill it); « Me réinscrire »
    # on the personal page does.
    submit(client, "porteur", holder_form(commune="Beaune"))
    assert participant_rows(kit)[0].status == "annule"
    client.post(f"{link}/reinscrire", data={"csrf_token": token})
    assert participant_rows(kit)[0].status == "inscrit"
    assert outbox_events(kit)[-1]["status"] == "inscrit"


def test_the_team_erases_a_person_on_request(client, kit, database_url, monkeypatch):
    from rencontres.cli import main

    submit(client, "porteur", holder_form())
    [row] = participant_rows(kit)
    monkeypatch.setenv("REGISTRATION_DATABASE_URL", database_url)
    command = ["registration", "erase", "--yes", "--participant", row.participant_id]
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 0, result.output
    [erased] = participant_rows(kit)
    assert erased.email is None and erased.erased_at is not None
    assert outbox_events(kit)[-1]["event_type"] == "ParticipantErased"
    # Again, or an id that is not one: a French message, nothing changes.
    again = CliRunner().invoke(main, command)
    assert again.exit_code != 0 and "déjà effacée" in again.output
    assert CliRunner().invoke(main, [*command[:-1], "pas-un-id"]).exit_code != 0
