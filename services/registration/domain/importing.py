"""From a checked row of the participants file to a profile, with the checks the file format
leaves to the service (email normalisation, one-line fields, lengths)."""

from __future__ import annotations

from email_validator import EmailNotValidError

from services.registration.domain.model import (
    CONTROL_CHARS,
    SINGLE_LINE_LIMITS,
    Profile,
    normalise_email,
)
from services.registration.domain.vocabulary import code_for, forms_for
from shared.edition import EditionSettings
from shared.events import Availability, Role
from shared.formats.participants import COLUMNS, Issue, ParticipantRow

_FIELDS = {  # form field -> (ParticipantRow attribute, file column)
    "prenom": ("first_name", COLUMNS["first_name"][0]),
    "nom": ("last_name", COLUMNS["last_name"][0]),
    "structure": ("organisation", COLUMNS["organisation"][0]),
    "commune": ("town", COLUMNS["town"][0]),
    "telephone": ("phone", COLUMNS["phone"][0]),
}


def profile_from_row(row: ParticipantRow, edition: EditionSettings) -> Profile | list[Issue]:
    """The profile of a file row, or the issues that keep it out (line and column named)."""
    issues: list[Issue] = []
    for field, (attribute, column) in _FIELDS.items():
        value = getattr(row, attribute)
        if CONTROL_CHARS.search(value):
            issues.append(Issue(row.line, column, "caractère de contrôle interdit"))
        elif len(value) > SINGLE_LINE_LIMITS[field]:
            issues.append(
                Issue(
                    row.line, column, f"trop long ({SINGLE_LINE_LIMITS[field]} caractères au plus)"
                )
            )
    try:
        email = normalise_email(row.email)
    except (EmailNotValidError, ValueError):
        issues.append(Issue(row.line, COLUMNS["email"][0], f"adresse email invalide : {row.email}"))
        email = ""
    role = Role(row.role.value)
    legal_form = code_for(forms_for(role), row.kind) if row.kind else ""
    if legal_form is None:
        issues.append(Issue(row.line, COLUMNS["kind"][0], f"forme « {row.kind} » inconnue"))
    if issues:
        return issues
    sessions = tuple(
        s.session_id for s in edition.conferences() if s.half_day and s.half_day in row.sessions
    )
    return Profile(
        role=role,
        first_name=" ".join(row.first_name.split()),
        last_name=" ".join(row.last_name.split()),
        email=email,
        phone=row.phone,
        organisation=" ".join(row.organisation.split()),
        legal_form=legal_form or "",
        stage=row.stage.value if row.stage else None,
        commune=" ".join(row.town.split()),
        tags=row.tags,
        wants=row.wants,
        refuses=row.refuses,
        sessions=sessions,
        availability=Availability(row.availability.value),
        max_meetings=row.max_meetings,
        lunch=bool(row.lunch),
        accessibility="",
        consent_share_profile=False,
        consent_contact=False,
    )
