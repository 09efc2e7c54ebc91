"""A participant's own page, reached from the personal link: see, correct, download, cancel,
erase. Only the hash of the link's token is stored."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from services.registration.adapters import personal_data
from services.registration.domain.model import (
    InvalidProfile,
    Participant,
    RegistrationError,
    parse_profile,
)
from services.registration.domain.vocabulary import STATUSES
from services.registration.entrypoints.admin import profile_values
from services.registration.entrypoints.messages import error_message
from services.registration.entrypoints.public import form_context, holder_needs
from services.registration.entrypoints.web import kit_of
from services.registration.service_layer import participants
from services.registration.service_layer.editions import get_edition
from shared.db import transaction
from shared.events import RegistrationStatus, Role
from shared.web import attachment, flat, form_lists, redirect, render

router = APIRouter(prefix="/mon-inscription", include_in_schema=False)

# The token is in the address: not even our origin goes to another site from here.
PRIVATE = {"Referrer-Policy": "no-referrer"}


def _row(request: Request, token: str) -> Participant:
    with kit_of(request).factory() as session:
        row = participants.by_token(session, token)
    if row is None:
        raise HTTPException(404, "Ce lien n'est pas valable, ou l'inscription a été effacée.")
    return row


def _page(
    request: Request,
    token: str,
    row: Participant,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    erase_errors: dict[str, str] | None = None,
) -> HTMLResponse:
    with kit_of(request).factory() as session:
        edition = get_edition(session, row.edition_id)
    context = form_context(edition, Role(row.role), values or profile_values(row), errors)
    context.update(
        {
            "title": "Mon inscription",
            "row": row,
            "token": token,
            "statuses": STATUSES,
            "form_action": f"/mon-inscription/{token}",
            "submit_label": "Enregistrer mes corrections",
            "erase_errors": erase_errors or {},
        }
    )
    response = render(request, "selfservice.html", context, status_code)
    response.headers.update(PRIVATE)
    return response


@router.get("/{token}", response_class=HTMLResponse)
def show(request: Request, token: str) -> HTMLResponse:
    return _page(request, token, _row(request, token))


@router.post("/{token}", response_class=HTMLResponse)
async def correct(request: Request, token: str) -> Response:
    row = _row(request, token)
    form = await form_lists(request)
    if row.role == Role.HOLDER.value:
        form["thematiques"] = holder_needs(form)
    values = flat(form)
    values["thematiques"] = form.get("thematiques", [])
    values["conferences"] = form.get("conferences", [])
    with kit_of(request).factory() as session:
        edition = get_edition(session, row.edition_id)
    kit = kit_of(request)
    try:
        profile = parse_profile(Role(row.role), values, edition)
        with transaction(kit.factory) as session:
            participants.update_profile(session, kit, row.participant_id, profile)
    except InvalidProfile as exc:
        return _page(request, token, row, values, exc.errors, 422)
    except RegistrationError as exc:
        return _page(request, token, row, values, {"email": error_message(exc.code)}, 422)
    return redirect(request, f"/mon-inscription/{token}", ok="Vos corrections sont enregistrées.")


@router.get("/{token}/donnees.json")
async def download(request: Request, token: str) -> Response:
    row = await run_in_threadpool(_row, request, token)
    body = await personal_data.of_participant(
        kit_of(request).settings, participants.export_data(row)
    )
    return Response(
        body,
        media_type="application/json; charset=utf-8",
        headers={**attachment("mes-donnees.json"), **PRIVATE},
    )


@router.post("/{token}/annuler")
async def cancel(request: Request, token: str) -> Response:
    row = _row(request, token)
    kit = kit_of(request)
    try:
        with transaction(kit.factory) as session:
            participants.cancel(session, kit, row.participant_id)
    except RegistrationError as exc:
        raise HTTPException(409, error_message(exc.code)) from exc
    return redirect(
        request,
        f"/mon-inscription/{token}",
        ok="Votre inscription est annulée. Vous pouvez vous réinscrire tant que les "
        "inscriptions sont ouvertes.",
    )


@router.post("/{token}/reinscrire")
async def come_back(request: Request, token: str) -> Response:
    row = _row(request, token)
    kit = kit_of(request)
    try:
        with transaction(kit.factory) as session:
            fresh = participants.come_back(session, kit, row.participant_id)
    except RegistrationError as exc:
        return redirect(request, f"/mon-inscription/{token}", error=error_message(exc.code))
    waiting = fresh.status == RegistrationStatus.WAITING_LIST.value
    return redirect(
        request,
        f"/mon-inscription/{token}",
        ok="Vous êtes sur liste d'attente : nous vous écrirons si une place se libère."
        if waiting
        else "Votre inscription est de nouveau confirmée.",
    )


@router.post("/{token}/effacer", response_class=HTMLResponse)
async def erase(request: Request, token: str) -> Response:
    row = _row(request, token)
    form = await form_lists(request)
    if (form.get("confirmer") or [""])[0] != "oui":
        errors = {"confirmer": "Cochez la case pour confirmer l'effacement."}
        return _page(request, token, row, status_code=422, erase_errors=errors)
    kit = kit_of(request)
    with transaction(kit.factory) as session:
        participants.erase(session, kit, row.participant_id, "demande de la personne")
    response = render(
        request,
        "message.html",
        {
            "title": "Données effacées",
            "message": "Vos données personnelles sont effacées. Seuls des chiffres anonymes "
            "sont conservés pour le bilan de la journée.",
        },
    )
    response.headers.update(PRIVATE)
    return response
