"""The back-office: login, the day's home page, participant list, edit, cancel, promote, exports."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.registration.adapters.day_status import read_remote
from services.registration.adapters.exports import export_rows, to_csv, to_xlsx
from services.registration.domain.model import InvalidProfile, RegistrationError, parse_profile
from services.registration.domain.vocabulary import (
    EXPERT_KINDS,
    HOLDER_LEGAL_FORMS,
    ROLES,
    STAGES,
    STATUSES,
    forms_for,
    label,
)
from services.registration.entrypoints.messages import error_message
from services.registration.entrypoints.public import form_context, holder_needs
from services.registration.entrypoints.web import (
    check_csrf,
    client_ip,
    flat,
    kit_of,
    limiter_of,
    page,
    read_form,
    settings_of,
)
from services.registration.service_layer import day, participants, queries
from services.registration.service_layer.admins import authenticate
from services.registration.service_layer.editions import get_edition, known_editions
from services.registration.service_layer.importing import import_file
from shared.auth import ADMIN_COOKIE, admin_cookie_options, issue_admin_session, read_admin_session
from shared.db import transaction
from shared.edition import EditionSettings, default_edition
from shared.events import Role

router = APIRouter(prefix="/admin", include_in_schema=False)


def current_admin(request: Request) -> str:
    settings = settings_of(request)
    email = read_admin_session(
        settings.secret_key.get_secret_value(),
        request.cookies.get(ADMIN_COOKIE),
        settings.admin_session_hours * 3600,
    )
    if email is None:
        target = request.url.path if request.method == "GET" else "/admin/participants"
        location = "/admin/login?" + urlencode({"suite": target})
        raise HTTPException(303, "Connexion requise", headers={"Location": location})
    return email


def safe_next(target: str | None) -> str:
    """Where to go after login: a back-office page of this site, never another site."""
    if target and target.startswith("/admin/") and not target.startswith("/admin/login"):
        return target
    return "/admin"


CurrentAdmin = Annotated[str, Depends(current_admin)]


async def checked_form(request: Request) -> dict[str, list[str]]:
    """The posted form of a back-office action, once its CSRF token is verified."""
    form = await read_form(request)
    if check_csrf(request, form) is None:
        raise HTTPException(403, error_message("csrf"))
    return form


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# -- login -------------------------------------------------------------------------------------
@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, suite: str = "") -> HTMLResponse:
    return page(request, "admin/login.html", {"title": "Connexion", "suite": safe_next(suite)})


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    settings = settings_of(request)
    limiter = limiter_of(request)
    form = await read_form(request)
    email = (form.get("email") or [""])[0].strip().lower()
    password = (form.get("password") or [""])[0]
    target = safe_next((form.get("suite") or [""])[0])
    context: dict[str, Any] = {"title": "Connexion", "email": email, "suite": target}
    if check_csrf(request, form) is None:
        return page(request, "admin/login.html", {**context, "alert": error_message("csrf")}, 403)
    window = settings.login_window_seconds
    if not limiter.hit("login-ip", client_ip(request), settings.login_per_ip, window) or (
        not limiter.hit("login-email", email, settings.login_per_email, window)
    ):
        return page(
            request, "admin/login.html", {**context, "alert": error_message("rate_limited")}, 429
        )
    admin = authenticate(kit_of(request), email, password)
    if admin is None:
        context["alert"] = "Adresse email ou mot de passe incorrect."
        return page(request, "admin/login.html", context, 401)
    response = redirect(target)
    max_age = settings.admin_session_hours * 3600
    response.set_cookie(
        value=issue_admin_session(settings.secret_key.get_secret_value(), admin),
        **admin_cookie_options(settings.environment == "production", max_age),
    )
    return response


@router.post("/logout")
async def logout(request: Request, _admin: CurrentAdmin) -> Response:
    await checked_form(request)
    response = redirect("/admin/login")
    response.delete_cookie(ADMIN_COOKIE, path="/")
    return response


@router.get("", response_class=HTMLResponse)
@router.get("/", response_class=HTMLResponse)
async def home(
    request: Request, _admin: CurrentAdmin, edition: Annotated[str | None, Query()] = None
) -> HTMLResponse:
    """The operator's day: each step in order, its state and figures, a link to where it is
    done. The scheduler and the surveys service are asked server-side (service token)."""
    settings = settings_of(request)
    current = await run_in_threadpool(_edition, request, edition)

    def figures() -> day.Local:
        with kit_of(request).factory() as session:
            return day.local_figures(session, current.edition_id)

    local = await run_in_threadpool(figures)
    remote = await read_remote(
        settings.scheduler_internal_url,
        settings.surveys_internal_url,
        current.edition_id,
        settings.service_token.get_secret_value(),
        settings.status_timeout_s,
    )
    steps = day.steps(
        local,
        remote,
        current.edition_id,
        settings.scheduler_public_url,
        settings.surveys_public_url,
    )
    return page(
        request,
        "admin/home.html",
        {"title": "La journée pas à pas", "edition": current, "steps": steps},
    )


# -- list and exports --------------------------------------------------------------------------
def _edition(request: Request, edition_id: str | None) -> EditionSettings:
    try:
        with transaction(kit_of(request).factory) as session:
            return get_edition(session, edition_id or default_edition().edition_id)
    except RegistrationError as exc:
        raise HTTPException(404, error_message(exc.code)) from exc


FilterParams = Annotated[queries.Filters, Depends(queries.Filters)]


def _listing(request: Request, edition: EditionSettings, filters: queries.Filters) -> list[Any]:
    with kit_of(request).factory() as session:
        return queries.listing(session, edition.edition_id, filters)


@router.get("/participants", response_class=HTMLResponse)
def participant_list(
    request: Request,
    _admin: CurrentAdmin,
    filters: FilterParams,
    edition: Annotated[str | None, Query()] = None,
    notice: Annotated[str | None, Query()] = None,
) -> HTMLResponse:
    settings = _edition(request, edition)
    rows = _listing(request, settings, filters)
    with kit_of(request).factory() as session:
        editions = known_editions(session)
        communes = queries.communes(session, settings.edition_id)
    query = urlencode({"edition": settings.edition_id, **filters.__dict__})
    return page(
        request,
        "admin/participants.html",
        {
            "title": "Participants",
            "edition": settings,
            "editions": editions,
            "rows": rows,
            "filters": filters,
            "communes": communes,
            "roles": ROLES,
            "statuses": STATUSES,
            "stages": STAGES,
            "legal_forms": {**HOLDER_LEGAL_FORMS, **EXPERT_KINDS},
            "label": label,
            "forms_for": forms_for,
            "Role": Role,
            "query": query,
            "notice": notice,
        },
    )


@router.get("/participants.csv")
def export_csv(
    request: Request,
    _admin: CurrentAdmin,
    filters: FilterParams,
    edition: Annotated[str | None, Query()] = None,
) -> Response:
    settings = _edition(request, edition)
    body = to_csv(export_rows(_listing(request, settings, filters), settings))
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="participants-{settings.edition_id}.csv"'
        },
    )


@router.get("/participants.xlsx")
def export_xlsx(
    request: Request,
    _admin: CurrentAdmin,
    filters: FilterParams,
    edition: Annotated[str | None, Query()] = None,
) -> Response:
    settings = _edition(request, edition)
    body = to_xlsx(export_rows(_listing(request, settings, filters), settings))
    return Response(
        body,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f'attachment; filename="participants-{settings.edition_id}.xlsx"'
        },
    )


# -- one participant ---------------------------------------------------------------------------
def profile_values(row: Any) -> dict[str, Any]:
    """A stored participant as the form's fields, to show it for editing."""
    values: dict[str, Any] = {
        "prenom": row.first_name or "",
        "nom": row.last_name or "",
        "email": row.email or "",
        "telephone": row.phone or "",
        "structure": row.organisation or "",
        "forme": row.legal_form,
        "stade": row.stage or "",
        "commune": row.commune or "",
        "thematiques": list(row.tags),
        "souhaits": "\n".join(row.wants),
        "refus": "\n".join(row.refuses),
        "conferences": list(row.sessions),
        "disponibilite": row.availability,
        "rdv_max": "" if row.max_meetings is None else str(row.max_meetings),
        "repas": "oui" if row.lunch else "",
        "accessibilite": row.accessibility or "",
        "consentement_partage": "oui" if row.consent_share_profile else "",
        "consentement_contact": "oui" if row.consent_contact else "",
    }
    return values


def _row(request: Request, participant_id: str) -> Any:
    with kit_of(request).factory() as session:
        row = participants.get(session, participant_id)
    if row is None or row.erased_at is not None:
        raise HTTPException(404, error_message("unknown_participant"))
    return row


def _edit_page(
    request: Request,
    row: Any,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    edition = _edition(request, row.edition_id)
    context = form_context(edition, Role(row.role), values, errors)
    context.update(
        {
            "title": f"{row.first_name} {row.last_name}",
            "row": row,
            "statuses": STATUSES,
            "form_action": f"/admin/participants/{row.participant_id}",
            "submit_label": "Enregistrer les modifications",
        }
    )
    return page(request, "admin/participant.html", context, status_code)


@router.get("/participants/{participant_id}", response_class=HTMLResponse)
def participant_page(request: Request, participant_id: str, _admin: CurrentAdmin) -> HTMLResponse:
    row = _row(request, participant_id)
    return _edit_page(request, row, profile_values(row))


@router.post("/participants/{participant_id}", response_class=HTMLResponse)
async def participant_edit(request: Request, participant_id: str, _admin: CurrentAdmin) -> Response:
    row = _row(request, participant_id)
    form = await checked_form(request)
    if row.role == Role.HOLDER.value:
        form["thematiques"] = holder_needs(form)
    values = flat(form)
    values["thematiques"] = form.get("thematiques", [])
    values["conferences"] = form.get("conferences", [])
    edition = _edition(request, row.edition_id)
    try:
        profile = parse_profile(Role(row.role), values, edition)
        participants.update_profile(kit_of(request), participant_id, profile)
    except InvalidProfile as exc:
        return _edit_page(request, row, values, exc.errors, 422)
    except RegistrationError as exc:
        return _edit_page(request, row, values, {"email": error_message(exc.code)}, 422)
    return redirect(f"/admin/participants?edition={row.edition_id}&notice=modifie")


@router.post("/participants/{participant_id}/annuler")
async def participant_cancel(
    request: Request, participant_id: str, _admin: CurrentAdmin
) -> Response:
    await checked_form(request)
    try:
        row = participants.cancel(kit_of(request), participant_id)
    except RegistrationError as exc:
        raise HTTPException(409, error_message(exc.code)) from exc
    return redirect(f"/admin/participants?edition={row.edition_id}&notice=annule")


@router.post("/participants/{participant_id}/promouvoir")
async def participant_promote(
    request: Request, participant_id: str, _admin: CurrentAdmin
) -> Response:
    await checked_form(request)
    try:
        row = participants.promote(kit_of(request), participant_id)
    except RegistrationError as exc:
        raise HTTPException(409, error_message(exc.code)) from exc
    return redirect(f"/admin/participants?edition={row.edition_id}&notice=promu")


# -- spreadsheet import ------------------------------------------------------------------------
@router.get("/import", response_class=HTMLResponse)
def import_page(
    request: Request, _admin: CurrentAdmin, edition: Annotated[str | None, Query()] = None
) -> HTMLResponse:
    settings = _edition(request, edition)
    with kit_of(request).factory() as session:
        editions = known_editions(session)
    return page(
        request,
        "admin/import.html",
        {"title": "Import", "edition": settings, "editions": editions, "report": None},
    )


@router.post("/import", response_class=HTMLResponse)
async def import_upload(request: Request, _admin: CurrentAdmin) -> HTMLResponse:
    data = await request.form()
    fields = {k: [v] for k, v in data.items() if isinstance(v, str)}
    if check_csrf(request, fields) is None:
        raise HTTPException(403, error_message("csrf"))
    settings = _edition(request, str(data.get("edition") or ""))
    upload = data.get("fichier")
    dry_run = data.get("action") != "importer"
    context: dict[str, Any] = {"title": "Import", "edition": settings, "report": None}
    with kit_of(request).factory() as session:
        context["editions"] = known_editions(session)
    if upload is None or isinstance(upload, str) or not upload.filename:
        context["alert"] = "Choisissez un fichier CSV ou Excel (.xlsx)."
        return page(request, "admin/import.html", context, 422)
    content = await upload.read()
    report = import_file(
        kit_of(request), settings.edition_id, content, upload.filename, dry_run=dry_run
    )
    context.update({"report": report, "dry_run": dry_run, "filename": upload.filename})
    return page(request, "admin/import.html", context, 200 if report.ok else 422)
