"""Use cases on participants: each one a state change and its events, in the transaction of
the entrypoint that calls it (a route, a command), which commits."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from services.registration.adapters.db import erasures, participants
from services.registration.domain.model import (
    Candidate,
    Participant,
    Profile,
    RegistrationError,
    StatusChange,
    next_status,
    references_match,
    resolve_references,
    status_for_new,
)
from services.registration.metrics import CHECK_INS, REGISTRATIONS
from services.registration.service_layer.editions import get_edition, registration_state
from shared.communes import code_for
from shared.db import after_commit, record, truncate_wal_after_commit
from shared.edition import EditionSettings
from shared.events import (
    Availability,
    Event,
    ParticipantCancelled,
    ParticipantCheckedIn,
    ParticipantErased,
    ParticipantLinkRequested,
    ParticipantRegistered,
    ParticipantUpdated,
    RegistrationStatus,
    Role,
    utc_now,
)
from shared.service import ServiceKit

SELF_SERVICE_PATH = "/mon-inscription/"


@dataclass(frozen=True)
class Registration:
    participant_id: uuid.UUID
    status: RegistrationStatus
    created: bool
    changed: bool
    token: str


# -- self-service tokens -----------------------------------------------------------------------
def self_service_token(secret: str, participant_id: str, nonce: str) -> str:
    """Derived from the secret, so only its hash is stored and the link can be given again."""
    digest = hmac.new(
        secret.encode(), f"self-service:{participant_id}:{nonce}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_for(kit: ServiceKit, row: Participant) -> str:
    return self_service_token(
        kit.settings.secret_key.get_secret_value(), row.participant_id, row.token_nonce
    )


def self_service_url(kit: ServiceKit, row: Participant) -> str:
    base = getattr(kit.settings, "public_url", "").rstrip("/")
    return f"{base}{SELF_SERVICE_PATH}{token_for(kit, row)}"


# -- reading -----------------------------------------------------------------------------------
# The statements of a registration, built once: on SQLite, building a statement costs more
# than running it, and a registration runs several.
_BY_ID = select(participants).where(participants.c.participant_id == bindparam("pid"))
# The row as stored comes back with the insert: one round trip less under the edition's lock.
_INSERT = participants.insert().returning(*participants.c)
_BY_EMAIL = select(participants).where(
    participants.c.edition_id == bindparam("eid"), participants.c.email == bindparam("email")
)
_REGISTERED_COUNT = select(func.count()).where(
    participants.c.edition_id == bindparam("eid"),
    participants.c.role == bindparam("role"),
    participants.c.status == RegistrationStatus.REGISTERED.value,
)
_WISHES_OF_THE_OTHER_SIDE = select(
    participants.c.participant_id, participants.c.wants, participants.c.refuses
).where(
    participants.c.edition_id == bindparam("eid"),
    participants.c.role == bindparam("other_role"),
    participants.c.erased_at.is_(None),
)


def get(session: Session, participant_id: str | uuid.UUID) -> Participant | None:
    row = session.execute(_BY_ID, {"pid": str(participant_id)}).first()
    return None if row is None else record(Participant, row)


def by_token(session: Session, token: str) -> Participant | None:
    row = session.execute(
        select(participants).where(
            participants.c.token_hash == token_hash(token), participants.c.erased_at.is_(None)
        )
    ).first()
    return None if row is None else record(Participant, row)


def _by_email(session: Session, edition_id: str, email: str) -> Participant | None:
    row = session.execute(_BY_EMAIL, {"eid": edition_id, "email": email}).first()
    return None if row is None else record(Participant, row)


def _require(session: Session, participant_id: str | uuid.UUID) -> Participant:
    row = get(session, participant_id)
    if row is None or row.erased_at is not None:
        raise RegistrationError("unknown_participant")
    return row


class Candidates:
    """The edition's participants that wishes and refusals may name: read once, and only if
    an event has a wish or a refusal to resolve (most have none)."""

    def __init__(self, session: Session, edition_id: str) -> None:
        self.session = session
        self.edition_id = edition_id

    @functools.cached_property
    def all(self) -> list[Candidate]:
        rows = self.session.execute(
            select(
                participants.c.participant_id,
                participants.c.role,
                participants.c.email,
                participants.c.organisation,
            ).where(
                participants.c.edition_id == self.edition_id, participants.c.erased_at.is_(None)
            )
        ).all()
        return [
            Candidate(uuid.UUID(r.participant_id), Role(r.role), r.email, r.organisation)
            for r in rows
        ]

    def resolve(self, references: list[str], role: Role) -> list[uuid.UUID]:
        return resolve_references(references, role, self.all) if references else []


def _registered_count(session: Session, edition_id: str, role: Role) -> int:
    return int(
        session.execute(_REGISTERED_COUNT, {"eid": edition_id, "role": role.value}).scalar_one()
    )


# -- events ------------------------------------------------------------------------------------
def profile_event(
    cls: type[ParticipantRegistered] | type[ParticipantUpdated],
    row: Participant,
    candidates: Candidates,
) -> Event:
    role = Role(row.role)
    return cls(
        edition_id=row.edition_id,
        participant_id=uuid.UUID(row.participant_id),
        role=role,
        revision=row.revision,
        status=RegistrationStatus(row.status),
        legal_form=row.legal_form,
        stage=row.stage,
        commune_code=row.commune_code,
        tags=list(row.tags),
        wants=candidates.resolve(row.wants, role),
        refuses=candidates.resolve(row.refuses, role),
        sessions=list(row.sessions),
        availability=Availability(row.availability),
        max_meetings=row.max_meetings,
        lunch=row.lunch,
        consent_share_profile=row.consent_share_profile,
    )


def _profile_values(
    profile: Profile, previous: Participant | None, now: dt.datetime
) -> dict[str, Any]:
    def consent_time(given: bool, column: str) -> dt.datetime | None:
        if not given:
            return None
        earlier = getattr(previous, f"{column}_at", None) if previous is not None else None
        was_given = getattr(previous, column, False) if previous is not None else False
        return earlier if was_given and earlier is not None else now

    return {
        "role": profile.role.value,
        "first_name": profile.first_name,
        "last_name": profile.last_name,
        "email": profile.email,
        "phone": profile.phone or None,
        "organisation": profile.organisation,
        "legal_form": profile.legal_form,
        "stage": profile.stage,
        "commune": profile.commune or None,
        # The category that events carry and that outlives an erasure; the text is personal.
        "commune_code": code_for(profile.commune),
        "tags": list(profile.tags),
        "wants": list(profile.wants),
        "refuses": list(profile.refuses),
        "sessions": list(profile.sessions),
        "availability": profile.availability.value,
        "max_meetings": profile.max_meetings,
        "lunch": profile.lunch,
        "accessibility": profile.accessibility or None,
        "consent_share_profile": profile.consent_share_profile,
        "consent_share_profile_at": consent_time(
            profile.consent_share_profile, "consent_share_profile"
        ),
        "consent_contact": profile.consent_contact,
        "consent_contact_at": consent_time(profile.consent_contact, "consent_contact"),
    }


_PROFILE_COLUMNS = (
    "role", "first_name", "last_name", "email", "phone", "organisation", "legal_form", "stage",
    "commune", "tags", "wants", "refuses", "sessions", "availability", "max_meetings", "lunch",
    "accessibility", "consent_share_profile", "consent_contact",
)  # fmt: skip


def _differs(row: Participant, values: dict[str, Any]) -> bool:
    return any(getattr(row, c) != values[c] for c in _PROFILE_COLUMNS)


def _refresh_referrers(
    kit: ServiceKit, session: Session, row: Participant, now: dt.datetime
) -> None:
    """Those whose wishes or refusals name this participant get their ids resolved anew."""
    other_role = Role.EXPERT if row.role == Role.HOLDER else Role.HOLDER
    others = session.execute(
        _WISHES_OF_THE_OTHER_SIDE, {"eid": row.edition_id, "other_role": other_role.value}
    ).all()
    candidates = Candidates(session, row.edition_id)
    for other in others:
        if references_match([*other.wants, *other.refuses], row.email, row.organisation):
            session.execute(
                participants.update()
                .where(participants.c.participant_id == other.participant_id)
                .values(revision=participants.c.revision + 1, updated_at=now)
            )
            fresh = get(session, other.participant_id)
            assert fresh is not None
            kit.outbox.add(session, profile_event(ParticipantUpdated, fresh, candidates))


# -- use cases ---------------------------------------------------------------------------------
def register(
    session: Session,
    kit: ServiceKit,
    edition_id: str,
    profile: Profile,
    *,
    source: str = "formulaire",
    now: dt.datetime | None = None,
    check_dates: bool = True,
    check_capacity: bool = True,
    keep_existing: bool = False,
) -> Registration:
    """Register, or update the registration with the same email: never a duplicate.

    Run it with `retrying(kit.factory, register, kit, ...)`: when the same email is
    committed concurrently, this insert fails and the next attempt updates that row.
    The welcome desk registers late walk-ins without dates or capacity: they are here.
    With `keep_existing` (the public forms, which anyone can fill with anyone's address), a
    known address changes nothing: `ParticipantLinkRequested` asks the notifier to send the
    person their personal link, and the result looks like a new registration's.
    """
    now = now or utc_now()
    edition = get_edition(session, edition_id, lock=True)
    if check_dates and registration_state(edition, now) != "open":
        raise RegistrationError(f"registration_{registration_state(edition, now)}")
    existing = _by_email(session, edition_id, profile.email)
    if existing is not None and keep_existing:
        return _link_requested(kit, session, edition, existing, profile.role)
    values = _profile_values(profile, existing, now)
    if existing is not None:
        if existing.role != profile.role.value:
            raise RegistrationError("role_conflict")
        return _update_existing(kit, session, edition, existing, values, now, reactivate=True)
    participant_id = str(uuid.uuid4())
    status = (
        status_for_new(profile.role, _registered_count(session, edition_id, profile.role), edition)
        if check_capacity
        else RegistrationStatus.REGISTERED
    )
    nonce = secrets.token_hex(8)
    token = self_service_token(kit.settings.secret_key.get_secret_value(), participant_id, nonce)
    row = record(
        Participant,
        session.execute(
            _INSERT,
            {
                "participant_id": participant_id,
                "edition_id": edition_id,
                "status": status.value,
                "source": source,
                "revision": 1,
                "token_hash": token_hash(token),
                "token_nonce": nonce,
                "created_at": now,
                "updated_at": now,
                **values,
            },
        ).one(),
    )
    kit.outbox.add(
        session, profile_event(ParticipantRegistered, row, Candidates(session, edition_id))
    )
    _refresh_referrers(kit, session, row, now)
    after_commit(session, REGISTRATIONS.labels(profile.role.value, source).inc)
    return Registration(uuid.UUID(participant_id), status, True, True, token)


def _link_requested(
    kit: ServiceKit, session: Session, edition: EditionSettings, existing: Participant, role: Role
) -> Registration:
    """A public form sent again with a known address: nothing changes, the person is told.

    The answer is the one a new registration would get now (same page, same waiting-list
    notice), so the form never tells whether the address was known.
    """
    kit.outbox.add(
        session,
        ParticipantLinkRequested(
            edition_id=existing.edition_id,
            participant_id=uuid.UUID(existing.participant_id),
            role=Role(existing.role),
        ),
    )
    would_be = status_for_new(role, _registered_count(session, edition.edition_id, role), edition)
    return Registration(
        uuid.UUID(existing.participant_id), would_be, False, False, token_for(kit, existing)
    )


def _update_existing(
    kit: ServiceKit,
    session: Session,
    edition: EditionSettings,
    existing: Participant,
    values: dict[str, Any],
    now: dt.datetime,
    *,
    reactivate: bool,
) -> Registration:
    status = RegistrationStatus(existing.status)
    if reactivate and status is RegistrationStatus.CANCELLED:
        role = Role(existing.role)
        would_be = status_for_new(
            role, _registered_count(session, existing.edition_id, role), edition
        )
        status = next_status(
            status, StatusChange.COME_BACK, place_free=would_be is RegistrationStatus.REGISTERED
        )
    changed = _differs(existing, values) or status.value != existing.status
    if changed:
        session.execute(
            participants.update()
            .where(participants.c.participant_id == existing.participant_id)
            .values(status=status.value, revision=existing.revision + 1, updated_at=now, **values)
        )
        row = get(session, existing.participant_id)
        assert row is not None
        kit.outbox.add(
            session, profile_event(ParticipantUpdated, row, Candidates(session, row.edition_id))
        )
        if (existing.email, existing.organisation) != (row.email, row.organisation):
            _refresh_referrers(kit, session, row, now)
    return Registration(
        uuid.UUID(existing.participant_id), status, False, changed, token_for(kit, existing)
    )


def update_profile(
    session: Session, kit: ServiceKit, participant_id: str, profile: Profile
) -> bool:
    """An edit by the person (self-service) or by the team; True when something changed."""
    now = utc_now()
    existing = _require(session, participant_id)
    if profile.role.value != existing.role:
        raise RegistrationError("role_conflict")
    if profile.email != existing.email:
        clash = session.execute(
            select(participants.c.participant_id).where(
                participants.c.edition_id == existing.edition_id,
                participants.c.email == profile.email,
            )
        ).first()
        if clash is not None:
            raise RegistrationError("email_taken")
    edition = get_edition(session, existing.edition_id)
    values = _profile_values(profile, existing, now)
    # A correction is not a new registration: a cancelled participant stays cancelled.
    return _update_existing(kit, session, edition, existing, values, now, reactivate=False).changed


def _set_status(
    session: Session, kit: ServiceKit, participant_id: str, change: StatusChange
) -> Participant:
    now = utc_now()
    row = _require(session, participant_id)
    status = next_status(RegistrationStatus(row.status), change)
    session.execute(
        participants.update()
        .where(participants.c.participant_id == participant_id)
        .values(status=status.value, revision=row.revision + 1, updated_at=now)
    )
    fresh = get(session, participant_id)
    assert fresh is not None
    if status is RegistrationStatus.CANCELLED:
        kit.outbox.add(
            session,
            ParticipantCancelled(
                edition_id=row.edition_id,
                participant_id=uuid.UUID(row.participant_id),
                role=Role(row.role),
            ),
        )
    else:
        kit.outbox.add(
            session,
            profile_event(ParticipantUpdated, fresh, Candidates(session, row.edition_id)),
        )
    return fresh


def cancel(session: Session, kit: ServiceKit, participant_id: str) -> Participant:
    return _set_status(session, kit, participant_id, StatusChange.CANCEL)


def come_back(session: Session, kit: ServiceKit, participant_id: str) -> Participant:
    """A cancelled participant registers again from their own page: a place if one is free."""
    now = utc_now()
    existing = _require(session, participant_id)
    next_status(RegistrationStatus(existing.status), StatusChange.COME_BACK)  # or refused
    edition = get_edition(session, existing.edition_id, lock=True)
    if registration_state(edition, now) != "open":
        raise RegistrationError(f"registration_{registration_state(edition, now)}")
    same = {c: getattr(existing, c) for c in _PROFILE_COLUMNS}
    _update_existing(kit, session, edition, existing, same, now, reactivate=True)
    fresh = get(session, participant_id)
    assert fresh is not None
    return fresh


def promote(session: Session, kit: ServiceKit, participant_id: str) -> Participant:
    """From the waiting list to registered: the team's decision, so capacity is not checked."""
    return _set_status(session, kit, participant_id, StatusChange.PROMOTE)


def check_in(
    session: Session, kit: ServiceKit, participant_id: str, present: bool = True
) -> Participant:
    now = utc_now()
    row = _require(session, participant_id)
    if (row.checked_in_at is not None) == present:
        return row
    session.execute(
        participants.update()
        .where(participants.c.participant_id == participant_id)
        .values(checked_in_at=now if present else None, updated_at=now)
    )
    kit.outbox.add(
        session,
        ParticipantCheckedIn(
            edition_id=row.edition_id,
            participant_id=uuid.UUID(row.participant_id),
            role=Role(row.role),
            legal_form=row.legal_form,
            present=present,
        ),
    )
    fresh = get(session, participant_id)
    assert fresh is not None
    after_commit(session, CHECK_INS.labels(fresh.role, "arrived" if present else "undone").inc)
    return fresh


PERSONAL_COLUMNS: dict[str, Any] = {
    "email": None,
    "first_name": None,
    "last_name": None,
    "phone": None,
    "organisation": None,
    "commune": None,  # as typed; its code stays for the counts
    "accessibility": None,
    "wants": [],
    "refuses": [],
    "token_hash": None,
}


def _erase_row(
    kit: ServiceKit, session: Session, row: Participant, reason: str, now: dt.datetime
) -> bool:
    """Personal data removed; role, categories and status stay for anonymous counts.

    The UPDATE claims the row: a concurrent erasure of the same person (two processes running
    the retention) matches nothing and publishes nothing. Returns whether this one erased it."""
    truncate_wal_after_commit(session)
    claimed = (
        session.connection()
        .execute(
            participants.update()
            .where(
                participants.c.participant_id == row.participant_id,
                participants.c.erased_at.is_(None),
            )
            .values(erased_at=now, updated_at=now, **PERSONAL_COLUMNS)
        )
        .rowcount
    )
    if claimed != 1:
        return False
    session.execute(
        erasures.insert().values(
            participant_id=row.participant_id,
            edition_id=row.edition_id,
            role=row.role,
            reason=reason,
            erased_at=now,
        )
    )
    kit.outbox.add(
        session,
        ParticipantErased(
            edition_id=row.edition_id,
            participant_id=uuid.UUID(row.participant_id),
            role=Role(row.role),
        ),
    )
    return True


def erase(session: Session, kit: ServiceKit, participant_id: str, reason: str) -> None:
    _erase_row(kit, session, _require(session, participant_id), reason, utc_now())


def registrations_of(session: Session, email: str) -> list[Participant]:
    """The live registrations (every edition) of an address, as registration compares them."""
    rows = session.execute(
        select(participants)
        .where(participants.c.email == email, participants.c.erased_at.is_(None))
        .order_by(participants.c.edition_id)
    )
    return [record(Participant, row) for row in rows]


def erase_all(
    session: Session, kit: ServiceKit, participant_ids: Sequence[str], reason: str
) -> int:
    """Erase several registrations (all or none: one transaction); returns how many."""
    now = utc_now()
    for participant_id in participant_ids:
        _erase_row(kit, session, _require(session, participant_id), reason, now)
    return len(participant_ids)


def purge(
    session: Session, kit: ServiceKit, older_than_days: int, today: dt.date | None = None
) -> int:
    """Erase the contact data of editions held more than N days ago, except for those who
    agreed to be contacted about future editions. Returns how many people were erased."""
    today = today or dt.date.today()
    return purge_editions_before(kit, session, today - dt.timedelta(days=older_than_days))


def purge_editions_before(
    kit: ServiceKit, session: Session, day: dt.date, *, dry_run: bool = False
) -> int:
    """Erase (or, in a dry run, count) the people of the editions held before `day` who did
    not agree to be contacted about future editions."""
    erased = 0
    now = utc_now()
    edition_ids = session.execute(
        select(participants.c.edition_id).where(participants.c.erased_at.is_(None)).distinct()
    ).scalars()
    for edition_id in list(edition_ids):
        try:
            edition = get_edition(session, edition_id)
        except RegistrationError:
            continue
        if edition.date >= day:
            continue
        rows = session.execute(
            select(participants).where(
                participants.c.edition_id == edition_id,
                participants.c.erased_at.is_(None),
                participants.c.consent_contact.is_(False),
            )
        ).all()
        people = [record(Participant, row) for row in rows]
        if dry_run:
            erased += len(people)
            continue
        for person in people:
            erased += _erase_row(kit, session, person, "retention", now)
    return erased


def export_data(person: Participant) -> dict[str, Any]:
    """Everything kept about a person, for the right of access (JSON download)."""
    data: dict[str, Any] = {}
    for name, value in asdict(person).items():
        if name in ("token_hash", "token_nonce"):
            continue
        data[name] = value.isoformat() if isinstance(value, dt.datetime) else value
    return data


# -- spreadsheet import ------------------------------------------------------------------------
@dataclass(frozen=True)
class ImportOutcome:
    created: int
    updated: int
    unchanged: int
    conflicts: list[tuple[int, str]]  # (line, role already registered with that email)
    applied: bool


def import_profiles(
    session: Session,
    kit: ServiceKit,
    edition_id: str,
    profiles: list[tuple[int, Profile]],
    *,
    dry_run: bool,
) -> ImportOutcome:
    """All rows in the caller's transaction, which keeps them only when the outcome says
    `applied`: a dry run, or a file with conflicts, does the same work and the caller rolls
    it back (entrypoints/import_worker.py `import_now`).

    A participant already known by email is updated with the file's columns; what the file
    does not carry (consents, accessibility needs, status) is kept. An identical row changes
    nothing and publishes nothing. Events are written once every row is in, so wishes
    naming someone further down the file resolve to their id.
    """
    now = utc_now()
    created: list[str] = []
    created_roles: list[str] = []
    updated: list[str] = []
    conflicts: list[tuple[int, str]] = []
    unchanged = 0
    edition = get_edition(session, edition_id, lock=True)
    for line, profile in profiles:
        existing = _by_email(session, edition_id, profile.email)
        if existing is not None and existing.erased_at is None:
            if existing.role != profile.role.value:
                conflicts.append((line, existing.role))
                continue
            kept = _keep_unimported(profile, existing)
            values = _profile_values(kept, existing, now)
            if _differs(existing, values):
                session.execute(
                    participants.update()
                    .where(participants.c.participant_id == existing.participant_id)
                    .values(revision=existing.revision + 1, updated_at=now, **values)
                )
                updated.append(existing.participant_id)
            else:
                unchanged += 1
            continue
        participant_id = str(uuid.uuid4())
        nonce = secrets.token_hex(8)
        secret = kit.settings.secret_key.get_secret_value()
        count = _registered_count(session, edition_id, profile.role)
        session.execute(
            participants.insert().values(
                participant_id=participant_id,
                edition_id=edition_id,
                status=status_for_new(profile.role, count, edition).value,
                source="import",
                revision=1,
                token_hash=token_hash(self_service_token(secret, participant_id, nonce)),
                token_nonce=nonce,
                created_at=now,
                updated_at=now,
                **_profile_values(profile, None, now),
            )
        )
        created.append(participant_id)
        created_roles.append(profile.role.value)
    if not conflicts:
        _publish_import(kit, session, edition_id, created, updated, now)
    outcome = ImportOutcome(
        len(created),
        len(updated),
        unchanged,
        conflicts,
        applied=not dry_run and not conflicts,
    )
    if outcome.applied:
        for role in created_roles:
            after_commit(session, REGISTRATIONS.labels(role, "import").inc)
    return outcome


def _keep_unimported(profile: Profile, existing: Participant) -> Profile:
    return replace(
        profile,
        accessibility=existing.accessibility or "",
        consent_share_profile=existing.consent_share_profile,
        consent_contact=existing.consent_contact,
    )


def _publish_import(
    kit: ServiceKit,
    session: Session,
    edition_id: str,
    created: list[str],
    updated: list[str],
    now: dt.datetime,
) -> None:
    candidates = Candidates(session, edition_id)
    touched = set(created) | set(updated)
    for cls, ids in ((ParticipantRegistered, created), (ParticipantUpdated, updated)):
        for participant_id in ids:
            row = get(session, participant_id)
            assert row is not None
            kit.outbox.add(session, profile_event(cls, row, candidates))
    newcomers = [get(session, pid) for pid in created]
    others = session.execute(
        select(participants).where(
            participants.c.edition_id == edition_id, participants.c.erased_at.is_(None)
        )
    ).all()
    for other in others:
        if other.participant_id in touched:
            continue
        if any(
            n is not None
            and n.role != other.role
            and references_match([*other.wants, *other.refuses], n.email, n.organisation)
            for n in newcomers
        ):
            session.execute(
                participants.update()
                .where(participants.c.participant_id == other.participant_id)
                .values(revision=other.revision + 1, updated_at=now)
            )
            fresh = get(session, other.participant_id)
            assert fresh is not None
            kit.outbox.add(session, profile_event(ParticipantUpdated, fresh, candidates))
