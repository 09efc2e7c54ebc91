"""What the service does by itself as the day goes on: close sessions at their end and, when
enabled, release the meetings of absentees. Safe to run in several processes at once.

An entrypoint (the service's clock loop calls `tick`): it owns one transaction per step, so a
session closed is committed even when the next one loses a race with another process."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from services.scheduler.adapters.db import no_show_checks, participants
from services.scheduler.service_layer.context import Scheduler
from services.scheduler.service_layer.editions import ensure_edition
from services.scheduler.service_layer.planning import load_day, mark_no_shows
from services.scheduler.service_layer.sessions import (
    close_session,
    closed_ids,
    count_closed,
    due_sessions,
)
from shared.db import transaction

log = logging.getLogger(__name__)


def tick(app: Scheduler) -> list[str]:
    """One check; returns the sessions it closed."""
    now = app.clock()
    edition_id = app.edition_id
    with transaction(app.kit.factory) as session:
        edition = ensure_edition(session, app.outbox, edition_id, now)
        done = closed_ids(session, edition_id)
    closed = []
    for session_id in due_sessions(edition, now):
        if session_id in done:
            continue
        try:
            with transaction(app.kit.factory) as session:
                events = close_session(session, app, edition_id, session_id)
            count_closed(events)
            closed += [e.session_id for e in events]
        except IntegrityError:  # another process closed it in the meantime
            continue
    if app.settings.auto_no_show:
        _auto_no_show(app, edition_id, now)
    return closed


def _auto_no_show(app: Scheduler, edition_id: str, now: dt.datetime) -> None:
    grace = dt.timedelta(minutes=app.settings.no_show_grace_minutes)
    with transaction(app.kit.factory) as session:
        edition = ensure_edition(session, app.outbox, edition_id, now)
        day = load_day(session, edition)
        checked_in = session.execute(
            select(func.count()).where(
                participants.c.edition_id == edition_id, participants.c.present.is_(True)
            )
        ).scalar_one()
        done = set(
            session.execute(
                select(no_show_checks.c.slot_start).where(no_show_checks.c.edition_id == edition_id)
            ).scalars()
        )
    # Nobody checked in means the day is run without check-in: never release anything then.
    if not checked_in:
        return
    due = [
        s
        for s in day.starts
        if s + grace <= now and s not in done and now - s < dt.timedelta(hours=12)
    ]
    if not due:
        return
    try:
        with transaction(app.kit.factory) as session:
            absent, report = mark_no_shows(session, app, edition_id, started_by=now - grace)
            session.execute(
                no_show_checks.insert(),
                [
                    {
                        "edition_id": edition_id,
                        "slot_start": s,
                        "checked_at": now,
                        "released": report.released if report else 0,
                    }
                    for s in due
                ],
            )
        log.info("absents : %d personne(s), créneaux %d", absent, len(due))
    except IntegrityError:
        return
