"""Personal agendas, reached from the link each participant receives: page, calendar, PDF."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from services.scheduler.entrypoints.web import SchedulerDep
from services.scheduler.service_layer.agenda import (
    Agenda,
    agenda_for,
    agenda_url,
    read_agenda_token,
)
from services.scheduler.service_layer.context import Scheduler
from shared.web import attachment, inline, render

router = APIRouter(prefix="/agenda", tags=["agenda"])
# The token is in the address: not even our origin goes to another site from here.
PRIVATE = {"Referrer-Policy": "no-referrer"}


def _agenda(sched: Scheduler, token: str) -> Agenda:
    found = read_agenda_token(sched.settings.secret_key.get_secret_value(), token)
    if found is None:
        raise HTTPException(404, "Ce lien d'agenda n'est pas valide.")
    with sched.kit.factory() as session:
        agenda = agenda_for(session, sched, found[0])
    if agenda is None:
        raise HTTPException(404, "Aucun agenda publié pour ce lien.")
    return agenda


@router.get("/{token}.ics")
def agenda_calendar(token: str, sched: SchedulerDep) -> Response:
    from services.scheduler.adapters.documents import agenda_ics  # fpdf, segno: when asked

    return Response(
        agenda_ics(_agenda(sched, token), sched.clock()),
        media_type="text/calendar; charset=utf-8",
        headers={**attachment("rencontres.ics"), **PRIVATE},
    )


@router.get("/{token}.pdf")
def agenda_document(token: str, sched: SchedulerDep) -> Response:
    from services.scheduler.adapters.documents import agenda_pdf  # fpdf, segno: when asked

    agenda = _agenda(sched, token)
    url = agenda_url(sched, agenda.participant_id, agenda.edition.edition_id)
    return Response(
        agenda_pdf(agenda, url),
        media_type="application/pdf",
        headers={**inline("mon-agenda.pdf"), **PRIVATE},
    )


@router.get("/{token}", response_class=HTMLResponse)
def agenda_page(request: Request, token: str, sched: SchedulerDep) -> HTMLResponse:
    agenda = _agenda(sched, token)
    context = {"agenda": agenda, "edition": agenda.edition, "token": token}
    response = render(request, "agenda.html", context)
    response.headers.update(PRIVATE)
    return response
