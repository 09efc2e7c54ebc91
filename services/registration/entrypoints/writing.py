"""« Écrire aux participants »: the team's message to a group, previewed, then sent once."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from services.registration.entrypoints.web import edition_of, kit_of
from services.registration.service_layer import writing
from shared.events import Audience
from shared.web import CurrentAdmin, form_lists, redirect, render
from shared.web.forms import first

router = APIRouter(prefix="/admin", include_in_schema=False)
PREVIEWED = 10  # names shown on the preview; the count says the rest


def _page(request: Request, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    full = {
        "title": "Écrire aux participants",
        "audiences": writing.AUDIENCES,
        "subject_max": writing.SUBJECT_MAX,
        "body_max": writing.BODY_MAX,
        "errors": {},
        "preview": None,
        **context,
    }
    return render(request, "admin/writing.html", full, status_code, section="participants")


@router.get("/messages", response_class=HTMLResponse)
def writing_page(
    request: Request, _admin: CurrentAdmin, edition: Annotated[str | None, Query()] = None
) -> HTMLResponse:
    settings = edition_of(request, edition)
    draft = {
        "message_id": str(uuid.uuid4()),
        "audience": Audience.ALL.value,
        "objet": "",
        "texte": "",
    }
    return _page(request, {"edition": settings, "draft": draft})


@router.post("/messages", response_class=HTMLResponse)
async def writing_post(request: Request, _admin: CurrentAdmin) -> Response:
    fields = await form_lists(request)
    settings = edition_of(request, first(fields, "edition"))
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
        if first(fields, "action") == "envoyer":
            sent = writing.send(kit, settings.edition_id, message)
            return redirect(
                request,
                f"/admin/messages?edition={settings.edition_id}",
                ok=f"Message « {message.subject} » envoyé à {sent} personne(s) : "
                "suivez les envois dans Emails.",
            )
    except writing.MessageError as exc:
        return _page(request, {**context, "errors": exc.errors}, 422)
    with kit.factory() as session:
        people = writing.recipients(session, settings.edition_id, message.audience)
    context["preview"] = {"message": message, "people": people[:PREVIEWED], "count": len(people)}
    return _page(request, context)
