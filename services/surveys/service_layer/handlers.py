"""What the surveys service does with the events it consumes (one transaction each).

Each handler is `handler(session, app, event)`, listed in entrypoints/streams.py.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from services.surveys.adapters.db import (
    closed_sessions,
    editions,
    meetings,
    participants,
)
from services.surveys.service_layer import surveys as uc
from shared.db import insert_or_nothing
from shared.events import (
    ClosedSessionKind,
    EditionUpdated,
    ParticipantCancelled,
    ParticipantCheckedIn,
    ParticipantErased,
    ParticipantRegistered,
    ParticipantUpdated,
    RegistrationStatus,
    SessionClosed,
    SlotAssigned,
    SlotReleased,
    SurveyKind,
)

if TYPE_CHECKING:
    from services.surveys.service_layer.context import Surveys


# -- programme and sessions -----------------------------------------------------------------


def edition_updated(session: Session, app: Surveys, event: EditionUpdated) -> None:
    values = {
        "settings": event.settings.model_dump(mode="json"),
        "updated_at": event.occurred_at,
    }
    session.execute(_ignore(session, editions, edition_id=event.edition_id, **values))
    session.execute(
        update(editions)
        .where(
            editions.c.edition_id == event.edition_id,
            editions.c.updated_at <= event.occurred_at,
        )
        .values(**values)
    )


def session_closed(session: Session, app: Surveys, event: SessionClosed) -> None:
    key = {"edition_id": event.edition_id, "session_id": event.session_id}
    values = {
        "kind": event.kind.value,
        "closed_at": event.closed_at,
        "attendees": event.attendees or len(event.attendee_ids),
        "meetings_held": event.meetings_held,
        "meetings_missed": event.meetings_missed,
    }
    session.execute(_ignore(session, closed_sessions, **key, **values))
    session.execute(
        update(closed_sessions)
        .where(
            closed_sessions.c.edition_id == event.edition_id,
            closed_sessions.c.session_id == event.session_id,
        )
        .values(**values)
    )
    now = event.closed_at
    if event.kind is ClosedSessionKind.CONFERENCE:
        survey = uc.ensure_survey(
            session, event.edition_id, SurveyKind.CONFERENCE, event.session_id, now
        )
        ids = [str(i) for i in event.attendee_ids]
        roles = uc.roles_of(session, ids)
        people = [(i, roles.get(i)) for i in ids]
        uc.open_survey(
            session,
            app.kit.outbox,
            app.settings,
            survey,
            people,
            now,
            app.settings.conference_open_days,
            event.event_id,
        )
    elif event.kind is ClosedSessionKind.DAY:
        survey = uc.ensure_survey(session, event.edition_id, SurveyKind.DAY, now=now)
        present = uc.checked_in(session, event.edition_id)
        uc.open_survey(
            session,
            app.kit.outbox,
            app.settings,
            survey,
            present,
            now,
            app.settings.day_open_days,
            event.event_id,
        )
        uc.schedule(
            session,
            uc.ex_post_key(event.edition_id),
            event.edition_id,
            "ex-post",
            now + dt.timedelta(days=app.settings.ex_post_after_days),
        )


# -- participants ---------------------------------------------------------------------------


def participant_profile(
    session: Session, app: Surveys, event: ParticipantRegistered | ParticipantUpdated
) -> None:
    pid = str(event.participant_id)
    values = {
        "edition_id": event.edition_id,
        "role": event.role.value,
        "status": event.status.value,
        "legal_form": event.legal_form,
        "stage": event.stage,
        "commune_code": event.commune_code,
        "revision": event.revision,
    }
    session.execute(
        _ignore(session, participants, participant_id=pid, checked_in=False, erased=False, **values)
    )
    # Keep the highest revision: events of one participant may arrive out of order. (No
    # rowcount test: PostgreSQL's driver reports -1 for INSERT ... ON CONFLICT DO NOTHING.)
    session.execute(
        update(participants)
        .where(participants.c.participant_id == pid, participants.c.revision < event.revision)
        .values(**values)
    )


def participant_cancelled(session: Session, app: Surveys, event: ParticipantCancelled) -> None:
    _touch(session, event.participant_id, event.edition_id, event.role.value)
    session.execute(
        update(participants)
        .where(participants.c.participant_id == str(event.participant_id))
        .values(status=RegistrationStatus.CANCELLED.value)
    )


def participant_checked_in(session: Session, app: Surveys, event: ParticipantCheckedIn) -> None:
    _touch(session, event.participant_id, event.edition_id, event.role.value)
    session.execute(
        update(participants)
        .where(participants.c.participant_id == str(event.participant_id))
        .values(checked_in=event.present)
    )


def participant_erased(session: Session, app: Surveys, event: ParticipantErased) -> None:
    uc.forget_participant(session, str(event.participant_id))


def _touch(session: Session, participant_id: uuid.UUID, edition_id: str, role: str) -> None:
    """A row to update even when the registration event has not arrived yet."""
    session.execute(
        _ignore(
            session,
            participants,
            participant_id=str(participant_id),
            edition_id=edition_id,
            role=role,
            status=RegistrationStatus.REGISTERED.value,
            legal_form="",
            revision=0,
            checked_in=False,
            erased=False,
        )
    )


# -- meetings -------------------------------------------------------------------------------


def slot_assigned(session: Session, app: Surveys, event: SlotAssigned) -> None:
    _slot(session, event, released=False, reason=None)


def slot_released(session: Session, app: Surveys, event: SlotReleased) -> None:
    _slot(session, event, released=True, reason=event.reason.value)


def _slot(
    session: Session,
    event: SlotAssigned | SlotReleased,
    *,
    released: bool,
    reason: str | None,
) -> None:
    aid = str(event.appointment_id)
    values = {
        "edition_id": event.edition_id,
        "holder_id": str(event.holder_id),
        "expert_id": str(event.expert_id),
        "start": event.start,
        "end": event.end,
        "table_label": event.table,
        "schedule_version": event.schedule_version,
        "released": released,
        "release_reason": reason,
    }
    erased = session.execute(
        select(participants.c.participant_id).where(
            participants.c.participant_id.in_([values["holder_id"], values["expert_id"]]),
            participants.c.erased.is_(True),
        )
    ).first()
    if erased is not None:
        return  # read after an erasure: the meeting stays anonymous
    session.execute(_ignore(session, meetings, appointment_id=aid, **values))
    session.execute(
        update(meetings)
        .where(
            meetings.c.appointment_id == aid,
            meetings.c.schedule_version <= event.schedule_version,
        )
        .values(**values)
    )


def _ignore(session: Session, table: Table, **values: object) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING: handlers of different streams run concurrently, and
    two of them may create the same row (a check-in arriving with the registration). The
    loser does nothing, then updates."""
    return insert_or_nothing(table, session.get_bind().dialect.name).values(**values)
