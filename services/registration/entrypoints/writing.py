"""« Écrire aux participants »: the team's message to a group, previewed, then sent once."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from services.registration.adapters.respondents import read_non_respondents, read_questionnaires
from services.registration.entrypoints.web import edition_of, kit_of, settings_of
from services.registration.service_layer import writing
from shared.db import transaction
from shared.events import Audience
from shared.service import ServiceKit
from shared.web import CurrentAdmin, form_lists, redirect, render
from shared.web.forms import first

router = APIRouter(prefix="/admin", include_in_schema=False)
PREVIEWED = 10  # names shown on the preview; the count says the rest


async def _audiences(request: Request, edition_id: str) -> dict[str, str]:
    """The fixed groups, then the non-respondents of each questionnaire sent by personal
    link (when the surveys service answers)."""
    settings = settings_of(request)
    found = await read_questionnaires(
        settings.surveys_internal_url,
        edition_id,
        settings.service_token.get_secret_value(),
        settings.status_timeout_s,
    )
    choices = {audience.value: label for audience, label in writing.AUDIENCES.items()}
    for q in found or []:
        label = writing.NON_RESPONDENTS_LABEL.format(title=q.title)
        left = q.invited - q.answered
        key = writing.audience_key(Audience.NON_RESPONDENTS, q.survey_id)
        choices[key] = f"{label} ({left} sur {q.invited} invités)"
    return choices


async def _page(request: Request, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    full = {
        "title": "Écrire aux participants",
        "audiences": await _audiences(request, context["edition"].edition_id),
        "subject_max": writing.SUBJECT_MAX,
        "body_max": writing.BODY_MAX,
        "errors": {},
        "preview": None,
        **context,
    }
    return render(request, "admin/writing.html", full, status_code, section="participants")


@router.get("/messages", response_class=HTMLResponse)
async def writing_page(
    request: Request, _admin: CurrentAdmin, edition: Annotated[str | None, Query()] = None
) -> HTMLResponse:
    settings = await run_in_threadpool(edition_of, request, edition)
    draft = {
        "message_id": str(uuid.uuid4()),
        "audience": Audience.ALL.value,
        "objet": "",
        "texte": "",
    }
    return await _page(request, {"edition": settings, "draft": draft})


@router.post("/messages", response_class=HTMLResponse)
async def writing_post(request: Request, _admin: CurrentAdmin) -> Response:
    fields = await form_lists(request)
    settings = await run_in_threadpool(edition_of, request, first(fields, "edition"))
    draft = {
        "message_id": first(fields, "message_id"),
        "audience": first(fields, "audience"),
        "objet": first(fields, "objet"),
        "texte": first(fields, "texte"),
    }
    context: dict[str, Any] = {"edition": settings, "draft": draft}
    kit = kit_of(request)
    try:
        message = writing.check(
            draft["message_id"], draft["audience"], draft["objet"], draft["texte"]
        )
        draft["message_id"] = str(message.message_id)
        among = await _non_respondents(request, message)
        if first(fields, "action") == "envoyer":
            sent = await run_in_threadpool(_send, kit, settings.edition_id, message, among)
            return redirect(
                request,
                f"/admin/messages?edition={settings.edition_id}",
                ok=f"Message « {message.subject} » envoyé à {sent} personne(s) : "
                "suivez les envois dans Emails.",
            )
    except writing.MessageError as exc:
        return await _page(request, {**context, "errors": exc.errors}, 422)
    people = await run_in_threadpool(_recipients, kit, settings.edition_id, message, among)
    context["preview"] = {"message": message, "people": people[:PREVIEWED], "count": len(people)}
    return await _page(request, context)


def _send(kit: ServiceKit, edition_id: str, message: writing.Message, among: set[str]) -> int:
    with transaction(kit.factory) as session:
        return writing.send(session, kit.outbox, edition_id, message, among)


def _recipients(
    kit: ServiceKit, edition_id: str, message: writing.Message, among: set[str]
) -> list[writing.Recipient]:
    with kit.factory() as session:
        return writing.recipients(session, edition_id, message.audience, among)


async def _non_respondents(request: Request, message: writing.Message) -> set[str]:
    """The surveys service's list for that audience; nothing asked for the other groups."""
    if message.audience is not Audience.NON_RESPONDENTS:
        return set()
    settings = settings_of(request)
    found = await read_non_respondents(
        settings.surveys_internal_url,
        str(message.survey_id),
        settings.service_token.get_secret_value(),
        settings.status_timeout_s,
    )
    if found is None:
        raise writing.MessageError(
            {"audience": "Le service des questionnaires ne répond pas : réessayez dans un instant."}
        )
    return found
