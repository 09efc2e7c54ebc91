"""The notifier service's HTTP app: the operator's email log, each email as it was received
(when `rencontres up` caught it) and the resend button.

`/admin/emails` takes the shared admin session or the service token for scripts.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import re
from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from services.notifier.adapters import caught
from services.notifier.adapters.db import emails, participants
from services.notifier.adapters.email_log import Email, counts_by_status
from services.notifier.adapters.email_log import get as email_row
from services.notifier.adapters.rendering import TEMPLATES
from services.notifier.bootstrap import Notifier, bootstrap
from services.notifier.domain.emails import message_id_of
from services.notifier.service_layer import resend as resend_use_case
from services.notifier.service_layer.dispatch import measure_queue
from shared.db import plain_row, transaction
from shared.web import CurrentAdmin, Pages, ServiceCaller, attachment, redirect, render
from shared.web import create_app as create_base_app

STATUS_LABELS = {
    "pending": "en attente",
    "sending": "en cours d'envoi",
    "sent": "envoyé",
    "failed": "échec",
    "skipped": "non envoyé",
    "cancelled": "annulé",
}


def create_app(notifier: Notifier | None = None) -> FastAPI:
    notifier = notifier or bootstrap()
    kit = notifier.kit
    app = create_base_app(
        service="notifier",
        title="Rencontres – notifier",
        settings=kit.settings,
        pages=Pages(kit.settings, TEMPLATES / "admin"),
        runtime=kit.runtime,
        home=f"{kit.settings.public_urls()['registration']}/admin",
    )
    app.state.notifier = notifier

    @app.middleware("http")
    async def refresh_queue_gauges(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        # The queue gauges are read from the log when scraped, not only by the beat's rounds.
        if request.url.path == "/metrics":
            with contextlib.suppress(Exception):  # a database outage must not hide the metrics
                await asyncio.to_thread(measure_queue, kit.engine)
        return await call_next(request)

    @app.get("/admin/emails", response_class=HTMLResponse)
    def email_log(
        request: Request,
        _admin: CurrentAdmin,
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
        context = {
            "title": "Emails",
            "rows": found,
            "participant_id": participant_id or "",
            "status": status or "",
            "labels": STATUS_LABELS,
            "local": _local,
        }
        return render(request, "emails.html", context, section="emails")

    @app.post("/admin/emails/{email_id}/resend")
    def resend(request: Request, email_id: int, _admin: CurrentAdmin) -> Response:
        try:
            with transaction(kit.factory) as session:
                new_id = resend_use_case.resend(session, email_id)
                participant = session.execute(
                    select(emails.c.participant_id).where(emails.c.id == new_id)
                ).scalar_one()
        except resend_use_case.ContentsErased as exc:
            raise HTTPException(
                409,
                "rien à renvoyer : le contenu de cet email a été effacé "
                "(durée de conservation ou effacement de la personne)",
            ) from exc
        except resend_use_case.NothingToResend as exc:
            raise HTTPException(409, "rien à renvoyer : email inconnu ou pas encore tenté") from exc
        notifier.dispatcher.dispatch([new_id])
        return redirect(
            request, f"/admin/emails?participant_id={participant}", ok="Email remis en envoi."
        )

    def _email_and_message(email_id: int) -> tuple[Email, caught.Caught | None, str]:
        """The row, the message caught for it by `rencontres up` (or None), its Message-ID."""
        with kit.factory() as session:
            row = email_row(session, email_id)
        if row is None:
            raise HTTPException(404, "email inconnu")
        domain = notifier.settings.message_id_domain()
        mid = message_id_of(row.cause_id, row.template, row.participant_id, domain)
        path = caught.find(caught.folder(kit.settings.var_dir), mid)
        return row, (caught.read(path) if path is not None else None), mid

    @app.get("/admin/emails/{email_id}/message", response_class=HTMLResponse)
    def email_message(request: Request, email_id: int, _admin: CurrentAdmin) -> HTMLResponse:
        """The email as it was received, when `rencontres up`'s local SMTP server caught it;
        otherwise what the log holds. Its HTML part is shown in a sandboxed frame: no script
        of the message runs, and its links open in a new tab."""
        row, message, mid = _email_and_message(email_id)
        context = {
            "title": f"Email n° {row.id}",
            "row": row,
            "message": message,
            "message_id": mid,
            "srcdoc": _links_in_new_tab(message.html) if message else "",
            "context_items": _context_items(row.context),
            "labels": STATUS_LABELS,
            "local": _local,
        }
        return render(request, "email.html", context, section="emails")

    @app.get("/admin/emails/{email_id}/message.eml")
    def email_message_file(email_id: int, _admin: CurrentAdmin) -> Response:
        _row, message, _mid = _email_and_message(email_id)
        if message is None:
            raise HTTPException(404, "message non gardé par le serveur SMTP local")
        return Response(
            message.raw, media_type="message/rfc822", headers=attachment(f"email-{email_id}.eml")
        )

    @app.get("/admin/emails/{email_id}/message/attachments/{index}")
    def email_attachment(email_id: int, index: int, _admin: CurrentAdmin) -> Response:
        _row, message, _mid = _email_and_message(email_id)
        if message is None or not 0 <= index < len(message.attachments):
            raise HTTPException(404, "pièce jointe inconnue")
        part = message.attachments[index]
        # A download (Content-Disposition), never a page of the back-office's origin.
        return Response(part.data, media_type=part.content_type, headers=attachment(part.filename))

    @app.get("/internal/participants/{participant_id}/data")
    def participant_data(participant_id: str, _caller: ServiceCaller) -> dict[str, Any]:
        """Everything the notifier holds about one person (right of access): the log of the
        emails sent or due to them (no address nor name is stored here) and its read model."""
        with kit.factory() as session:
            sent = session.execute(
                select(emails)
                .where(emails.c.participant_id == participant_id)
                .order_by(emails.c.id)
            ).all()
            person = session.execute(
                select(participants).where(participants.c.participant_id == participant_id)
            ).first()
        return {
            "participant": plain_row(person) if person is not None else None,
            "emails": [plain_row(e, skip=("claimed_at",)) for e in sent],
        }

    @app.get("/internal/editions/{edition_id}/emails")
    def email_counts(edition_id: str, _caller: ServiceCaller) -> dict[str, Any]:
        """How many emails of the edition are sent, waiting, failed...: the back-office home."""
        with kit.factory() as session:
            return {
                "edition_id": edition_id,
                "counts": counts_by_status(session, edition_id),
            }

    return app


_HEAD = re.compile(r"<head[^>]*>", re.IGNORECASE)


def _links_in_new_tab(html: str) -> str:
    """The message's HTML with a `<base target="_blank">` in its head (after its doctype, which
    keeps the frame out of quirks mode)."""
    base = '<base target="_blank">'
    found = _HEAD.search(html)
    if found is None:
        return base + html
    return html[: found.end()] + base + html[found.end() :]


def _context_items(raw: str | None) -> list[tuple[str, str]]:
    """What the log keeps of the email's context (never personal data), key by key."""
    try:
        values = json.loads(raw or "{}")
    except ValueError:
        return []
    if not isinstance(values, dict):
        return []
    return [
        (str(k), v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))
        for k, v in values.items()
    ]


def _local(value: Any) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return str(value.astimezone(ZoneInfo("Europe/Paris")).strftime("%d/%m/%Y %H:%M:%S"))
