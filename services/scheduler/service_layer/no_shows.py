"""No-shows, one person at a time: who is expected soon and has not checked in, marking a
named person absent (or undoing it), and, before anything is saved, a preview of what the
re-plan would change, made by running the very same use case in a transaction rolled back."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.scheduler.adapters.db import participants
from services.scheduler.domain.live import SchedulingError
from services.scheduler.service_layer import planning
from services.scheduler.service_layer.context import Scheduler
from shared.events import SlotAssigned, SlotReleased
from shared.formats.schedule import table_label
from shared.presence import Presence, presence_of


class Action(StrEnum):
    ABSENT = "absent"  # one named person
    EXCUSED = "prevenu"  # one named person who told the team they will not come
    ALL = "tous"  # everyone not checked in whose meeting has started
    BACK = "retour"  # undo « absent » for one named person


# -- who is expected ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Expected:
    """Someone not checked in with a meeting at the current or the next slot."""

    participant_id: str
    role: str
    start: dt.datetime  # their next meeting (running or to come)
    end: dt.datetime
    table: str
    counterpart_id: str
    started: bool  # that meeting has begun


@dataclass(frozen=True)
class Absentee:
    participant_id: str
    role: str
    excused: bool = False

    @property
    def presence(self) -> Presence:
        return presence_of(False, absent=True, excused=self.excused)


@dataclass(frozen=True)
class Waiting:
    expected: list[Expected]  # at the running slot or the next one
    absent: list[Absentee]
    published: bool
    later: list[Expected] = field(default_factory=list)  # not checked in, first meeting later


def waiting(session: Session, app: Scheduler, edition_id: str) -> Waiting:
    """The people the welcome desk still waits for at the running slot or the next one, each
    with their next meeting, and those already marked absent."""
    absent = [
        Absentee(r.participant_id, r.role, r.excused)
        for r in session.execute(
            select(participants.c.participant_id, participants.c.role, participants.c.excused)
            .where(
                participants.c.edition_id == edition_id,
                participants.c.absent.is_(True),
                participants.c.erased.is_(False),
            )
            .order_by(participants.c.participant_id)
        ).all()
    ]
    version = planning.published_version(session, edition_id)
    if version is None:
        return Waiting([], absent, published=False)
    now = app.clock()
    rows = [r for r in planning.active_rows(session, version.id) if r.end > now]
    upcoming = sorted({r.start for r in rows if r.start > now})
    soon = {r.start for r in rows if r.start <= now} | set(upcoming[:1])
    people = {pid for r in rows for pid in (r.holder_id, r.expert_id)}
    if not people:
        return Waiting([], absent, published=True)
    state = {
        r.participant_id: r
        for r in session.execute(
            select(participants).where(participants.c.participant_id.in_(sorted(people)))
        ).all()
    }
    expected: dict[str, Expected] = {}
    for r in rows:  # in time order: the first one met is the person's next meeting
        for pid, other in ((r.holder_id, r.expert_id), (r.expert_id, r.holder_id)):
            p = state.get(pid)
            if pid not in people or pid in expected or p is None or p.present or p.absent:
                continue
            expected[pid] = Expected(
                participant_id=pid,
                role=p.role,
                start=r.start,
                end=r.end,
                table=table_label(r.table_number),
                counterpart_id=other,
                started=r.start <= now,
            )
    ordered = sorted(expected.values(), key=lambda e: (e.start, e.table, e.role))
    return Waiting(
        [e for e in ordered if e.start in soon],
        absent,
        published=True,
        later=[e for e in ordered if e.start not in soon],
    )


# -- what a release would do -------------------------------------------------------------------
@dataclass(frozen=True)
class Meeting:
    holder_id: str
    expert_id: str
    start: dt.datetime
    table: str


@dataclass(frozen=True)
class Moved:
    before: Meeting
    after: Meeting


@dataclass
class Outcome:
    """What one run of the use case changed, read from the events it wrote."""

    action: Action
    participant_id: str | None
    absent: list[str]  # marked absent by this run (or planned again, for BACK)
    released: list[Meeting] = field(default_factory=list)
    moved: list[Moved] = field(default_factory=list)
    added: list[Meeting] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)  # people whose agenda changes

    @property
    def empty(self) -> bool:
        return not (self.absent or self.released or self.moved or self.added)

    def digest(self) -> str:
        """A fingerprint of the changes: the confirmation carries the preview's, and is refused
        when the day moved on in between (someone checked in, a slot began)."""
        parts = [self.action.value, str(self.participant_id), *sorted(self.absent)]
        parts += sorted(f"-{m}" for m in self.released)
        parts += sorted(f"~{m.before}>{m.after}" for m in self.moved)
        parts += sorted(f"+{m}" for m in self.added)
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def _meeting(event: Any) -> Meeting:
    return Meeting(str(event.holder_id), str(event.expert_id), event.start, event.table)


def _outcome(action: Action, pid: str | None, absent: list[str], events: list[Any]) -> Outcome:
    out = Outcome(action, pid, sorted(absent))
    gone = {e.appointment_id: e for e in events if isinstance(e, SlotReleased)}
    given = {e.appointment_id: e for e in events if isinstance(e, SlotAssigned)}
    for aid, e in gone.items():
        if aid in given:
            out.moved.append(Moved(_meeting(e), _meeting(given[aid])))
        else:
            out.released.append(_meeting(e))
    out.added = [_meeting(e) for aid, e in given.items() if aid not in gone]
    for group in (out.released, out.added):
        group.sort(key=lambda m: (m.start, m.table))
    out.moved.sort(key=lambda m: (m.before.start, m.before.table))
    out.emails = sorted({str(p) for e in events for p in (e.holder_id, e.expert_id)})
    return out


def _check_named(session: Session, edition_id: str, pid: str, action: Action) -> None:
    row = session.execute(
        select(participants).where(
            participants.c.participant_id == pid,
            participants.c.edition_id == edition_id,
            participants.c.erased.is_(False),
        )
    ).first()
    if row is None:
        raise SchedulingError("Cette personne n'est pas inscrite à cette édition.")
    if action is Action.BACK:
        return  # unmark_absent says when the person is not marked
    if row.absent:
        raise SchedulingError("Cette personne est déjà marquée absente.")
    if row.present:
        raise SchedulingError("Cette personne est pointée à l'accueil : elle est présente.")


def run(
    session: Session,
    app: Scheduler,
    edition_id: str,
    action: Action,
    participant_id: str | None = None,
    dry_run: bool = False,
) -> Outcome:
    """The use case itself, in the caller's transaction. SchedulingError (in French) when there
    is nothing to do or the person cannot be marked."""
    if planning.published_version(session, edition_id) is None:
        raise SchedulingError("Rien n'est publié : il n'y a pas encore d'absents.")
    if action is Action.ALL:
        before = _marked(session, edition_id)
        _count, report = planning.mark_no_shows(session, app, edition_id, dry_run=dry_run)
        absent = sorted(_marked(session, edition_id) - before)
    else:
        if participant_id is None:
            raise SchedulingError("Choisissez une personne.")
        _check_named(session, edition_id, participant_id, action)
        if action in (Action.ABSENT, Action.EXCUSED):
            count, report = planning.mark_no_shows(
                session,
                app,
                edition_id,
                only=[participant_id],
                dry_run=dry_run,
                excused=action is Action.EXCUSED,
            )
            if count == 0:
                raise SchedulingError("Cette personne n'a aucun rendez-vous publié.")
        else:
            report = planning.unmark_absent(session, app, edition_id, participant_id, dry_run)
        absent = [participant_id]
    events = report.events if report is not None else []
    out = _outcome(action, participant_id, absent, events)
    if action is Action.ALL and out.empty:
        raise SchedulingError("Personne n'est absent à un rendez-vous commencé : rien à libérer.")
    return out


def _marked(session: Session, edition_id: str) -> set[str]:
    return set(
        session.execute(
            select(participants.c.participant_id).where(
                participants.c.edition_id == edition_id, participants.c.absent.is_(True)
            )
        ).scalars()
    )


# -- for the welcome desk ----------------------------------------------------------------------
@dataclass(frozen=True)
class NextMeeting:
    start: dt.datetime
    end: dt.datetime
    table: str
    counterpart_id: str
    started: bool


@dataclass(frozen=True)
class Desk:
    """What the welcome desk shows beside registration's own list: each person's next
    meeting (running or to come) and who is marked absent or « a prévenu »."""

    published: bool
    next_meeting: dict[str, NextMeeting]
    marks: dict[str, Presence]  # absent or excused, by participant id


def desk(session: Session, app: Scheduler, edition_id: str) -> Desk:
    marks = {a.participant_id: a.presence for a in waiting(session, app, edition_id).absent}
    version = planning.published_version(session, edition_id)
    if version is None:
        return Desk(False, {}, marks)
    now = app.clock()
    nexts: dict[str, NextMeeting] = {}
    for r in planning.active_rows(session, version.id):  # in time order
        if r.end <= now:
            continue
        for pid, other in ((r.holder_id, r.expert_id), (r.expert_id, r.holder_id)):
            nexts.setdefault(
                pid,
                NextMeeting(r.start, r.end, table_label(r.table_number), other, r.start <= now),
            )
    return Desk(True, nexts, marks)
