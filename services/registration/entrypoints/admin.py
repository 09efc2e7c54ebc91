"""The back-office: login, the day's home page, participant list, edit, cancel, promote, exports."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.registration.adapters import personal_data
from services.registration.adapters.day_status import read_remote
from services.registration.adapters.exports import export_rows
from services.registration.adapters.unplaced import read_unplaced
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
    STAGES,
    STATUSES,
    forms_for,
    label,
)
from services.registration.entrypoints.messages import error_message
from services.registration.entrypoints.public import form_context, holder_needs
from services.registration.entrypoints.web import (
    client_ip,
    edition_of,
    kit_of,
    limiter_of,
    settings_of,
)
from services.registration.service_layer import day, import_jobs, participants, queries
from services.registration.service_layer.admins import authenticate, login_key
from services.registration.service_layer.editions import known_editions
from shared.db import transaction
from shared.edition import EditionSettings
from shared.events import Role, utc_now
from shared.formats.participants import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    MAX_UNPACKED_BYTES,
)
from shared.formats.spreadsheets import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, french_csv, xlsx
from shared.french import french_datetime
from shared.service import ServiceKit
from shared.web import CurrentAdmin, attachment, confirm, first, flat, form_lists, redirect, render
from shared.web.auth import ADMIN_COOKIE, AdminSessions, admin_cookie_options
from shared.web.forms import read_form

router = APIRouter(prefix="/admin", include_in_schema=False)


def safe_next(request: Request, target: str | None) -> str:
    """Where to go after login: a back-office page of one of the platform's services, never
    another site."""
    home = "/admin"
    if not target:
        return home
    parts = urlsplit(target)
    if not parts.scheme and not parts.netloc:
        ok = target.startswith("/admin") and not target.startswith(("/admin/login", "//"))
        return target if ok else home
    ours = request.app.state.web.settings.public_urls().values()
    base = f"{parts.scheme}://{parts.netloc}"
    if base in ours and parts.path.startswith("/admin") and parts.path != "/admin/login":
        return target
    return home


def _sessions(request: Request) -> AdminSessions:
    sessions: AdminSessions = request.app.state.web.sessions
    return sessions


# -- login -------------------------------------------------------------------------------------
def _login_page(request: Request, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    return render(request, "admin/login.html", {"title": "Connexion", **context}, status_code)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, suite: str = "") -> HTMLResponse:
    return _login_page(request, {"suite": safe_next(request, suite)})


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    settings = settings_of(request)
    form = await form_lists(request)
    typed = first(form, "email")
    password = (form.get("password") or [""])[0]
    target = safe_next(request, first(form, "suite"))
    context: dict[str, Any] = {"email": typed, "suite": target}
    window = settings.login_window_seconds
    # Failed attempts are counted, per client address and per account (on the address as
    # accounts compare it: another spelling of it is the same account).
    limiter, ip, account = limiter_of(request), client_ip(request), login_key(typed)
    limits = (
        ("login-ip", ip, settings.login_per_ip),
        ("login-email", account, settings.login_per_email),
    )
    locked = [scope for scope, key, limit in limits if limiter.over(scope, key, limit)]
    admin = (
        None if locked else await run_in_threadpool(authenticate, kit_of(request), typed, password)
    )
    if admin is None and not locked:
        for scope, key, limit in limits:
            if not limiter.hit(scope, key, limit, window):
                locked.append(scope)
    if locked:
        minutes = max(1, round(window / 60))
        who = "ce compte" if "login-email" in locked else "cette adresse réseau"
        context["alert"] = (
            f"Trop de tentatives de connexion pour {who} : la connexion est bloquée pendant "
            f"{minutes} minutes au plus. Réessayez ensuite, ou demandez à un autre membre de "
            "l'équipe de changer votre mot de passe."
        )
        return _login_page(request, context, 429)
    if admin is None:
        context["alert"] = "Adresse email ou mot de passe incorrect."
        return _login_page(request, context, 401)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        value=_sessions(request).open(admin),
        **admin_cookie_options(
            settings.environment == "production", settings.admin_session_hours * 3600
        ),
    )
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    """Ends the session on every service at once (the cookie alone would open nothing now)."""
    _sessions(request).end(request.cookies.get(ADMIN_COOKIE))
    response = redirect(request, "/admin/login", ok="Vous êtes déconnecté·e.")
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
    current = await run_in_threadpool(edition_of, request, edition)

    def figures() -> day.Local:
        with kit_of(request).factory() as session:
            return day.local_figures(session, current.edition_id)

    local = await run_in_threadpool(figures)
    remote = await read_remote(
        {
            "scheduler": settings.scheduler_internal_url,
            "notifier": settings.notifier_internal_url,
            "surveys": settings.surveys_internal_url,
        },
        current.edition_id,
        settings.service_token.get_secret_value(),
        settings.status_timeout_s,
    )
    steps = day.steps(current, local, remote, settings.public_urls(), utc_now().date())
    return render(
        request,
        "admin/home.html",
        {"title": "La journée pas à pas", "edition": current, "steps": steps},
        section="journee",
    )


# -- list and exports --------------------------------------------------------------------------
FilterParams = Annotated[queries.Filters, Depends(queries.Filters)]


def _listing(
    request: Request, edition: EditionSettings, filters: queries.Filters
) -> list[Participant]:
    with kit_of(request).factory() as session:
        return queries.listing(session, edition.edition_id, filters)


@router.get("/participants", response_class=HTMLResponse)
def participant_list(
    request: Request,
    _admin: CurrentAdmin,
    filters: FilterParams,
    edition: Annotated[str | None, Query()] = None,
) -> HTMLResponse:
    settings = edition_of(request, edition)
    rows = _listing(request, settings, filters)
    with kit_of(request).factory() as session:
        editions = known_editions(session)
        communes = queries.communes(session, settings.edition_id)
    query = urlencode({"edition": settings.edition_id, **filters.__dict__})
    return render(
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
        },
        section="participants",
    )


@router.get("/participants.csv")
def export_csv(
    request: Request,
    _admin: CurrentAdmin,
    filters: FilterParams,
    edition: Annotated[str | None, Query()] = None,
) -> Response:
    settings = edition_of(request, edition)
    body = french_csv(export_rows(_listing(request, settings, filters), settings))
    return Response(
        body,
        media_type=CSV_MEDIA_TYPE,
        headers=attachment(f"participants-{settings.edition_id}.csv"),
    )


@router.get("/participants.xlsx")
def export_xlsx(
    request: Request,
    _admin: CurrentAdmin,
    filters: FilterParams,
    edition: Annotated[str | None, Query()] = None,
) -> Response:
    settings = edition_of(request, edition)
    body = xlsx(export_rows(_listing(request, settings, filters), settings), "participants")
    return Response(
        body,
        media_type=XLSX_MEDIA_TYPE,
        headers=attachment(f"participants-{settings.edition_id}.xlsx"),
    )


# -- one participant ---------------------------------------------------------------------------
def profile_values(row: Participant) -> dict[str, Any]:
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


def _row(request: Request, participant_id: str) -> Participant:
    with kit_of(request).factory() as session:
        row = participants.get(session, participant_id)
    if row is None or row.erased_at is not None:
        raise HTTPException(404, error_message("unknown_participant"))
    return row


def _edit_page(
    request: Request,
    row: Participant,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    unplaced: dict[str, Any] | None = None,
) -> HTMLResponse:
    edition = edition_of(request, row.edition_id)
    context = form_context(edition, Role(row.role), values, errors)
    context.update(
        {
            "unplaced": unplaced,
            "title": f"{row.first_name} {row.last_name}",
            "row": row,
            "statuses": STATUSES,
            "form_action": f"/admin/participants/{row.participant_id}",
            "submit_label": "Enregistrer les modifications",
            # The team's words on the shared form, and the consents as they are recorded.
            "operator": True,
            "consents": [
                (
                    "consentement_partage",
                    "Partage du profil : son nom, sa structure et ses besoins transmis aux "
                    "experts et financeurs rencontrés",
                    row.consent_share_profile,
                    french_datetime(row.consent_share_profile_at),
                ),
                (
                    "consentement_contact",
                    "Recontact par PES 21 pour les prochaines éditions",
                    row.consent_contact,
                    french_datetime(row.consent_contact_at),
                ),
            ],
        }
    )
    return render(request, "admin/participant.html", context, status_code, section="participants")


@router.get("/participants/{participant_id}", response_class=HTMLResponse)
async def participant_page(
    request: Request, participant_id: str, _admin: CurrentAdmin
) -> HTMLResponse:
    row = await run_in_threadpool(_row, request, participant_id)
    settings = settings_of(request)
    found = await read_unplaced(
        settings.scheduler_internal_url,
        row.participant_id,
        settings.service_token.get_secret_value(),
        settings.status_timeout_s,
    )
    panel = await run_in_threadpool(_unplaced_panel, request, found)
    return await run_in_threadpool(_edit_page, request, row, profile_values(row), None, 200, panel)


def _unplaced_panel(request: Request, found: dict[str, Any] | None) -> dict[str, Any]:
    """The scheduler's answer as `_unplaced.html` shows it, with the other person of each
    wish named from our own table."""
    if found is None:
        return {"available": False}
    with kit_of(request).factory() as session:

        def organisation(pid: str) -> str:
            other = participants.get(session, pid) if pid else None
            return (other.organisation or "") if other is not None else f"#{pid[:8]}"

        me = found.get("participant_id")
        rows = [
            {
                **item,
                "counterpart": organisation(
                    item["holder_id"] if item["expert_id"] == me else item["expert_id"]
                ),
            }
            for item in found["items"]
        ]
    return {
        "available": True,
        "version": found.get("version"),
        "status": found.get("status"),
        "rows": rows,
        "show_holder": False,
    }


@router.post("/participants/{participant_id}", response_class=HTMLResponse)
async def participant_edit(request: Request, participant_id: str, _admin: CurrentAdmin) -> Response:
    row = _row(request, participant_id)
    form = await form_lists(request)
    if row.role == Role.HOLDER.value:
        form["thematiques"] = holder_needs(form)
    values = flat(form)
    values["thematiques"] = form.get("thematiques", [])
    values["conferences"] = form.get("conferences", [])
    edition = edition_of(request, row.edition_id)
    kit = kit_of(request)
    try:
        profile = parse_profile(Role(row.role), values, edition)
        with transaction(kit.factory) as session:
            participants.update_profile(session, kit, participant_id, profile)
    except InvalidProfile as exc:
        return _edit_page(request, row, values, exc.errors, 422)
    except RegistrationError as exc:
        return _edit_page(request, row, values, {"email": error_message(exc.code)}, 422)
    return redirect(
        request, f"/admin/participants?edition={row.edition_id}", ok="Modifications enregistrées."
    )


@router.get("/participants/{participant_id}/donnees.json")
async def participant_data(request: Request, participant_id: str, _admin: CurrentAdmin) -> Response:
    """The person's copy of their data, for a request received by post or email."""
    row = await run_in_threadpool(_row, request, participant_id)
    body = await personal_data.of_participant(
        kit_of(request).settings, participants.export_data(row)
    )
    name = f"donnees-participant-{row.participant_id[:8]}.json"
    return Response(
        body,
        media_type="application/json; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/participants/{participant_id}/annuler", response_class=HTMLResponse)
def participant_cancel_page(
    request: Request, participant_id: str, _admin: CurrentAdmin
) -> HTMLResponse:
    row = _row(request, participant_id)
    name = f"{row.first_name} {row.last_name}".strip()
    return confirm(
        request,
        title=f"Annuler l'inscription de {name}",
        lines=[
            f"{name} ({row.organisation or 'sans structure'}) ne sera plus inscrit·e à "
            f"l'édition {row.edition_id}.",
            "Ses rendez-vous seront libérés et proposés à d'autres au prochain planning ; "
            "si le planning est publié, les personnes concernées recevront leur agenda modifié.",
            "Un email lui confirmera l'annulation. Ses données restent conservées (pour les "
            "effacer, utilisez l'effacement RGPD).",
        ],
        action=f"/admin/participants/{participant_id}/annuler",
        button="Annuler l'inscription",
        cancel=f"/admin/participants/{participant_id}",
        section="participants",
    )


@router.post("/participants/{participant_id}/annuler")
def participant_cancel(request: Request, participant_id: str, _admin: CurrentAdmin) -> Response:
    kit = kit_of(request)
    try:
        with transaction(kit.factory) as session:
            row = participants.cancel(session, kit, participant_id)
    except RegistrationError as exc:
        raise HTTPException(409, error_message(exc.code)) from exc
    return redirect(
        request, f"/admin/participants?edition={row.edition_id}", ok="Inscription annulée."
    )


@router.get("/participants/{participant_id}/effacer", response_class=HTMLResponse)
def participant_erase_page(
    request: Request, participant_id: str, _admin: CurrentAdmin
) -> HTMLResponse:
    row = _row(request, participant_id)
    name = f"{row.first_name} {row.last_name}".strip()
    return confirm(
        request,
        title=f"Effacer les données de {name}",
        lines=[
            f"Nom, adresse, téléphone, structure et besoins de {name} pour l'édition "
            f"{row.edition_id} seront effacés, ainsi que ses réponses libres aux "
            "questionnaires et le journal de ses emails.",
            "Ses rendez-vous à venir seront libérés ; les rendez-vous passés et ses notes "
            "restent comptés, sans lien avec la personne : les chiffres du bilan ne changent "
            "pas.",
            "Aucun email ne lui sera plus envoyé. L'effacement est définitif.",
        ],
        action=f"/admin/participants/{participant_id}/effacer",
        button="Effacer définitivement",
        cancel=f"/admin/participants/{participant_id}",
        section="participants",
    )


@router.post("/participants/{participant_id}/effacer")
def participant_erase(request: Request, participant_id: str, _admin: CurrentAdmin) -> Response:
    row = _row(request, participant_id)
    kit = kit_of(request)
    try:
        with transaction(kit.factory) as session:
            participants.erase(session, kit, participant_id, "demande au back-office")
    except RegistrationError as exc:
        raise HTTPException(409, error_message(exc.code)) from exc
    return redirect(
        request,
        f"/admin/participants?edition={row.edition_id}",
        ok="Données effacées ; les autres services les oublient à leur tour.",
    )


@router.post("/participants/{participant_id}/promouvoir")
def participant_promote(request: Request, participant_id: str, _admin: CurrentAdmin) -> Response:
    kit = kit_of(request)
    try:
        with transaction(kit.factory) as session:
            row = participants.promote(session, kit, participant_id)
    except RegistrationError as exc:
        raise HTTPException(409, error_message(exc.code)) from exc
    return redirect(
        request,
        f"/admin/participants?edition={row.edition_id}",
        ok="Personne inscrite depuis la liste d'attente.",
    )


# -- spreadsheet import ------------------------------------------------------------------------
# The upload stores a job and answers at once; the service's import thread runs it
# (service_layer/import_jobs.py) and the job's page shows its progress, then its result.
def _import_page(request: Request, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    with kit_of(request).factory() as session:
        editions = known_editions(session)
        jobs = import_jobs.recent_jobs(session)
    full = {
        "title": "Import",
        "editions": editions,
        "jobs": jobs,
        "states": import_jobs.STATES,
        **_import_limits(),
        **context,
    }
    return render(request, "admin/import.html", full, status_code, section="import")


def _import_limits() -> dict[str, Any]:
    return {
        "max_megabytes": MAX_FILE_BYTES // (1024 * 1024),
        "max_rows": MAX_ROWS,
        "max_cell_chars": MAX_CELL_CHARS,
        "max_columns": MAX_COLUMNS,
        "max_unpacked_megabytes": MAX_UNPACKED_BYTES // (1024 * 1024),
        "errors_shown": import_jobs.ISSUES_KEPT,
        "kept_days": import_jobs.IMPORT_RESULTS_DAYS,
    }


@router.get("/import", response_class=HTMLResponse)
def import_page(
    request: Request, _admin: CurrentAdmin, edition: Annotated[str | None, Query()] = None
) -> HTMLResponse:
    settings = edition_of(request, edition)
    return _import_page(request, {"edition": settings, "edition_id": settings.edition_id})


@router.post("/import", response_class=HTMLResponse)
async def import_upload(request: Request, _admin: CurrentAdmin) -> Response:
    data = await read_form(request)
    settings = edition_of(request, str(data.get("edition") or ""))
    upload = data.get("fichier")
    dry_run = data.get("action") != "importer"
    if upload is None or isinstance(upload, str) or not upload.filename:
        context = {
            "edition_id": settings.edition_id,
            "alert": "Choisissez un fichier CSV ou Excel (.xlsx).",
        }
        return _import_page(request, context, 422)
    # The size is checked before anything is read (the rows, cells and unpacked size are
    # checked by the job while reading, before any row is parsed).
    if upload.size is not None and upload.size > MAX_FILE_BYTES:
        limit = MAX_FILE_BYTES // (1024 * 1024)
        context = {
            "edition_id": settings.edition_id,
            "alert": f"Fichier trop lourd : {limit} Mo au plus.",
        }
        return _import_page(request, context, 413)
    content = await upload.read()
    job_id = await run_in_threadpool(
        _store_import, kit_of(request), settings.edition_id, upload.filename, content, dry_run
    )
    request.app.state.importer.wake()
    return RedirectResponse(f"/admin/import/{job_id}", status_code=303)


def _store_import(
    kit: ServiceKit, edition_id: str, filename: str, content: bytes, dry_run: bool
) -> str:
    with transaction(kit.factory) as session:
        return import_jobs.submit(session, edition_id, filename, content, dry_run=dry_run)


@router.get("/import/{job_id}", response_class=HTMLResponse)
def import_job_page(request: Request, job_id: str, _admin: CurrentAdmin) -> HTMLResponse:
    with kit_of(request).factory() as session:
        job = import_jobs.get_job(session, job_id)
        editions = known_editions(session)
    if job is None:
        raise HTTPException(404, "Cet import n'existe pas ou son résultat a été effacé.")
    context = {
        "title": f"Import de {job.filename}",
        "job": job,
        "states": import_jobs.STATES,
        "result": job.result or {},
        "refresh": job.state in (import_jobs.WAITING, import_jobs.RUNNING),
        "editions": editions,
        "edition_id": job.edition_id,
        **_import_limits(),
    }
    return render(request, "admin/import_job.html", context, section="import")
