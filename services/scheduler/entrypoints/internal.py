"""The scheduler's internal API (service token): what the notifier fetches at send time, a
person's data and their wishes and needs without a meeting, for registration."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel
from sqlalchemy import or_, select

from services.scheduler.adapters.db import appointments, participants, schedule_versions
from services.scheduler.entrypoints.web import SchedulerDep
from services.scheduler.service_layer import no_shows
from services.scheduler.service_layer.agenda import agenda_for, agenda_url, meeting_topics
from services.scheduler.service_layer.unplaced import unplaced
from shared.db import plain_row
from shared.web import ServiceCaller

router = APIRouter(prefix="/internal", tags=["internal"])


class AgendaItemOut(BaseModel):
    kind: str  # rendez-vous, conference, repas
    start: dt.datetime
    end: dt.datetime
    title: str
    table: str
    counterpart_organisation: str
    # The other person of a meeting (their name is registration's, fetched by the caller).
    counterpart_id: str
    # A meeting's subjects: the holder's needs this expert covers; a session's theme.
    topics: list[str]


class InternalAgenda(BaseModel):
    participant_id: str
    agenda_url: str
    ics: str
    items: list[AgendaItemOut]


@router.get("/agendas/{participant_id}")
def internal_agenda(
    participant_id: str, sched: SchedulerDep, _caller: ServiceCaller
) -> InternalAgenda:
    from services.scheduler.adapters.documents import agenda_ics  # fpdf, segno: when asked

    with sched.kit.factory() as session:
        agenda = agenda_for(session, sched, participant_id)
        topics = meeting_topics(session, agenda) if agenda is not None else {}
    if agenda is None:
        raise HTTPException(404, "Aucun agenda publié pour cette personne.")
    return InternalAgenda(
        participant_id=participant_id,
        agenda_url=agenda_url(sched, participant_id, agenda.edition.edition_id),
        ics=agenda_ics(agenda, sched.clock()),
        items=[
            AgendaItemOut(
                kind=i.kind,
                start=i.start,
                end=i.end,
                title=i.title,
                table=i.table,
                counterpart_organisation=i.counterpart_organisation,
                counterpart_id=i.counterpart_id,
                topics=topics.get(i.counterpart_id, [])
                if i.kind == "rendez-vous"
                else ([i.detail] if i.detail else []),
            )
            for i in agenda.items
        ],
    )


@router.get("/participants/{participant_id}/data")
def participant_data(
    participant_id: str, sched: SchedulerDep, _caller: ServiceCaller
) -> dict[str, Any]:
    """Everything the scheduler holds about one person (right of access): its read model of
    the registration and the person's meetings in every published version of the schedule."""
    with sched.kit.factory() as session:
        person = session.execute(
            select(participants).where(participants.c.participant_id == participant_id)
        ).first()
        meetings = session.execute(
            select(appointments, schedule_versions.c.number.label("schedule_version"))
            .join(schedule_versions, schedule_versions.c.id == appointments.c.version_id)
            .where(
                schedule_versions.c.status.in_(["published", "replaced"]),
                schedule_versions.c.published_at.is_not(None),
                or_(
                    appointments.c.holder_id == participant_id,
                    appointments.c.expert_id == participant_id,
                ),
            )
            .order_by(schedule_versions.c.number, appointments.c.start)
        ).all()
    return {
        "participant": plain_row(person) if person is not None else None,
        "meetings": [plain_row(m, skip=("id", "version_id")) for m in meetings],
    }


class ActionOut(BaseModel):
    label: str
    url: str


class UnplacedItemOut(BaseModel):
    kind: str  # souhait, besoin
    holder_id: str
    expert_id: str  # the wished expert; empty for a need
    tag: str  # the need's tag code; empty for a wish
    tag_label: str
    asked_by: str  # porteur or expert, for a wish
    reason: str  # French, as `rencontres plan --explain` writes it
    cause: str
    actions: list[ActionOut]  # where the operator can change it


class UnplacedOut(BaseModel):
    participant_id: str
    version: int | None  # the schedule explained (the draft under review, else published)
    status: str | None
    items: list[UnplacedItemOut]


@router.get("/participants/{participant_id}/unplaced")
def participant_unplaced(
    participant_id: str, sched: SchedulerDep, _caller: ServiceCaller
) -> UnplacedOut:
    """The person's wishes and needs without a meeting in the schedule the grid shows, for
    their page in the back-office (registration)."""
    with sched.kit.factory() as session:
        report = unplaced(session, sched, participant_id)
    return UnplacedOut(
        participant_id=participant_id,
        version=report.version,
        status=report.status,
        items=[
            UnplacedItemOut(
                kind=x.explanation.kind.value,
                holder_id=x.explanation.holder_id,
                expert_id=x.explanation.expert_id,
                tag=x.explanation.tag,
                tag_label=x.tag_label,
                asked_by=x.explanation.asked_by,
                reason=x.explanation.reason,
                cause=x.explanation.cause.value,
                actions=[ActionOut(label=a.label, url=a.url) for a in x.actions],
            )
            for x in report.items
        ],
    )


class NextMeetingOut(BaseModel):
    start: dt.datetime
    end: dt.datetime
    table: str
    counterpart_id: str  # their name is registration's
    started: bool


class DeskOut(BaseModel):
    published: bool
    next_meetings: dict[str, NextMeetingOut]  # by participant id
    marks: dict[str, str]  # participant id -> absent or prevenu


@router.get("/editions/{edition_id}/desk")
def edition_desk(edition_id: str, sched: SchedulerDep, _caller: ServiceCaller) -> DeskOut:
    """For the welcome desk (registration): each person's next meeting of the published
    schedule and who is marked absent or « a prévenu »."""
    if edition_id != sched.edition_id:
        return DeskOut(published=False, next_meetings={}, marks={})
    with sched.kit.factory() as session:
        view = no_shows.desk(session, sched, edition_id)
    return DeskOut(
        published=view.published,
        next_meetings={
            pid: NextMeetingOut(
                start=m.start,
                end=m.end,
                table=m.table,
                counterpart_id=m.counterpart_id,
                started=m.started,
            )
            for pid, m in view.next_meeting.items()
        },
        marks={pid: p.value for pid, p in view.marks.items()},
    )
