"""Badges: who gets one, and the code their QR carries. The code is opaque (derived from the
secret and the participant's id, nothing personal in it); the welcome desk finds the person
from it, whether the QR is opened as a link or typed by a scanner into the desk's search."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.registration.adapters.db import participants
from services.registration.domain.model import Participant
from shared.db import record
from shared.edition import normalise_key
from shared.events import RegistrationStatus, Role
from shared.service import ServiceKit

BADGE_PATH = "/admin/accueil/badge/"
CODE_LENGTH = 12  # base32 characters: 60 bits
_CODE = re.compile(rf"[A-Z2-7]{{{CODE_LENGTH}}}")


class NoBadge(Exception):
    """The person asked for has no badge to print (unknown, erased, cancelled, waiting)."""


def badge_code(secret: str, participant_id: str) -> str:
    digest = hmac.new(secret.encode(), f"badge:{participant_id}".encode(), hashlib.sha256)
    return base64.b32encode(digest.digest()).decode()[:CODE_LENGTH]


def shown(code: str) -> str:
    """« ABCD-EFGH-JKLM »: read aloud or typed by hand if the QR will not scan."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def code_in(text: str) -> str | None:
    """The code in what the desk received (the badge's address, the code with or without
    dashes, any case), or None when it cannot be one."""
    last = text.strip().rstrip("/").rsplit("/", 1)[-1]
    candidate = re.sub(r"[\s-]", "", last).upper()
    return candidate if _CODE.fullmatch(candidate) else None


def badge_url(kit: ServiceKit, participant_id: str) -> str:
    base = getattr(kit.settings, "public_url", "").rstrip("/")
    return f"{base}{BADGE_PATH}{shown(_code(kit, participant_id))}"


def _code(kit: ServiceKit, participant_id: str) -> str:
    return badge_code(kit.settings.secret_key.get_secret_value(), participant_id)


def holder_of(
    session: Session, kit: ServiceKit, code: str, edition_id: str | None = None
) -> Participant | None:
    """The participant (not erased) whose badge carries `code`: one HMAC per person, a
    fraction of a millisecond for an edition."""
    query = select(participants).where(participants.c.erased_at.is_(None))
    if edition_id is not None:
        query = query.where(participants.c.edition_id == edition_id)
    for row in session.execute(query).all():
        if hmac.compare_digest(_code(kit, row.participant_id), code):
            return record(Participant, row)
    return None


@dataclass(frozen=True)
class Badge:
    participant_id: str
    role: Role
    first_name: str
    last_name: str
    organisation: str
    url: str  # what the QR carries
    code: str  # the same code, printed under it


WHO = {"tous": None, "porteurs": Role.HOLDER, "experts": Role.EXPERT}


def badges(
    session: Session,
    kit: ServiceKit,
    edition_id: str,
    who: str = "tous",
    participant_id: str | None = None,
) -> list[Badge]:
    """The registered people of the edition (not the waiting list, not the cancelled, not
    the erased), of a role, or one person (a reprint), by name. Raises NoBadge when the one
    person asked for has no badge; KeyError for an unknown `who`."""
    role = WHO[who]
    query = select(participants).where(
        participants.c.edition_id == edition_id, participants.c.erased_at.is_(None)
    )
    if participant_id is not None:
        query = query.where(participants.c.participant_id == participant_id)
    rows = session.execute(query).all()
    if participant_id is not None and (not rows or rows[0].status != RegistrationStatus.REGISTERED):
        raise NoBadge(participant_id)
    chosen = [
        r
        for r in rows
        if r.status == RegistrationStatus.REGISTERED and (role is None or r.role == role)
    ]
    chosen.sort(key=lambda r: (normalise_key(r.last_name or ""), normalise_key(r.first_name or "")))
    return [
        Badge(
            participant_id=r.participant_id,
            role=Role(r.role),
            first_name=r.first_name or "",
            last_name=r.last_name or "",
            organisation=r.organisation or "",
            url=badge_url(kit, r.participant_id),
            code=shown(_code(kit, r.participant_id)),
        )
        for r in chosen
    ]
