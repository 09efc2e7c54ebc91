"""The read model of participants, fed by registration's events; after a publication each
change that matters to the day re-plans it at once."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.scheduler.adapters.db import ParticipantRecord, appointments, participants
from services.scheduler.service_layer.context import Scheduler
from services.scheduler.service_layer.editions import ensure_edition
from services.scheduler.service_layer.planning import live_replan
from services.scheduler.service_layer.sessions import DAY_SESSION, closed_ids
from shared.db import record, truncate_wal_after_commit
from shared.events import (
    ParticipantCancelled,
    ParticipantCheckedIn,
    ParticipantErased,
    ParticipantRegistered,
    ParticipantUpdated,
    RegistrationStatus,
    ReleaseReason,
)
from shared.presence import Person, Tally, tally

# What the planner reads from a profile: a change elsewhere does not re-plan the day.
PLANNING_FIELDS = (
    "role",
    "status",
    "tags",
    "wants",
    "refuses",
    "sessions",
    "availability",
    "max_meetings",
)


def _get(session: Session, participant_id: str) -> ParticipantRecord | None:
    row = session.execute(
        select(participants).where(participants.c.participant_id == participant_id)
    ).first()
    return None if row is None else record(ParticipantRecord, row)


def on_profile(
    session: Session, app: Scheduler, event: ParticipantRegistered | ParticipantUpdated
) -> None:
    """Keep the highest revision; an older or repeated one changes nothing."""
    now = app.clock()
    ensure_edition(session, app.outbox, event.edition_id, now)
    pid = str(event.participant_id)
    values = {
        "edition_id": event.edition_id,
        "role": event.role.value,
        "revision": event.revision,
        "status": event.status.value,
        "legal_form": event.legal_form,
        "stage": event.stage,
        "tags": list(event.tags),
        "wants": [str(w) for w in event.wants],
        "refuses": [str(r) for r in event.refuses],
        "sessions": list(event.sessions),
        "availability": event.availability.value,
        "max_meetings": event.max_meetings,
        "lunch": event.lunch,
        "updated_at": now,
    }
    current = _get(session, pid)
    if current is None:
        session.execute(
            participants.insert().values(
                participant_id=pid,
                present=False,
                absent=False,
                erased=False,
                first_seen_at=now,
                **values,
            )
        )
        changed = True
    else:
        if current.erased or event.revision <= current.revision:
            return
        changed = any(getattr(current, f) != values[f] for f in PLANNING_FIELDS)
        session.execute(
            participants.update().where(participants.c.participant_id == pid).values(**values)
        )
    if changed:
        reason = (
            ReleaseReason.CANCELLED
            if event.status is RegistrationStatus.CANCELLED
            else ReleaseReason.MOVED
        )
        live_replan(session, app, event.edition_id, reason=reason)


def on_cancelled(session: Session, app: Scheduler, event: ParticipantCancelled) -> None:
    pid = str(event.participant_id)
    current = _get(session, pid)
    if current is None or current.erased or current.status == RegistrationStatus.CANCELLED:
        return
    session.execute(
        participants.update()
        .where(participants.c.participant_id == pid)
        .values(status=RegistrationStatus.CANCELLED.value, updated_at=app.clock())
    )
    live_replan(session, app, current.edition_id, reason=ReleaseReason.CANCELLED)


def on_erased(session: Session, app: Scheduler, event: ParticipantErased) -> None:
    """Keep a tombstone with no categories, so a late event cannot bring the person back."""
    pid = str(event.participant_id)
    truncate_wal_after_commit(session)
    current = _get(session, pid)
    now = app.clock()
    if current is None:
        session.execute(
            participants.insert().values(
                participant_id=pid,
                edition_id=event.edition_id,
                role=event.role.value,
                revision=0,
                status=RegistrationStatus.CANCELLED.value,
                legal_form="",
                tags=[],
                wants=[],
                refuses=[],
                sessions=[],
                availability="journee",
                lunch=False,
                present=False,
                absent=False,
                erased=True,
                first_seen_at=now,
                updated_at=now,
            )
        )
        return
    if current.erased:
        return
    session.execute(
        participants.update()
        .where(participants.c.participant_id == pid)
        .values(
            erased=True,
            status=RegistrationStatus.CANCELLED.value,
            legal_form="",
            stage=None,
            tags=[],
            wants=[],
            refuses=[],
            sessions=[],
            updated_at=now,
        )
    )
    # Once the day is closed its meetings are history: releasing them would change the report.
    if DAY_SESSION not in closed_ids(session, current.edition_id):
        live_replan(session, app, current.edition_id, reason=ReleaseReason.CANCELLED)
    forget_in_appointments(session, pid)


def forget_in_appointments(session: Session, participant_id: str) -> None:
    """The person's meetings, of every schedule version, name an anonymous placeholder instead
    of them (the same one across versions), so past meetings still count and agendas, built
    from these rows, no longer lead to them."""
    placeholder = str(uuid.uuid4())
    for column in ("holder_id", "expert_id"):
        session.execute(
            update(appointments)
            .where(appointments.c[column] == participant_id)
            .values({column: placeholder})
        )


def on_checked_in(session: Session, app: Scheduler, event: ParticipantCheckedIn) -> None:
    """Presence; someone marked absent who arrives after all is planned again."""
    pid = str(event.participant_id)
    current = _get(session, pid)
    if current is None or current.erased:
        return
    session.execute(
        participants.update()
        .where(participants.c.participant_id == pid)
        .values(
            present=event.present,
            checked_in_at=event.occurred_at if event.present else None,
            absent=False if event.present else current.absent,
            excused=False if event.present else current.excused,
            updated_at=app.clock(),
        )
    )
    if event.present and current.absent:
        live_replan(session, app, current.edition_id)


def presence_tally(session: Session, edition_id: str) -> Tally:
    """Present, absent, excused and awaited people, as shared/presence.py counts them."""
    rows = session.execute(select(participants).where(participants.c.edition_id == edition_id))
    return tally(
        Person(
            role=r.role,
            checked_in=r.present,
            registered=r.status == RegistrationStatus.REGISTERED,
            erased=r.erased,
            absent=r.absent,
            excused=r.excused,
        )
        for r in rows
    )


def present_count(session: Session, edition_id: str) -> int:
    return presence_tally(session, edition_id).present
