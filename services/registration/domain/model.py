"""A participant's profile, how a submission becomes one, and the rules of places and links."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from shared.edition import EditionSettings, normalise_key
from shared.events import Availability, RegistrationStatus, Role
from shared.profile import (  # noqa: F401  (normalise_email re-exported for the service)
    ParticipantFields,
    check_participant,
    form_required,
    normalise_email,
    person_message,
)


class RegistrationError(Exception):
    """A rule of the registration service was broken; `code` maps to a French message."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class InvalidProfile(RegistrationError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("invalid")
        self.errors = errors


@dataclass(frozen=True)
class Profile:
    """What a participant tells about themselves; the same for a form, an import or an edit."""

    role: Role
    first_name: str
    last_name: str
    email: str
    phone: str
    organisation: str
    legal_form: str
    stage: str | None
    commune: str
    tags: tuple[str, ...]
    wants: tuple[str, ...]
    refuses: tuple[str, ...]
    sessions: tuple[str, ...]
    availability: Availability
    max_meetings: int | None
    lunch: bool
    accessibility: str
    consent_share_profile: bool
    consent_contact: bool


@dataclass(frozen=True)
class Participant:
    """A registration as stored: one field per column of the `participants` table
    (adapters/db.py), same names, read with `shared.db.record(Participant, row)`. Personal
    fields are None once erased; the lists are the JSON columns as the person wrote them."""

    participant_id: str
    edition_id: str
    role: str
    status: str
    email: str | None
    first_name: str | None
    last_name: str | None
    phone: str | None
    organisation: str | None
    legal_form: str
    stage: str | None
    commune: str | None
    commune_code: str | None
    tags: list[str]
    wants: list[str]
    refuses: list[str]
    sessions: list[str]
    availability: str
    max_meetings: int | None
    lunch: bool
    accessibility: str | None
    consent_share_profile: bool
    consent_share_profile_at: dt.datetime | None
    consent_contact: bool
    consent_contact_at: dt.datetime | None
    source: str
    revision: int
    token_hash: str | None
    token_nonce: str
    checked_in_at: dt.datetime | None
    erased_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass
class Candidate:
    """Someone a wish or a refusal may point at."""

    participant_id: uuid.UUID
    role: Role
    email: str | None
    organisation: str | None


def parse_profile(
    role: Role,
    raw: Mapping[str, str | Sequence[str]],
    edition: EditionSettings,
    *,
    minimal: bool = False,
) -> Profile:
    """Validate a submission (form fields named as the import columns); every error at once.

    `minimal` is the welcome desk's late registration: contact and organisation only.
    """
    checked = check_participant(role, raw, edition, required=form_required(role, minimal=minimal))
    if not checked.ok:
        # One message a field, the last one found, as the form shows it under the field.
        raise InvalidProfile({p.field: person_message(p) for p in checked.problems})
    return profile_of(role, checked.fields)


def profile_of(role: Role, fields: ParticipantFields) -> Profile:
    """The profile of checked fields; what a file does not say takes the form's default."""
    return Profile(
        role=role,
        first_name=fields.first_name,
        last_name=fields.last_name,
        email=fields.email,
        phone=fields.phone,
        organisation=fields.organisation,
        legal_form=fields.legal_form or "",
        stage=fields.stage.value if fields.stage else None,
        commune=fields.commune,
        tags=fields.tags,
        wants=fields.wants,
        refuses=fields.refuses,
        sessions=fields.sessions,
        availability=fields.availability,
        max_meetings=fields.max_meetings,
        lunch=bool(fields.lunch),
        accessibility=fields.accessibility,
        consent_share_profile=bool(fields.consent_share_profile),
        consent_contact=bool(fields.consent_contact),
    )


def status_for_new(
    role: Role, registered_of_role: int, edition: EditionSettings
) -> RegistrationStatus:
    """Registered while places remain for the role; the waiting list after that."""
    capacity = edition.capacity_holders if role is Role.HOLDER else edition.capacity_experts
    if capacity is not None and registered_of_role >= capacity:
        return RegistrationStatus.WAITING_LIST
    return RegistrationStatus.REGISTERED


class StatusChange(StrEnum):
    CANCEL = "cancel"  # by the person or the team
    PROMOTE = "promote"  # the team takes someone off the waiting list
    COME_BACK = "come_back"  # a cancelled person registers again


def next_status(
    current: RegistrationStatus, change: StatusChange, *, place_free: bool = True
) -> RegistrationStatus:
    """The status a change leads to, or RegistrationError when it cannot start from `current`.

    Promotion is the team's decision: it does not look at the places left. Coming back does:
    a place if one is free (`place_free`), else the waiting list."""
    S = RegistrationStatus
    if change is StatusChange.CANCEL:
        if current not in (S.REGISTERED, S.WAITING_LIST):
            raise RegistrationError("cannot_annule")
        return S.CANCELLED
    if change is StatusChange.PROMOTE:
        if current is not S.WAITING_LIST:
            raise RegistrationError("cannot_inscrit")
        return S.REGISTERED
    if current is not S.CANCELLED:
        raise RegistrationError("not_cancelled")
    return S.REGISTERED if place_free else S.WAITING_LIST


def resolve_references(
    references: Iterable[str], role: Role, candidates: Iterable[Candidate]
) -> list[uuid.UUID]:
    """Ids of the people on the other side that emails or organisation names point at."""
    others = [c for c in candidates if c.role is not role]
    found: list[uuid.UUID] = []
    for reference in references:
        if "@" in reference:
            key = reference.strip().lower()
            matches = [c for c in others if c.email and c.email == key]
        else:
            key = normalise_key(reference)
            matches = [c for c in others if c.organisation and normalise_key(c.organisation) == key]
        for match in matches:
            if match.participant_id not in found:
                found.append(match.participant_id)
    return found


def references_match(
    references: Iterable[str], email: str | None, organisation: str | None
) -> bool:
    for reference in references:
        if "@" in reference and email and reference.strip().lower() == email:
            return True
        if organisation and normalise_key(reference) == normalise_key(organisation):
            return True
    return False


@dataclass
class Counts:
    """Anonymous counts by role and category, for the welcome desk and the reports."""

    by_role: dict[str, int] = field(default_factory=dict)
    by_legal_form: dict[str, int] = field(default_factory=dict)
