"""The public forms, through HTTP, against a real database and the real Redis."""

from __future__ import annotations

import json
import re
import uuid

import redis

from shared.bus.broker import DATA_FIELD
from shared.db import transaction
from shared.events import ParticipantRegistered
from tests.integration.registration.conftest import (
    EDITION,
    csrf_token,
    expert_form,
    holder_form,
    outbox_events,
    participant_rows,
    submit,
)


def main_text(html: str) -> str:
    """The page's main content, without the form tokens that differ from page to page."""
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)).strip()


def test_holder_form_is_accessible_french_and_has_two_unchecked_consents(client):
    page = client.get(f"/inscription/{EDITION}/porteur")
    html = page.text
    assert page.status_code == 200
    assert '<html lang="fr">' in html
    assert 'name="viewport"' in html
    assert '<label for="f-email">Adresse email' in html
    assert 'aria-describedby="f-email-hint"' in html
    assert "Commission nationale" not in html  # the CNIL is named by its usual name
    for words in (
        "Responsable du traitement",
        "Finalités",
        "Base légale",
        "Destinataires",
        "Durée de conservation",
        "Vos droits",
        "CNIL",
    ):
        assert words in html
    assert 'name="consentement_partage" value="oui">' in html
    assert 'name="consentement_contact" value="oui">' in html
    assert "checked" not in html.split("Vos accords")[1]
    assert "Inscription expert" in client.get(f"/inscription/{EDITION}/expert").text


def test_holder_registration_stores_normalised_email_and_publishes_categories_only(client, kit):
    answer = submit(client, "porteur", holder_form())
    assert answer.status_code == 200, answer.text
    assert "Merci, votre inscription est enregistrée" in answer.text

    [row] = participant_rows(kit)
    assert row.email == "camille.durand@asso-exemple.fr"
    assert row.role == "porteur" and row.status == "inscrit" and row.revision == 1
    assert row.tags == ["mecenat", "budget-previsionnel"]
    assert row.consent_share_profile is True and row.consent_share_profile_at is not None
    assert row.consent_contact is False and row.consent_contact_at is None
    assert row.token_hash and len(row.token_hash) == 64

    [event] = outbox_events(kit)
    assert event["event_type"] == "ParticipantRegistered"
    assert event["participant_id"] == row.participant_id
    assert event["edition_id"] == EDITION
    assert event["legal_form"] == "association" and event["stage"] == "creation"
    assert event["tags"] == ["mecenat", "budget-previsionnel"]
    assert event["lunch"] is True and event["max_meetings"] == 4
    text = json.dumps(event)
    for personal in ("Camille", "Durand", "camille", "03 80", "Suzon"):
        assert personal not in text


def test_event_reaches_the_redis_stream_after_relay(client, kit, redis_url, bus_prefix):
    submit(client, "expert", expert_form())
    assert kit.runtime.relay.publish_all() == 1
    stream = ParticipantRegistered.stream(bus_prefix)
    assert stream == f"{bus_prefix}rencontres.registration.participant-registered"
    entries = redis.Redis.from_url(redis_url).xrange(stream)
    assert len(entries) == 1
    event = ParticipantRegistered.model_validate_json(entries[0][1][DATA_FIELD.encode()])
    assert event.role == "expert" and event.legal_form == "fondation"
    assert event.tags == ["mecenat", "financement-projet"] and event.availability == "matin"
    assert event.max_meetings is None


def test_errors_are_shown_next_to_each_field_and_nothing_is_stored(client, kit):
    answer = submit(
        client,
        "porteur",
        holder_form(email="pas-une-adresse", prenom="", forme="sarl", stade=None, telephone="abc"),
    )
    assert answer.status_code == 422
    html = answer.text
    assert "4 erreurs empêchent" not in html  # five fields are wrong
    assert "5 erreurs empêchent l'envoi du formulaire" in html
    assert 'id="f-email-error"' in html
    assert 'aria-describedby="f-email-hint f-email-error" aria-invalid="true"' in html
    assert "Indiquez une adresse email valide" in html
    assert 'href="#f-prenom"' in html and "Ce champ est obligatoire." in html
    assert "Choisissez une forme dans la liste." in html
    assert "Choisissez le stade de votre projet." in html
    assert "Indiquez un numéro de téléphone valide" in html
    # What the person typed is kept.
    assert 'value="Durand"' in html and 'value="pas-une-adresse"' in html
    assert participant_rows(kit) == []
    assert outbox_events(kit) == []


def test_line_breaks_in_header_bound_fields_are_refused(client, kit):
    answer = submit(
        client,
        "porteur",
        holder_form(nom="Durand\r\nBcc: victim@example.org", structure="Asso\nX"),
    )
    assert answer.status_code == 422
    # Each message in the summary and next to its field.
    assert answer.text.count("Ce champ doit tenir sur une ligne") == 4
    assert 'id="f-nom-error"' in answer.text and 'id="f-structure-error"' in answer.text
    answer = submit(client, "porteur", holder_form(email="a@example.org\r\nBcc: b@example.org"))
    assert answer.status_code == 422 and "Indiquez une adresse email valide" in answer.text
    assert participant_rows(kit) == [] and outbox_events(kit) == []


def test_without_a_valid_csrf_token_nothing_is_stored(client, kit):
    client.get(f"/inscription/{EDITION}/porteur")
    answer = client.post(f"/inscription/{EDITION}/porteur", data=holder_form())
    assert answer.status_code == 403
    assert "Le formulaire a expiré" in answer.text
    answer = client.post(
        f"/inscription/{EDITION}/porteur", data={**holder_form(), "csrf_token": "forged.token"}
    )
    assert answer.status_code == 403
    # A token signed for another cookie (another browser) is refused too.
    other = client.get(f"/inscription/{EDITION}/porteur")
    token = csrf_token(other.text)
    client.cookies.set("rencontres_csrf", "someone-else")
    answer = client.post(
        f"/inscription/{EDITION}/porteur", data={**holder_form(), "csrf_token": token}
    )
    assert answer.status_code == 403
    assert participant_rows(kit) == [] and outbox_events(kit) == []


def test_registering_again_with_a_known_email_changes_nothing_and_tells_nothing(client, kit):
    first = submit(client, "porteur", holder_form())
    [before] = participant_rows(kit)
    again = submit(
        client,
        "porteur",
        holder_form(
            email="  CAMILLE.durand@asso-exemple.FR ",
            prenom="Mallory",
            nom="Intrus",
            structure="Autre structure",
            commune="Beaune",
            consentement_partage="",
        ),
    )
    # The same page as a new registration: nothing tells the address was known.
    assert again.status_code == first.status_code == 200
    assert main_text(again.text) == main_text(first.text)
    assert "mise à jour" not in again.text
    assert participant_rows(kit) == [before]
    events = outbox_events(kit)
    assert [e["event_type"] for e in events] == [
        "ParticipantRegistered",
        "ParticipantLinkRequested",
    ]
    assert events[1]["participant_id"] == before.participant_id
    assert set(events[1]) >= {"participant_id", "role", "edition_id"}
    assert "email" not in events[1] and "first_name" not in events[1]


def test_known_email_with_the_other_role_gets_the_same_page_too(client, kit):
    first = submit(client, "porteur", holder_form())
    [before] = participant_rows(kit)
    answer = submit(client, "expert", expert_form(email="camille.durand@asso-exemple.fr"))
    assert answer.status_code == 200
    assert main_text(answer.text) == main_text(first.text)
    assert participant_rows(kit) == [before]
    assert outbox_events(kit)[-1]["event_type"] == "ParticipantLinkRequested"


def test_a_cancelled_person_comes_back_from_their_own_page(client, kit):
    from services.registration.service_layer import participants

    submit(client, "porteur", holder_form())
    [row] = participant_rows(kit)
    with transaction(kit.factory) as session:
        participants.cancel(session, kit, row.participant_id)
    # The public form does not bring them back (anyone could)...
    submit(client, "porteur", holder_form())
    assert participant_rows(kit)[0].status == "annule"
    # ...their personal link does.
    token = participants.token_for(kit, participant_rows(kit)[0])
    page = client.get(f"/mon-inscription/{token}")
    assert "Me réinscrire" in page.text
    answer = client.post(
        f"/mon-inscription/{token}/reinscrire", data={"csrf_token": csrf_token(page.text)}
    )
    assert answer.status_code == 200 and "de nouveau confirmée" in answer.text
    assert participant_rows(kit)[0].status == "inscrit"
    assert outbox_events(kit)[-1]["event_type"] == "ParticipantUpdated"


def test_past_capacity_people_go_on_the_waiting_list_and_are_told(make_kit, kit):
    from fastapi.testclient import TestClient

    from services.registration.entrypoints.http import create_app
    from shared.edition import default_edition
    from shared.events import EditionUpdated

    settings = default_edition().model_copy(update={"capacity_holders": 1})
    with kit.factory() as session, session.begin():
        from services.registration.service_layer.editions import apply_edition_updated

        apply_edition_updated(session, EditionUpdated(edition_id=EDITION, settings=settings))
    client = TestClient(create_app(kit))
    first = submit(client, "porteur", holder_form())
    assert "liste d'attente" not in first.text
    second = submit(client, "porteur", holder_form(email="autre@asso.example", structure="Autre"))
    assert "vous êtes sur liste d'attente" in second.text
    statuses = [r.status for r in participant_rows(kit)]
    assert statuses == ["inscrit", "liste-attente"]
    events = outbox_events(kit, "ParticipantRegistered")
    assert [e["status"] for e in events] == ["inscrit", "liste-attente"]


def test_honeypot_and_too_fast_forms_get_a_normal_answer_and_store_nothing(make_kit):
    from fastapi.testclient import TestClient

    from services.registration.entrypoints.http import create_app

    kit = make_kit(form_min_fill_seconds=30)
    client = TestClient(create_app(kit))
    fast = submit(client, "porteur", holder_form())
    assert fast.status_code == 200
    assert "Merci, votre inscription est enregistrée" in fast.text
    assert participant_rows(kit) == [] and outbox_events(kit) == []

    kit = make_kit(form_min_fill_seconds=0)
    client = TestClient(create_app(kit))
    trapped = submit(client, "porteur", holder_form(site_web="http://spam.example"))
    assert trapped.status_code == 200
    assert "Merci, votre inscription est enregistrée" in trapped.text
    assert participant_rows(kit) == [] and outbox_events(kit) == []


def test_rate_limit_per_ip_and_per_email(make_kit, redis_url, bus_prefix):
    from fastapi.testclient import TestClient

    from services.registration.entrypoints.http import create_app

    kit = make_kit(rate_per_ip=3, rate_per_email=2)
    client = TestClient(create_app(kit))
    codes = [submit(client, "porteur", holder_form()).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert "Trop de tentatives" in submit(client, "porteur", holder_form()).text
    keys = [k.decode() for k in redis.Redis.from_url(redis_url).scan_iter(f"{bus_prefix}*")]
    assert keys and all(k.startswith(f"{bus_prefix}registration:rate:") for k in keys)
    assert not any("camille" in k or "testclient" in k for k in keys)

    kit = make_kit(rate_per_ip=100, rate_per_email=2, bus_prefix=bus_prefix + "b:")
    client = TestClient(create_app(kit))
    codes = [submit(client, "porteur", holder_form(commune=c)).status_code for c in "ABC"]
    assert codes == [200, 200, 429]
    # A known address changes nothing; each accepted one asks for the link to be sent.
    assert [r.commune for r in participant_rows(kit)] == ["Dijon"]


def test_wishes_are_published_as_participant_ids(client, kit):
    submit(client, "expert", expert_form())
    submit(
        client,
        "porteur",
        holder_form(souhaits="Fondation du bien commun\nInconnue", refus="banque@credit.example"),
    )
    expert, holder = participant_rows(kit)
    registered = outbox_events(kit, "ParticipantRegistered")
    assert registered[1]["wants"] == [expert.participant_id]
    assert registered[1]["refuses"] == []
    # An expert registering later, named by email, updates the holder's resolved refusals.
    submit(
        client,
        "expert",
        expert_form(email="banque@credit.example", structure="Crédit", forme="banque"),
    )
    last = outbox_events(kit)[-1]
    assert last["event_type"] == "ParticipantUpdated"
    assert last["participant_id"] == holder.participant_id
    banker = next(r for r in participant_rows(kit) if r.organisation == "Crédit")
    assert last["refuses"] == [banker.participant_id]
    assert uuid.UUID(last["wants"][0]) == uuid.UUID(expert.participant_id)


def test_unknown_edition_or_role_is_not_found(client):
    assert client.get("/inscription/1999/porteur").status_code == 404
    assert client.get(f"/inscription/{EDITION}/visiteur").status_code == 404


def test_pages_cannot_be_framed(client):
    answer = client.get(f"/inscription/{EDITION}/porteur")
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["content-security-policy"] == "frame-ancestors 'none'"
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_a_form_over_our_limits_gets_a_french_page_and_changes_nothing(client, kit):
    page = client.get(f"/inscription/{EDITION}/porteur")
    base = {"csrf_token": csrf_token(page.text), **holder_form()}
    many = {**base, **{f"champ{i}": "x" for i in range(1001)}}
    answer = client.post(f"/inscription/{EDITION}/porteur", data=many)
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("text/html")
    assert "trop de champs (1\u202f000 au plus)" in answer.text
    long = {**base, "souhaits": "a" * (65 * 1024)}
    for files in (None, {"piece": ("a.txt", b"x")}):
        answer = client.post(f"/inscription/{EDITION}/porteur", data=long, files=files)
        assert answer.status_code == 400, answer.text
        assert "dépasse la taille acceptée (64 Ko au plus)" in answer.text
        assert "exceeded" not in answer.text
    assert participant_rows(kit) == []
