"""Closing a conference, a meeting window or the day: SessionClosed exactly once per session."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from prometheus_client import Counter
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.scheduler.adapters.db import (
    ClosedSessionRecord,
    appointments,
    closed_sessions,
    participants,
)
from services.scheduler.service_layer.context import Scheduler
from services.scheduler.service_layer.editions import current_edition, ensure_edition
from services.scheduler.service_layer.planning import local, published_version
from shared.db import record
from shared.edition import EditionSettings, half_day_of
from shared.events import ClosedSessionKind, ReleaseReason, SessionClosed

DAY_SESSION = "journee"


@dataclass(frozen=True)
class Closable:
    session_id: str
    kind: ClosedSessionKind
    title: str
    start: dt.datetime  # aware
    end: dt.datetime


def closable_sessions(edition: EditionSettings) -> tuple[Closable, ...]:
    """Conferences, meeting windows (`rendez-vous-matin`...) and the day, in time order."""
    items = [
        Closable(
            c.session_id,
            ClosedSessionKind.CONFERENCE,
            c.title,
            local(edition, c.start),
            local(edition, c.end),
        )
        for c in edition.conferences()
    ]
    for w in sorted(edition.windows, key=lambda w: w.start):
        half = half_day_of(w.start)
        items.append(
            Closable(
                f"rendez-vous-{half.value}",
                ClosedSessionKind.WINDOW,
                f"Rendez-vous ({half.label})",
                local(edition, w.start),
                local(edition, w.end),
            )
        )
    times = [(s.start, s.end) for s in edition.sessions] + [
        (w.start, w.end) for w in edition.windows
    ]
    items.append(
        Closable(
            DAY_SESSION,
            ClosedSessionKind.DAY,
            "La journée",
            local(edition, min(t[0] for t in times)),
            local(edition, max(t[1] for t in times)),
        )
    )
    return tuple(sorted(items, key=lambda c: (c.end, c.session_id)))


def closed_ids(session: Session, edition_id: str) -> dict[str, ClosedSessionRecord]:
    """The edition's closed sessions, by id."""
    rows = session.execute(
        select(closed_sessions).where(closed_sessions.c.edition_id == edition_id)
    )
    return {r.session_id: record(ClosedSessionRecord, r) for r in rows}


MEETINGS = Counter(
    "rencontres_scheduler_meetings_total",
    "Meetings of the meeting windows closed (morning, afternoon), by outcome (held: both "
    "came, missed)",
    ["outcome"],
)
for _outcome in ("held", "missed"):
    MEETINGS.labels(_outcome)


def count_closed(events: list[SessionClosed]) -> None:
    """Count the meetings of the windows once their closing is committed. The day's own
    closing repeats the windows' meetings: not counted again."""
    for event in events:
        if event.kind is ClosedSessionKind.WINDOW:
            MEETINGS.labels("held").inc(event.meetings_held)
            MEETINGS.labels("missed").inc(event.meetings_missed)


@dataclass(frozen=True)
class Closing:
    """What closing a session records: who attended, meetings held and missed."""

    target: Closable
    attendees: list[str]
    meetings_held: int
    meetings_missed: int


def closing(session: Session, edition_id: str, session_id: str) -> Closing | None:
    """The figures of closing `session_id` now (read only: the confirmation page shows them
    before anything is closed); None when it is already closed. KeyError: no such session."""
    edition = current_edition(session, edition_id)
    found = {c.session_id: c for c in closable_sessions(edition)}
    if session_id not in found:
        raise KeyError(session_id)
    if session_id in closed_ids(session, edition_id):
        return None
    target = found[session_id]
    people = session.execute(
        select(participants).where(
            participants.c.edition_id == edition_id, participants.c.erased.is_(False)
        )
    ).all()
    present = {p.participant_id for p in people if p.present}
    held, missed, met = _meetings(session, edition_id, target, present)
    if target.kind is ClosedSessionKind.CONFERENCE:
        attendees = sorted(
            p.participant_id for p in people if p.present and session_id in p.sessions
        )
    elif target.kind is ClosedSessionKind.WINDOW:
        attendees = sorted(met)
    else:
        attendees = sorted(present)
    return Closing(target, attendees, held, missed)


def still_open(session: Session, edition_id: str, session_id: str) -> list[Closable]:
    """What closing `session_id` closes with it: for the day, every session still open (a
    day closed means nothing of it is still going on); for any other, nothing."""
    if session_id != DAY_SESSION:
        return []
    done = closed_ids(session, edition_id)
    edition = current_edition(session, edition_id)
    return [
        c
        for c in closable_sessions(edition)
        if c.session_id != DAY_SESSION and c.session_id not in done
    ]


def close_session(
    session: Session, app: Scheduler, edition_id: str, session_id: str
) -> list[SessionClosed]:
    """Close it now, the day with what is still open (in time order, the day last); empty
    when it was already closed. The unique rows and the events commit together, so a second
    close (a double click, two processes) never publishes twice."""
    now = app.clock().astimezone(dt.UTC)
    ensure_edition(session, app.outbox, edition_id, now)
    if closing(session, edition_id, session_id) is None:
        return []
    targets = [c.session_id for c in still_open(session, edition_id, session_id)]
    events = [_close_one(session, app, edition_id, sid, now) for sid in [*targets, session_id]]
    return [e for e in events if e is not None]


def _close_one(
    session: Session, app: Scheduler, edition_id: str, session_id: str, now: dt.datetime
) -> SessionClosed | None:
    figures = closing(session, edition_id, session_id)
    if figures is None:
        return None
    target, attendees = figures.target, figures.attendees
    held, missed = figures.meetings_held, figures.meetings_missed
    event = SessionClosed(
        edition_id=edition_id,
        session_id=session_id,
        kind=target.kind,
        closed_at=now,
        attendee_ids=[uuid.UUID(a) for a in attendees],
        attendees=len(attendees),
        meetings_held=held,
        meetings_missed=missed,
    )
    session.execute(
        closed_sessions.insert().values(
            edition_id=edition_id,
            session_id=session_id,
            kind=target.kind.value,
            closed_at=now,
            attendees=len(attendees),
            meetings_held=held,
            meetings_missed=missed,
        )
    )
    app.outbox.add(session, event)
    return event


def _meetings(
    session: Session, edition_id: str, target: Closable, present: set[str]
) -> tuple[int, int, set[str]]:
    """Meetings of the published schedule in the session's time: held when both came, missed
    when one did not (released for absence, or never checked in)."""
    if target.kind is ClosedSessionKind.CONFERENCE:
        return 0, 0, set()
    version = published_version(session, edition_id)
    if version is None:
        return 0, 0, set()
    rows = session.execute(
        select(appointments).where(
            appointments.c.version_id == version.id,
            appointments.c.start >= target.start,
            appointments.c.start < target.end,
        )
    ).all()
    held = missed = 0
    met: set[str] = set()
    for r in rows:
        if r.released_at is not None:
            missed += r.release_reason == ReleaseReason.NO_SHOW.value
            continue
        if r.holder_id in present and r.expert_id in present:
            held += 1
            met.update((r.holder_id, r.expert_id))
        else:
            missed += 1
    return held, missed, met


def due_sessions(edition: EditionSettings, now: dt.datetime) -> list[str]:
    """Sessions over by `now`, on the edition's day only: an old edition never closes itself
    when the service starts long after."""
    local_now = now.astimezone(local(edition, dt.time(0)).tzinfo)
    if local_now.date() != edition.date:
        return []
    return [c.session_id for c in closable_sessions(edition) if c.end <= now]
