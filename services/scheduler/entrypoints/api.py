"""The JSON API of the back-office's use cases (the operator's session or the service token):
programme, planning, no-shows, sessions. The back-office home page reads the day from here."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, HTTPException, Response
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError

from services.scheduler.entrypoints.day import close
from services.scheduler.entrypoints.web import BUSY, SchedulerDep, conflict, unit_of_work
from services.scheduler.service_layer import planning
from services.scheduler.service_layer.editions import (
    current_edition,
    set_allow_moves,
    update_edition,
)
from services.scheduler.service_layer.participants import presence_tally
from services.scheduler.service_layer.sessions import closable_sessions, closed_ids
from shared.edition import EditionSettings
from shared.formats.schedule import table_label
from shared.web import CurrentAdmin

router = APIRouter(prefix="/api")


class AppointmentOut(BaseModel):
    appointment_id: str
    holder_id: str
    expert_id: str
    start: dt.datetime
    end: dt.datetime
    table: str
    reason_kind: str
    reason: str
    locked: bool


class ScheduleOut(BaseModel):
    edition_id: str
    version: int | None
    status: str | None
    appointments: list[AppointmentOut]


class DraftOut(BaseModel):
    version: int
    meetings: int
    holders_with_meeting: int
    holders: int
    bound: int | None
    seconds: float


class PublishOut(BaseModel):
    version: int
    meetings: int
    holders_with_meeting: int
    released: int


class MoveIn(BaseModel):
    slot: int
    table: int | None = None


class SwapIn(BaseModel):
    first: str
    second: str


class LockIn(BaseModel):
    locked: bool


class NoShowsIn(BaseModel):
    """Without a body: everyone not checked in whose meeting has started. With ids: those
    people, whatever the time; with `excused`, recorded as « a prévenu » (they sent word they
    will not come) rather than absent without notice."""

    participant_ids: list[str] | None = None
    excused: bool = False


class ReplanOut(BaseModel):
    absent: int = 0
    released: int
    moved: int
    added: int
    kept: int


class CloseOut(BaseModel):
    session_id: str
    closed: bool
    attendees: int | None = None
    meetings_held: int | None = None
    meetings_missed: int | None = None
    # Closing the day closes the sessions still open with it, in time order.
    also_closed: list[str] = []


class SessionStateOut(BaseModel):
    session_id: str
    kind: str
    title: str
    start: dt.datetime
    end: dt.datetime
    closed: bool
    closed_at: dt.datetime | None = None


class DayOut(BaseModel):
    edition_id: str
    published_version: int | None
    present: int
    # Not checked in, by mark (shared/presence.py): registered people not erased.
    absent: int = 0
    excused: int = 0
    awaited: int = 0
    sessions: list[SessionStateOut]


class EditionIn(BaseModel):
    settings: EditionSettings
    allow_moves: bool | None = None


# -- programme ------------------------------------------------------------------------------
@router.get("/edition", tags=["programme"])
def edition_get(sched: SchedulerDep, _admin: CurrentAdmin) -> EditionSettings:
    with sched.kit.factory() as session:
        return current_edition(session, sched.edition_id)


@router.put("/edition", tags=["programme"])
def edition_put(body: EditionIn, sched: SchedulerDep, _admin: CurrentAdmin) -> EditionSettings:
    if body.settings.edition_id != sched.edition_id:
        raise HTTPException(422, "L'identifiant d'édition ne correspond pas.")
    with conflict(), unit_of_work(sched) as session:
        result = update_edition(session, sched.outbox, body.settings, sched.clock())
        if body.allow_moves is not None:
            set_allow_moves(
                session, sched.outbox, sched.edition_id, body.allow_moves, sched.clock()
            )
        return result


# -- planning -------------------------------------------------------------------------------
@router.get("/schedule", tags=["planning"])
def schedule_get(sched: SchedulerDep, _admin: CurrentAdmin) -> ScheduleOut:
    with sched.kit.factory() as session:
        version = planning.working_version(session, sched.edition_id)
        rows = planning.active_rows(session, version.id) if version else []
    return ScheduleOut(
        edition_id=sched.edition_id,
        version=version.number if version else None,
        status=version.status if version else None,
        appointments=[
            AppointmentOut(
                appointment_id=r.appointment_id,
                holder_id=r.holder_id,
                expert_id=r.expert_id,
                start=r.start,
                end=r.end,
                table=table_label(r.table_number),
                reason_kind=r.reason_kind,
                reason=r.reason,
                locked=r.locked,
            )
            for r in rows
        ],
    )


@router.post("/schedule/plan", tags=["planning"])
def schedule_plan(sched: SchedulerDep, _admin: CurrentAdmin) -> DraftOut:
    try:
        with unit_of_work(sched) as session:
            r = planning.plan_draft(session, sched, sched.edition_id)
    except IntegrityError as exc:
        raise HTTPException(409, BUSY) from exc
    return DraftOut(
        version=r.number,
        meetings=r.meetings,
        holders_with_meeting=r.holders_with_meeting,
        holders=r.holders,
        bound=r.bound,
        seconds=r.seconds,
    )


@router.post("/schedule/publish", tags=["planning"])
def schedule_publish(sched: SchedulerDep, _admin: CurrentAdmin) -> PublishOut:
    with conflict(), unit_of_work(sched) as session:
        r = planning.publish(session, sched, sched.edition_id)
    return PublishOut(
        version=r.number,
        meetings=r.meetings,
        holders_with_meeting=r.holders_with_meeting,
        released=r.released,
    )


@router.post("/schedule/appointments/{appointment_id}/move", tags=["planning"])
def schedule_move(
    appointment_id: str, body: MoveIn, sched: SchedulerDep, _admin: CurrentAdmin
) -> Response:
    with conflict(), unit_of_work(sched) as session:
        planning.move_appointment(
            session, sched, sched.edition_id, appointment_id, body.slot, body.table
        )
    return Response(status_code=204)


@router.post("/schedule/swap", tags=["planning"])
def schedule_swap(body: SwapIn, sched: SchedulerDep, _admin: CurrentAdmin) -> Response:
    with conflict(), unit_of_work(sched) as session:
        planning.swap_appointments(session, sched, sched.edition_id, body.first, body.second)
    return Response(status_code=204)


@router.post("/schedule/appointments/{appointment_id}/lock", tags=["planning"])
def schedule_lock(
    appointment_id: str, body: LockIn, sched: SchedulerDep, _admin: CurrentAdmin
) -> Response:
    with conflict(), unit_of_work(sched) as session:
        planning.lock_appointment(session, sched, sched.edition_id, appointment_id, body.locked)
    return Response(status_code=204)


@router.post("/schedule/no-shows", tags=["planning"])
def schedule_no_shows(
    sched: SchedulerDep, _admin: CurrentAdmin, body: NoShowsIn | None = None
) -> ReplanOut:
    body = body or NoShowsIn()
    with unit_of_work(sched) as session:
        absent, report = planning.mark_no_shows(
            session, sched, sched.edition_id, only=body.participant_ids, excused=body.excused
        )
    if report is None:
        return ReplanOut(absent=absent, released=0, moved=0, added=0, kept=0)
    return ReplanOut(
        absent=absent,
        released=report.released,
        moved=report.moved,
        added=report.added,
        kept=report.kept,
    )


# -- sessions -------------------------------------------------------------------------------
@router.get("/sessions", tags=["sessions"])
def sessions_get(sched: SchedulerDep, _admin: CurrentAdmin) -> DayOut:
    """The day as the back-office home shows it: the published version, who is present,
    and each session to close (in time order) with whether it is closed."""
    with sched.kit.factory() as session:
        edition = current_edition(session, sched.edition_id)
        done = closed_ids(session, sched.edition_id)
        published = planning.published_version(session, sched.edition_id)
        counts = presence_tally(session, sched.edition_id)
    return DayOut(
        edition_id=sched.edition_id,
        published_version=published.number if published else None,
        present=counts.present,
        absent=counts.absent,
        excused=counts.excused,
        awaited=counts.awaited,
        sessions=[
            SessionStateOut(
                session_id=c.session_id,
                kind=c.kind.value,
                title=c.title,
                start=c.start,
                end=c.end,
                closed=c.session_id in done,
                closed_at=done[c.session_id].closed_at if c.session_id in done else None,
            )
            for c in closable_sessions(edition)
        ],
    )


@router.post("/sessions/{session_id}/close", tags=["sessions"])
def session_close(session_id: str, sched: SchedulerDep, _admin: CurrentAdmin) -> CloseOut:
    events = close(sched, session_id)
    if not events:
        return CloseOut(session_id=session_id, closed=False)
    event = events[-1]
    return CloseOut(
        session_id=session_id,
        closed=True,
        attendees=event.attendees,
        meetings_held=event.meetings_held,
        meetings_missed=event.meetings_missed,
        also_closed=[e.session_id for e in events[:-1]],
    )
