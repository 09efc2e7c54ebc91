"""Lists for the back-office, the welcome desk and the exports (read only)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.registration.adapters.db import participants
from services.registration.domain.model import Participant
from shared.db import record
from shared.edition import normalise_key
from shared.presence import count_present


@dataclass(frozen=True)
class Filters:
    role: str = ""
    legal_form: str = ""
    stage: str = ""
    commune: str = ""
    tag: str = ""
    status: str = ""
    q: str = ""

    def accepts(self, row: Participant) -> bool:
        exact = {
            "role": row.role,
            "legal_form": row.legal_form,
            "stage": row.stage or "",
            "status": row.status,
        }
        if any(
            getattr(self, name) and getattr(self, name) != value for name, value in exact.items()
        ):
            return False
        if self.commune and normalise_key(self.commune) != normalise_key(row.commune or ""):
            return False
        if self.tag and self.tag not in row.tags:
            return False
        if self.q:
            haystack = normalise_key(
                " ".join(filter(None, [row.first_name, row.last_name, row.email, row.organisation]))
            )
            return all(word in haystack for word in normalise_key(self.q).split())
        return True


def listing(session: Session, edition_id: str, filters: Filters) -> list[Participant]:
    rows = session.execute(
        select(participants)
        .where(participants.c.edition_id == edition_id, participants.c.erased_at.is_(None))
        .order_by(participants.c.last_name, participants.c.first_name)
    ).all()
    people = [record(Participant, row) for row in rows]
    return [person for person in people if filters.accepts(person)]


def communes(session: Session, edition_id: str) -> list[str]:
    values = session.execute(
        select(participants.c.commune)
        .where(participants.c.edition_id == edition_id, participants.c.commune.is_not(None))
        .distinct()
    ).scalars()
    return sorted(set(values), key=normalise_key)


def presence_counts(session: Session, edition_id: str) -> dict[str, Any]:
    """Present people (shared/presence.py) by role and by legal form."""
    rows = session.execute(
        select(participants.c.role, participants.c.legal_form, participants.c.checked_in_at).where(
            participants.c.edition_id == edition_id
        )
    ).all()
    counts = count_present((r.role, r.checked_in_at is not None) for r in rows)
    return {
        "total": counts.present,
        "by_role": counts.present_by_role,
        "by_legal_form": dict(
            Counter((r.role, r.legal_form) for r in rows if r.checked_in_at is not None)
        ),
    }
