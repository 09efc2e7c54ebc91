"""From a row of the participants file to a profile. The file parser checked the row with the
rules of `shared/profile.py`, the ones a form is checked with: nothing is left to check here."""

from __future__ import annotations

from services.registration.domain.model import Profile
from shared.formats.participants import ParticipantRow


def profile_from_row(row: ParticipantRow) -> Profile:
    """The profile of a checked row; consents and accessibility, which the file does not carry,
    are the caller's to keep."""
    return Profile(
        role=row.role,
        first_name=row.first_name,
        last_name=row.last_name,
        email=row.email,
        phone=row.phone,
        organisation=row.organisation,
        legal_form=row.kind,
        stage=row.stage.value if row.stage else None,
        commune=row.town,
        tags=row.tags,
        wants=row.wants,
        refuses=row.refuses,
        sessions=row.session_ids,
        availability=row.availability,
        max_meetings=row.max_meetings,
        lunch=bool(row.lunch),
        accessibility="",
        consent_share_profile=False,
        consent_contact=False,
    )
