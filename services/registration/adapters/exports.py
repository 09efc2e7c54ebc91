"""Participant lists as spreadsheets, in the columns of the import format plus the status
(written by shared/formats/spreadsheets.py)."""

from __future__ import annotations

from collections.abc import Iterable

from services.registration.domain.model import Participant
from services.registration.domain.vocabulary import STATUSES, forms_for, label
from shared.edition import EditionSettings
from shared.events import Role

COLUMNS = (
    "role", "prenom", "nom", "email", "telephone", "structure", "forme", "stade", "commune",
    "thematiques", "souhaits", "refus", "conferences", "disponibilite", "rdv_max", "repas",
    "accessibilite", "statut", "consentement_partage", "consentement_contact", "present",
    "inscrit_le",
)  # fmt: skip


def export_rows(rows: Iterable[Participant], edition: EditionSettings) -> list[list[str]]:
    half_days = {s.session_id: s.half_day.value for s in edition.conferences() if s.half_day}
    out = [list(COLUMNS)]
    for row in rows:
        role = Role(row.role)
        out.append(
            [
                row.role,
                row.first_name or "",
                row.last_name or "",
                row.email or "",
                row.phone or "",
                row.organisation or "",
                label(forms_for(role), row.legal_form),
                row.stage or "",
                row.commune or "",
                ";".join(row.tags),
                ";".join(row.wants),
                ";".join(row.refuses),
                ";".join(half_days.get(s, s) for s in row.sessions),
                row.availability,
                "" if row.max_meetings is None else str(row.max_meetings),
                "oui" if row.lunch else "non",
                row.accessibility or "",
                label(STATUSES, row.status),
                "oui" if row.consent_share_profile else "non",
                "oui" if row.consent_contact else "non",
                "oui" if row.checked_in_at else "non",
                row.created_at.date().isoformat(),
            ]
        )
    return out
