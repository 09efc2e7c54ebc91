"""The day in the back-office: who is here, who is still awaited (one person marked absent at
a time, with a preview of the re-plan before anything changes), and closing each session
(which sends its questionnaire and counts its meetings)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.exc import IntegrityError

from services.scheduler.adapters.registration import Contact, DirectoryUnavailable
from services.scheduler.domain.live import SchedulingError
from services.scheduler.entrypoints.web import SchedulerDep, unit_of_work
from services.scheduler.service_layer import no_shows
from services.scheduler.service_layer.context import Scheduler
from services.scheduler.service_layer.editions import current_edition
from services.scheduler.service_layer.participants import presence_tally, present_count
from services.scheduler.service_layer.sessions import (
    closable_sessions,
    close_session,
    closed_ids,
    closing,
    count_closed,
    still_open,
)
from shared.edition import EditionSettings
from shared.events import ClosedSessionKind, SessionClosed
from shared.french import local_time
from shared.presence import PRESENCE_LABELS
from shared.web import CurrentAdmin, confirm, redirect, render

router = APIRouter(prefix="/admin/journee", tags=["back-office"])
DAY = "/admin/journee"


@router.get("", response_class=HTMLResponse)
def day_page(request: Request, sched: SchedulerDep, _admin: CurrentAdmin) -> HTMLResponse:
    with sched.kit.factory() as session:
        edition = current_edition(session, sched.edition_id)
        done = closed_ids(session, sched.edition_id)
        counts = presence_tally(session, sched.edition_id)
        awaited = no_shows.waiting(session, sched, sched.edition_id)
    ids = {e.participant_id for e in awaited.expected + awaited.later}
    ids |= {a.participant_id for a in awaited.absent} | {e.counterpart_id for e in awaited.expected}
    contacts, directory_ok = _contacts(sched, ids)
    context = {
        "edition": edition,
        "sessions": closable_sessions(edition),
        "closed": done,
        "counts": counts,
        "presence_labels": PRESENCE_LABELS,
        "awaited": awaited,
        "who": _namer(contacts),
        "hm": _clock_of(edition),
        "directory_ok": directory_ok,
    }
    return render(request, "day.html", context, section="sessions")


# -- no-shows ---------------------------------------------------------------------------------
ABSENTS = f"{DAY}/absents"
PersonField = Annotated[str, Form(max_length=64)]
ActionField = Annotated[str, Form(max_length=16)]


def _contacts(sched: Scheduler, ids: set[str]) -> tuple[dict[str, Contact], bool]:
    if not ids:
        return {}, True
    try:
        return sched.directory.contacts(ids), True
    except DirectoryUnavailable:
        return {}, False


def _namer(contacts: dict[str, Contact]) -> Any:
    """« Camille Martin (Asso X) », or a short id when registration did not answer."""

    def who(pid: str) -> str:
        c = contacts.get(pid)
        if c is None:
            return f"#{pid[:8]}"
        if c.name and c.organisation:
            return f"{c.name} ({c.organisation})"
        return c.name or c.organisation or f"#{pid[:8]}"

    return who


def _clock_of(edition: EditionSettings) -> Any:
    """« 10:30 » in the edition's time zone (the database gives UTC)."""
    return lambda at: local_time(at, edition.timezone).strftime("%H:%M")


def _action(value: str) -> no_shows.Action | None:
    try:
        return no_shows.Action(value)
    except ValueError:
        return None


@router.get("/absents/apercu", response_class=HTMLResponse)
def no_show_preview_page(
    request: Request,
    sched: SchedulerDep,
    _admin: CurrentAdmin,
    action: Annotated[str, Query(max_length=16)] = "",
    personne: Annotated[str, Query(max_length=64)] = "",
    retour: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    """What the release would do, computed by the use case itself in a rolled-back
    transaction; « Confirmer » posts it with the preview's fingerprint."""
    back = _back(request, retour)
    kind = _action(action)
    if kind is None:
        return redirect(request, back, error="Action inconnue : choisissez-la dans la liste.")
    if kind is not no_shows.Action.ALL and not personne:
        return redirect(request, back, error="Choisissez une personne dans la liste.")
    try:
        with sched.kit.factory() as session:  # closed without a commit: rolled back
            outcome = no_shows.run(
                session, sched, sched.edition_id, kind, personne or None, dry_run=True
            )
    except SchedulingError as exc:
        return redirect(request, back, error=str(exc))
    return _preview(request, sched, outcome, retour if back != DAY else "")


def _back(request: Request, retour: str) -> str:
    """Where a no-show action comes back to: the day page, or the welcome desk it came from
    (a fixed name, never an address taken from the request)."""
    if retour == DESK:
        urls = request.app.state.web.settings.public_urls()
        return f"{urls['registration']}/admin/accueil"
    return DAY


DESK = "accueil"
TITLES = {
    no_shows.Action.BACK: "Annuler l'absence ?",
    no_shows.Action.ABSENT: "Marquer absent·e et libérer ?",
    no_shows.Action.EXCUSED: "Noter « a prévenu » et libérer ?",
    no_shows.Action.ALL: "Libérer les rendez-vous de tous les absents ?",
}


def _preview(
    request: Request, sched: SchedulerDep, outcome: no_shows.Outcome, retour: str = ""
) -> HTMLResponse:
    with sched.kit.factory() as session:
        edition = current_edition(session, sched.edition_id)
    ids = set(outcome.absent) | set(outcome.emails)
    contacts, directory_ok = _contacts(sched, ids)
    title = TITLES[outcome.action]
    who = _namer(contacts)
    warning = ""
    if outcome.action is no_shows.Action.ALL:
        with sched.kit.factory() as session:
            if present_count(session, sched.edition_id) == 0:
                warning = (
                    "Personne n'est encore pointé à l'accueil : confirmer marquerait absents "
                    "tous ceux dont un rendez-vous a commencé."
                )
    context = {
        "warning": warning,
        "title": title,
        "outcome": outcome,
        "emails": sorted(outcome.emails, key=who),
        "who": who,
        "hm": _clock_of(edition),
        "directory_ok": directory_ok,
        "digest": outcome.digest(),
        "retour": retour,
        "cancel": _back(request, retour),
    }
    return render(request, "no_show_preview.html", context, section="sessions")


class _Changed(Exception):
    """The confirmed run differs from the preview: roll it back."""

    def __init__(self, outcome: no_shows.Outcome) -> None:
        self.outcome = outcome


@router.post("/absents")
def no_show_confirm(
    request: Request,
    sched: SchedulerDep,
    _admin: CurrentAdmin,
    action: ActionField = "",
    personne: PersonField = "",
    apercu: Annotated[str, Form(max_length=64)] = "",
    retour: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    back = _back(request, retour)
    kind = _action(action)
    if kind is None:
        return redirect(request, back, error="Action inconnue : choisissez-la dans la liste.")
    try:
        with unit_of_work(sched) as session:
            outcome = no_shows.run(session, sched, sched.edition_id, kind, personne or None)
            if outcome.digest() != apercu:
                raise _Changed(outcome)
    except SchedulingError as exc:
        return redirect(request, back, error=str(exc))
    except IntegrityError:
        return redirect(request, back, error="Une autre modification vient d'être enregistrée.")
    except _Changed:
        query = urlencode({"action": kind.value, "personne": personne, "retour": retour})
        return redirect(
            request,
            f"{ABSENTS}/apercu?{query}",
            error="La journée a changé depuis l'aperçu (une arrivée, un créneau commencé) : "
            "rien n'a été fait. Voici l'aperçu à jour.",
        )
    return redirect(request, back, ok=_done_message(outcome))


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n <= 1 else many}"


def _done_message(outcome: no_shows.Outcome) -> str:
    if outcome.action is no_shows.Action.BACK:
        head = "Absence annulée : la personne est de nouveau planifiée"
    elif outcome.action is no_shows.Action.EXCUSED:
        head = "1 personne notée « a prévenu »"
    else:
        n = len(outcome.absent)
        head = _plural(n, "personne marquée absente", "personnes marquées absentes")
    return (
        f"{head} ; {_plural(len(outcome.released), 'rendez-vous libéré', 'rendez-vous libérés')}, "
        f"{_plural(len(outcome.moved), 'déplacé', 'déplacés')}, "
        f"{_plural(len(outcome.added), 'créé', 'créés')} ; "
        f"{_plural(len(outcome.emails), 'personne recevra', 'personnes recevront')} un email."
    )


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
