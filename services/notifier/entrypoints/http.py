"""The notifier service's HTTP app: the operator's email log, and the surveys' requests.

`/admin/emails` takes the shared admin session (the cookie registration issues) or the service
token for scripts; `/internal/...` is for the other services, with the service token.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy import select

from services.notifier.adapters.db import emails
from services.notifier.adapters.rendering import TEMPLATES
from services.notifier.bootstrap import Notifier, bootstrap
from services.notifier.service_layer import requests
from services.notifier.service_layer.dispatch import measure_queue
from shared.auth import admin_identity, service_token_ok
from shared.db import transaction
from shared.web import create_app as create_base_app

STATUS_LABELS = {
    "pending": "en attente",
    "sending": "en cours d'envoi",
    "sent": "envoyé",
    "failed": "échec",
    "skipped": "non envoyé",
    "cancelled": "annulé",
}


class SurveyRecipientIn(BaseModel):
    participant_id: uuid.UUID
    survey_url: str = Field(min_length=1, max_length=2000)


class SurveyEmailsIn(BaseModel):
    """A request of the surveys service: invite, or remind those who have not answered."""

    request_id: uuid.UUID = Field(description="Idempotency key: the same request sends once")
    edition_id: str
    survey_id: uuid.UUID
    kind: requests.SurveyEmailKind
    survey_title: str = ""
    closes_at: AwareDatetime | None = None
    recipients: list[SurveyRecipientIn] = Field(max_length=5000)


class SurveyEmailsOut(BaseModel):
    accepted: int
    duplicates: int


def create_app(notifier: Notifier | None = None) -> FastAPI:
    notifier = notifier or bootstrap()
    kit = notifier.kit
    app = create_base_app(service="notifier", title="Rencontres – notifier", runtime=kit.runtime)
    app.state.notifier = notifier
    pages = Jinja2Templates(directory=TEMPLATES / "admin")

    @app.middleware("http")
    async def refresh_queue_gauges(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        # The queue gauges are read from the log when scraped, not only by the beat's rounds.
        if request.url.path == "/metrics":
            with contextlib.suppress(Exception):  # a database outage must not hide the metrics
                await asyncio.to_thread(measure_queue, kit.engine)
        return await call_next(request)

    settings = notifier.settings

    def service_caller(authorization: Annotated[str | None, Header()] = None) -> None:
        if not service_token_ok(authorization, settings.service_token.get_secret_value()):
            raise HTTPException(
                401, "Jeton de service manquant ou invalide.", {"WWW-Authenticate": "Bearer"}
            )

    def admin(request: Request) -> str:
        who = admin_identity(request.cookies, request.headers.get("authorization"), settings)
        if who is None:
            raise HTTPException(
                401, "Connexion administrateur requise.", {"WWW-Authenticate": "Bearer"}
            )
        return who

    ServiceCaller = Depends(service_caller)
    Admin = Depends(admin)

    @app.post(
        "/internal/survey-emails",
        status_code=202,
        dependencies=[ServiceCaller],
        response_model=SurveyEmailsOut,
    )
    def survey_emails(body: SurveyEmailsIn) -> SurveyEmailsOut:
        request = requests.SurveyEmailRequest(
            request_id=body.request_id,
            edition_id=body.edition_id,
            survey_id=body.survey_id,
            kind=body.kind,
            survey_title=body.survey_title,
            closes_at=body.closes_at,
            recipients=[
                requests.SurveyRecipient(r.participant_id, r.survey_url) for r in body.recipients
            ],
        )
        with transaction(kit.factory) as session:
            ids, duplicates = requests.request_survey_emails(session, request)
        notifier.dispatcher.dispatch(ids)
        return SurveyEmailsOut(accepted=len(ids), duplicates=duplicates)

    @app.get("/admin/emails", response_class=HTMLResponse, dependencies=[Admin])
    def email_log(
        request: Request,
        participant_id: Annotated[str | None, Query(max_length=36)] = None,
        status: Annotated[str | None, Query(max_length=16)] = None,
    ) -> HTMLResponse:
        query = select(emails).order_by(emails.c.created_at.desc(), emails.c.id.desc()).limit(500)
        if participant_id:
            query = query.where(emails.c.participant_id == participant_id.strip())
        if status:
            query = query.where(emails.c.status == status)
        with kit.factory() as session:
            found = session.execute(query).all()
        return pages.TemplateResponse(
            request,
            "emails.html",
            {
                "rows": found,
                "participant_id": participant_id or "",
                "status": status or "",
                "labels": STATUS_LABELS,
                "local": _local,
            },
        )

    @app.post("/admin/emails/{email_id}/resend", dependencies=[Admin])
    def resend(email_id: int) -> RedirectResponse:
        try:
            with transaction(kit.factory) as session:
                new_id = requests.resend(session, email_id)
                participant = session.execute(
                    select(emails.c.participant_id).where(emails.c.id == new_id)
                ).scalar_one()
        except requests.NothingToResend as exc:
            raise HTTPException(409, "rien à renvoyer : email inconnu ou pas encore tenté") from exc
        notifier.dispatcher.dispatch([new_id])
        return RedirectResponse(f"/admin/emails?participant_id={participant}", status_code=303)

    return app


def _local(value: Any) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return str(value.astimezone(ZoneInfo("Europe/Paris")).strftime("%d/%m/%Y %H:%M:%S"))
