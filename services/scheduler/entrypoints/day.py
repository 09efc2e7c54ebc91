"""The day in the back-office: who is here, and closing each session (which sends its
questionnaire and counts its meetings)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.exc import IntegrityError

from services.scheduler.entrypoints.web import SchedulerDep, unit_of_work
from services.scheduler.service_layer.context import Scheduler
from services.scheduler.service_layer.editions import current_edition
from services.scheduler.service_layer.participants import present_count
from services.scheduler.service_layer.sessions import (
    closable_sessions,
    close_session,
    closed_ids,
    closing,
    count_closed,
    still_open,
)
from shared.events import ClosedSessionKind, SessionClosed
from shared.web import CurrentAdmin, confirm, redirect, render

router = APIRouter(prefix="/admin/journee", tags=["back-office"])
DAY = "/admin/journee"


@router.get("", response_class=HTMLResponse)
def day_page(request: Request, sched: SchedulerDep, _admin: CurrentAdmin) -> HTMLResponse:
    with sched.kit.factory() as session:
        edition = current_edition(session, sched.edition_id)
        done = closed_ids(session, sched.edition_id)
        present = present_count(session, sched.edition_id)
    context = {
        "edition": edition,
        "sessions": closable_sessions(edition),
        "closed": done,
        "present": present,
    }
    return render(request, "day.html", context, section="sessions")


@router.get("/{session_id}/cloture", response_class=HTMLResponse)
def day_close_page(
    request: Request, session_id: str, sched: SchedulerDep, _admin: CurrentAdmin
) -> Response:
    try:
        with sched.kit.factory() as session:
            figures = closing(session, sched.edition_id, session_id)
            with_it = still_open(session, sched.edition_id, session_id)
    except KeyError as exc:
        raise HTTPException(404, "Cette session n'existe pas dans le programme.") from exc
    if figures is None:
        return redirect(request, DAY, ok="Cette session est déjà clôturée.")
    target = figures.target
    attendees = len(figures.attendees)
    if target.kind is ClosedSessionKind.CONFERENCE:
        lines = [
            f"{attendees} personne(s) présente(s) et inscrite(s) à cette conférence "
            "recevront son questionnaire."
        ]
    elif target.kind is ClosedSessionKind.WINDOW:
        lines = [
            f"{figures.meetings_held} rendez-vous tenus (les deux personnes pointées) et "
            f"{figures.meetings_missed} manqués seront comptés pour le bilan.",
        ]
    else:
        lines = [
            f"Les {attendees} personne(s) présente(s) recevront l'évaluation de la journée ; "
            "le questionnaire de suivi partira quelques semaines plus tard.",
        ]
    if with_it:
        titles = ", ".join(f"« {c.title} »" for c in with_it)
        lines.append(
            f"Les sessions encore ouvertes seront clôturées avec elle : {titles} ; "
            "chaque conférence enverra son questionnaire, chaque fenêtre comptera ses "
            "rendez-vous."
        )
    lines.append("Une session clôturée ne se rouvre pas.")
    return confirm(
        request,
        title=f"Clôturer « {target.title} » ?",
        lines=lines,
        action=f"{DAY}/{session_id}/cloture",
        button="Clôturer",
        cancel=DAY,
        section="sessions",
    )


@router.post("/{session_id}/cloture")
def day_close(
    request: Request, session_id: str, sched: SchedulerDep, _admin: CurrentAdmin
) -> Response:
    events = close(sched, session_id)
    if not events:
        ok = "Cette session était déjà clôturée."
    elif len(events) == 1:
        ok = "Session clôturée."
    else:
        with sched.kit.factory() as session:
            titles = {
                c.session_id: c.title
                for c in closable_sessions(current_edition(session, sched.edition_id))
            }
        others = ", ".join(f"« {titles.get(e.session_id, e.session_id)} »" for e in events[:-1])
        ok = f"Session clôturée, avec celles encore ouvertes : {others}."
    return redirect(request, DAY, ok=ok)


def close(sched: Scheduler, session_id: str) -> list[SessionClosed]:
    """Close a session now, the day with what is still open (404 if the programme has none
    of this name); the target's event last, none when it was already closed."""
    for _attempt in range(2):
        try:
            with unit_of_work(sched) as session:
                events = close_session(session, sched, sched.edition_id, session_id)
            break
        except KeyError as exc:
            raise HTTPException(404, "Cette session n'existe pas dans le programme.") from exc
        except IntegrityError:
            # Another close (a double click, the clock) committed one of them first: once
            # more, against what it closed.
            events = []
    count_closed(events)
    return events
