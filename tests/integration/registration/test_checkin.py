"""The welcome desk: search, one tap to check in or undo, walk-ins, counts."""

from __future__ import annotations

import html

from tests.integration.registration.conftest import (
    csrf_token,
    expert_form,
    holder_form,
    outbox_events,
    participant_rows,
    submit,
)


def test_search_check_in_undo_and_counts(admin_client, kit):
    submit(admin_client, "porteur", holder_form())
    submit(admin_client, "expert", expert_form())
    holder, _expert = participant_rows(kit)

    page = admin_client.get("/admin/accueil", params={"q": "suzon"})
    assert page.status_code == 200
    assert "Jardins du Suzon" in page.text and "Fondation du Bien Commun" not in page.text
    assert "Présents : 0" in page.text
    partial = admin_client.get("/admin/accueil", params={"q": "fondation", "partial": "1"})
    assert "<html" not in partial.text and "Fondation du Bien Commun" in partial.text

    token = csrf_token(page.text)
    answer = admin_client.post(
        f"/admin/accueil/{holder.participant_id}/presence",
        data={"csrf_token": token, "present": "1", "q": "suzon"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"].endswith(f"q=suzon#p-{holder.participant_id}")
    page = admin_client.get(answer.headers["location"])
    assert "Présents : 1" in page.text
    assert "Porteur de projet : <strong>1</strong>" in page.text
    assert "Association : 1" in page.text
    assert ">Annuler l'arrivée</button>" in page.text
    # No scheduler answers here: the check-in is done and says so, the desk says why it shows
    # no meeting and no mark.
    assert "Arrivée enregistrée : " in html.unescape(page.text)
    assert "Le planning ne répond pas" in html.unescape(page.text)
    assert "Absent·e…" not in page.text

    # A second tap does not check in twice; undo publishes present=false.
    for present in ("1", "0"):
        admin_client.post(
            f"/admin/accueil/{holder.participant_id}/presence",
            data={"csrf_token": token, "present": present},
        )
    events = outbox_events(kit, "ParticipantCheckedIn")
    assert [(e["participant_id"], e["present"], e["legal_form"]) for e in events] == [
        (holder.participant_id, True, "association"),
        (holder.participant_id, False, "association"),
    ]
    assert participant_rows(kit)[0].checked_in_at is None
    assert "Présents : 0" in admin_client.get("/admin/accueil").text


def test_walk_in_is_registered_and_checked_in(admin_client, kit):
    page = admin_client.get("/admin/accueil")
    token = csrf_token(page.text)
    incomplete = admin_client.post(
        "/admin/accueil/sur-place",
        data={"csrf_token": token, "role": "porteur", "prenom": "Ana", "email": "ana@x"},
    )
    assert incomplete.status_code == 422
    assert "Indiquez une adresse email valide" in incomplete.text
    assert participant_rows(kit) == []
    answer = admin_client.post(
        "/admin/accueil/sur-place",
        data={
            "csrf_token": token, "role": "porteur", "prenom": "Ana", "nom": "Lopes",
            "email": "ana@coop.example", "structure": "Coop Ana", "forme": "scic",
        },
    )  # fmt: skip
    assert answer.status_code == 200 and "Présents : 1" in answer.text
    [row] = participant_rows(kit)
    assert (row.source, row.status, row.legal_form) == ("sur-place", "inscrit", "scic")
    assert row.checked_in_at is not None
    assert [e["event_type"] for e in outbox_events(kit)] == [
        "ParticipantRegistered",
        "ParticipantCheckedIn",
    ]


def test_desk_needs_a_login(client):
    answer = client.get("/admin/accueil", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/admin/login?suite=%2Fadmin%2Faccueil"
