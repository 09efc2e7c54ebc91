"""Pure rules of registration: validation, places, references (no I/O)."""

from __future__ import annotations

import uuid
from dataclasses import fields

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.registration.adapters.db import participants
from services.registration.domain.model import (
    Candidate,
    InvalidProfile,
    Participant,
    RegistrationError,
    StatusChange,
    next_status,
    normalise_email,
    parse_profile,
    resolve_references,
    status_for_new,
)
from shared.edition import default_edition
from shared.events import RegistrationStatus, Role
from shared.web.auth import admin_cookie_options, service_token_ok

EDITION = default_edition()
HOLDER = {
    "prenom": "Camille", "nom": "Durand", "email": "Camille@Exemple.FR", "structure": "Asso",
    "forme": "Coopérative", "stade": "Développement", "commune": "Dijon",
    "thematiques": ["Mécénat", "business plan"], "conferences": ["matin"],
    "disponibilite": "Après-midi", "repas": "oui",
}  # fmt: skip


def test_labels_accents_and_case_are_accepted_and_stored_as_codes():
    profile = parse_profile(Role.HOLDER, HOLDER, EDITION)
    assert profile.email == "camille@exemple.fr"
    assert (profile.legal_form, profile.stage) == ("cooperative", "developpement")
    assert profile.tags == ("mecenat", "business-plan")
    assert profile.sessions == ("conference-matin",)
    assert profile.availability == "apres-midi" and profile.max_meetings == 4
    assert profile.lunch and not profile.consent_share_profile and not profile.consent_contact


def test_every_error_is_reported_at_once():
    with pytest.raises(InvalidProfile) as caught:
        parse_profile(Role.EXPERT, {"email": "x", "forme": "association", "rdv_max": "31"}, EDITION)
    assert set(caught.value.errors) == {
        "prenom", "nom", "structure", "email", "forme", "thematiques", "rdv_max",
    }  # fmt: skip


@given(st.text(alphabet=st.sampled_from("ab \r\n\t\x0b\u2028"), min_size=1, max_size=12))
def test_header_bound_fields_never_keep_a_line_break(name):
    try:
        profile = parse_profile(Role.HOLDER, {**HOLDER, "nom": "X" + name}, EDITION)
    except InvalidProfile as exc:
        assert "nom" in exc.errors
        return
    assert not any(c in profile.last_name for c in "\r\n\t\x0b\u2028")


def test_names_are_stored_in_one_normal_form_without_invisible_characters():
    decomposed = "He\u0301le\u0300ne"  # « Hélène » typed as letters and combining accents
    profile = parse_profile(
        Role.HOLDER,
        {
            **HOLDER,
            "prenom": decomposed,
            "nom": "Du\u202erand\u200b",  # a right-to-left override, a zero-width space
            "structure": "\ufeffAsso\u2066 verte\u2069",
            "email": "he\u0301le\u0300ne@exemple.fr",
        },
        EDITION,
    )
    assert profile.first_name == "Hélène" and len(profile.first_name) == 6
    assert profile.last_name == "Durand" and profile.organisation == "Asso verte"
    # The same address typed either way is one address.
    assert profile.email == normalise_email("hélène@exemple.fr") == "hélène@exemple.fr"


def test_places_then_waiting_list():
    edition = EDITION.model_copy(update={"capacity_holders": 2})
    assert status_for_new(Role.HOLDER, 1, edition) is RegistrationStatus.REGISTERED
    assert status_for_new(Role.HOLDER, 2, edition) is RegistrationStatus.WAITING_LIST
    assert status_for_new(Role.EXPERT, 2, edition) is RegistrationStatus.REGISTERED


def test_references_name_the_other_side_by_email_or_organisation():
    bank, foundation, holder = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    candidates = [
        Candidate(bank, Role.EXPERT, "pro@banque.example", "Banque Coopérative"),
        Candidate(foundation, Role.EXPERT, "f@fondation.example", "Fondation X"),
        Candidate(holder, Role.HOLDER, "h@asso.example", "Fondation X"),
    ]
    found = resolve_references(
        ["banque cooperative", "F@Fondation.example", "Inconnue"], Role.HOLDER, candidates
    )
    assert found == [bank, foundation]
    assert normalise_email(" Pro@Banque.Example ") == "pro@banque.example"


def test_admin_cookie_options():
    options = admin_cookie_options(production=True, max_age_s=60)
    assert (options["httponly"], options["samesite"], options["secure"]) == (True, "lax", True)
    assert admin_cookie_options(production=False, max_age_s=60)["secure"] is False


def test_any_authorization_header_is_a_refusal_never_an_error():
    token = "t" * 40
    assert service_token_ok(f"Bearer {token}", token)
    assert service_token_ok(f"bearer {token} ", token)
    for header in (None, "", "Bearer", f"Basic {token}", "Bearer é" + token[1:], "Bearer \udcff"):
        assert not service_token_ok(header, token)


@pytest.mark.parametrize(
    ("current", "change", "place_free", "expected"),
    [
        (RegistrationStatus.REGISTERED, StatusChange.CANCEL, True, RegistrationStatus.CANCELLED),
        (RegistrationStatus.WAITING_LIST, StatusChange.CANCEL, True, RegistrationStatus.CANCELLED),
        (RegistrationStatus.CANCELLED, StatusChange.CANCEL, True, "cannot_annule"),
        (
            RegistrationStatus.WAITING_LIST,
            StatusChange.PROMOTE,
            False,
            RegistrationStatus.REGISTERED,
        ),
        (RegistrationStatus.REGISTERED, StatusChange.PROMOTE, True, "cannot_inscrit"),
        (RegistrationStatus.CANCELLED, StatusChange.PROMOTE, True, "cannot_inscrit"),
        (RegistrationStatus.CANCELLED, StatusChange.COME_BACK, True, RegistrationStatus.REGISTERED),
        (
            RegistrationStatus.CANCELLED,
            StatusChange.COME_BACK,
            False,
            RegistrationStatus.WAITING_LIST,
        ),
        (RegistrationStatus.REGISTERED, StatusChange.COME_BACK, True, "not_cancelled"),
        (RegistrationStatus.WAITING_LIST, StatusChange.COME_BACK, True, "not_cancelled"),
    ],
)
def test_status_changes_start_only_where_they_may(current, change, place_free, expected):
    if isinstance(expected, RegistrationStatus):
        assert next_status(current, change, place_free=place_free) is expected
    else:
        with pytest.raises(RegistrationError) as refused:
            next_status(current, change, place_free=place_free)
        assert refused.value.code == expected


def test_a_participant_has_every_column_of_the_table_in_its_order():
    # The dataclass is built from whole rows (`record(Participant, row)`) and copied out for the
    # right of access: a column added to the table must be added to it too.
    assert [f.name for f in fields(Participant)] == list(participants.columns.keys())
