"""The welcome desk on a tablet: find someone as you type, one tap to check in or undo,
late walk-ins, and live counts of who is here."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from services.registration.adapters.desk import read_desk
from services.registration.domain.model import (
    InvalidProfile,
    Participant,
    RegistrationError,
    parse_profile,
)
from services.registration.domain.vocabulary import (
    EXPERT_KINDS,
    HOLDER_LEGAL_FORMS,
    ROLES,
    STATUSES,
    forms_for,
    label,
)
from services.registration.entrypoints.messages import FIELD_LABELS, error_message
from services.registration.entrypoints.web import edition_of, kit_of, settings_of
from services.registration.service_layer import badges, participants, queries
from services.registration.service_layer.desk import desk_day
from shared.db import retrying, transaction
from shared.edition import EditionSettings
from shared.events import Role
from shared.presence import PRESENCE_LABELS, Presence
from shared.service import ServiceKit
from shared.web import CurrentAdmin, flat, form_lists, redirect, render

router = APIRouter(prefix="/admin/accueil", include_in_schema=False)


async def _scheduler_desk(request: Request, edition_id: str) -> dict[str, Any] | None:
    settings = settings_of(request)
    return await read_desk(
        settings.scheduler_internal_url,
        edition_id,
        settings.service_token.get_secret_value(),
        settings.status_timeout_s,
    )


def _context(
    request: Request, edition: EditionSettings, q: str, remote: dict[str, Any] | None = None
) -> dict[str, Any]:
    kit = kit_of(request)
    with kit.factory() as session:
        rows = queries.listing(session, edition.edition_id, queries.Filters(q=q))
        # A badge's QR code (its address or its code, as a scanner types it): that person.
        code = badges.code_in(q) if not rows and q else None
        badge = badges.holder_of(session, kit, code, edition.edition_id) if code else None
        rows = [badge] if badge is not None else rows
        counts = queries.presence_counts(session, edition.edition_id)
        day = desk_day(session, edition.edition_id, remote)
    preview = f"{settings_of(request).public_urls()['scheduler']}/admin/journee/absents/apercu"
    return {
        "title": "Accueil",
        "edition": edition,
        "tz": ZoneInfo(edition.timezone),
        "q": q,
        "rows": rows,
        "counts": counts,
        "day": day,
        "preview": preview,
        "Presence": Presence,
        "presence_labels": PRESENCE_LABELS,
        "roles": ROLES,
        "statuses": STATUSES,
        "label": label,
        "forms_for": forms_for,
        "Role": Role,
        "holder_forms": HOLDER_LEGAL_FORMS,
        "expert_kinds": EXPERT_KINDS,
        "labels": FIELD_LABELS,
        "values": {},
        "errors": {},
    }


@router.get("", response_class=HTMLResponse)
async def desk(
    request: Request,
    _admin: CurrentAdmin,
    edition: Annotated[str | None, Query()] = None,
    q: Annotated[str, Query()] = "",
    partial: Annotated[bool, Query()] = False,
) -> HTMLResponse:
    settings = await run_in_threadpool(edition_of, request, edition)
    remote = await _scheduler_desk(request, settings.edition_id)
    template = "admin/_accueil_results.html" if partial else "admin/accueil.html"
    context = await run_in_threadpool(_context, request, settings, q, remote)
    return render(request, template, context, section="accueil")


def _check_in(kit: ServiceKit, participant_id: str, present: bool) -> Participant:
    with transaction(kit.factory) as session:
        return participants.check_in(session, kit, participant_id, present)


@router.post("/{participant_id}/presence")
async def presence(request: Request, participant_id: str, _admin: CurrentAdmin) -> Response:
    form = await form_lists(request)
    present = (form.get("present") or ["1"])[0] == "1"
    try:
        row = await run_in_threadpool(_check_in, kit_of(request), participant_id, present)
    except RegistrationError as exc:
        raise HTTPException(404, error_message(exc.code)) from exc
    query = urlencode({"edition": row.edition_id, "q": (form.get("q") or [""])[0]})
    name = f"{row.first_name or ''} {row.last_name or ''}".strip()
    if not present:
        ok = f"Arrivée annulée : {name}."
    else:
        ok = f"Arrivée enregistrée : {name}. " + await _where_next(request, row)
    return redirect(request, f"/admin/accueil?{query}#p-{participant_id}", ok=ok)


async def _where_next(request: Request, row: Participant) -> str:
    """Where the person goes now: their next meeting, to tell them at the desk."""
    remote = await _scheduler_desk(request, row.edition_id)
    if remote is None:
        return "Le planning ne répond pas : consultez son agenda."

    def read() -> Any:
        with kit_of(request).factory() as session:
            return desk_day(session, row.edition_id, remote).meeting(row.participant_id)

    meeting = await run_in_threadpool(read)
    if meeting is None:
        return "Aucun rendez-vous à venir."
    edition = await run_in_threadpool(edition_of, request, row.edition_id)
    return f"Prochain rendez-vous : {meeting.sentence(ZoneInfo(edition.timezone))}."


@router.post("/sur-place", response_class=HTMLResponse)
async def walk_in(request: Request, _admin: CurrentAdmin) -> Response:
    form = await form_lists(request)
    edition = edition_of(request, (form.get("edition") or [""])[0])
    values = flat(form)
    kit = kit_of(request)
    role_value = values.get("role", "")
    role = Role(role_value) if role_value in (r.value for r in Role) else None
    try:
        if role is None:
            raise InvalidProfile({"role": "Choisissez porteur de projet ou expert."})
        profile = parse_profile(role, values, edition, minimal=True)
        result = retrying(
            kit.factory,
            participants.register,
            kit,
            edition.edition_id,
            profile,
            source="sur-place",
            check_dates=False,
            check_capacity=False,
        )
    except InvalidProfile as exc:
        context = _context(request, edition, "", await _scheduler_desk(request, edition.edition_id))
        context.update({"values": values, "errors": exc.errors, "walk_in_open": True})
        return render(request, "admin/accueil.html", context, 422, section="accueil")
    except RegistrationError as exc:
        context = _context(request, edition, "", await _scheduler_desk(request, edition.edition_id))
        context.update(
            {"values": values, "errors": {"email": error_message(exc.code)}, "walk_in_open": True}
        )
        return render(request, "admin/accueil.html", context, 422, section="accueil")
    _check_in(kit, str(result.participant_id), True)
    query = urlencode({"edition": edition.edition_id, "q": profile.email})
    return redirect(request, f"/admin/accueil?{query}")
