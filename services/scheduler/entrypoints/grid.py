"""The planning grid in the back-office: plan, review, move, swap, lock, publish, release
no-shows, export, and each expert's table sheet."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError

from services.scheduler.adapters.registration import DirectoryUnavailable
from services.scheduler.domain.live import CellState, SchedulingError, Why
from services.scheduler.entrypoints import forms
from services.scheduler.entrypoints.web import BUSY, SchedulerDep, conflict, unit_of_work
from services.scheduler.service_layer import planning, unplaced
from services.scheduler.service_layer.agenda import agenda_for
from services.scheduler.service_layer.editions import (
    allow_moves,
    current_edition,
    set_allow_moves,
)
from services.scheduler.service_layer.exports import PEOPLE_WIDTHS, people_table, schedule_rows
from services.scheduler.service_layer.participants import presence_tally
from shared.formats.schedule import write_schedule
from shared.formats.spreadsheets import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, french_csv, xlsx
from shared.web import CurrentAdmin, attachment, confirm, redirect, render

router = APIRouter(tags=["back-office"])
GRID = "/admin/planning"
GRID_API = "/api/grid"


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n <= 1 else (many or one + 's')}"


@router.get(GRID, response_class=HTMLResponse)
def grid_page(request: Request, sched: SchedulerDep, _admin: CurrentAdmin) -> HTMLResponse:
    with sched.kit.factory() as session:
        edition = current_edition(session, sched.edition_id)
        day = planning.load_day(session, edition)
        version = planning.working_version(session, sched.edition_id)
        published = planning.published_version(session, sched.edition_id)
        rows = planning.active_rows(session, version.id) if version else []
        gone = planning.no_show_rows(session, version.id) if version else []
        moves_allowed = allow_moves(session, sched.edition_id)
        report = unplaced.unplaced(session, sched)
        counts = presence_tally(session, sched.edition_id)
    grid = forms.build_grid(sched, day, rows, gone)
    context = {
        "edition": edition,
        "version": version,
        "published": published,
        "grid": grid,
        "slots": planning.slot_choices(day),
        "allow_moves": moves_allowed,
        "state_labels": forms.STATE_LABELS,
        "unplaced": unplaced.panel(sched, report),
        "counts": counts,
    }
    return render(request, "grid.html", context, section="planning")


@router.post(f"{GRID}/plan")
def grid_plan(request: Request, sched: SchedulerDep, _admin: CurrentAdmin) -> Response:
    try:
        with unit_of_work(sched) as session:
            result = planning.plan_draft(session, sched, sched.edition_id)
    except IntegrityError:
        return redirect(request, GRID, error=BUSY)
    bound = f" (borne {result.bound})" if result.bound is not None else ""
    return redirect(
        request,
        GRID,
        ok=f"Brouillon n° {result.number} : {result.meetings} rendez-vous{bound}, "
        f"{result.holders_with_meeting}/{result.holders} porteurs avec au moins un "
        f"rendez-vous, calculé en {result.seconds:.2f} s.",
    )


@router.get(f"{GRID}/publish", response_class=HTMLResponse)
def grid_publish_page(request: Request, sched: SchedulerDep, _admin: CurrentAdmin) -> HTMLResponse:
    with sched.kit.factory() as session:
        preview = planning.publish_preview(session, sched.edition_id)
    if preview is None:
        raise HTTPException(409, "Aucun brouillon à publier : lancez d'abord la planification.")
    lines = [
        f"{_plural(preview.people, 'agenda sera envoyé', 'agendas seront envoyés')} "
        f"par email ({_plural(preview.meetings, 'rendez-vous', 'rendez-vous')}, "
        f"{_plural(preview.holders_with_meeting, 'porteur')} avec au moins un rendez-vous).",
    ]
    if preview.replaced is not None:
        lines.append(
            f"Il remplace le planning n° {preview.replaced} publié : "
            f"{_plural(preview.released, 'rendez-vous sera annulé', 'rendez-vous seront annulés')}"
            " ou déplacé(s), et les personnes concernées en seront prévenues."
        )
    lines.append("Les emails partent aussitôt : la publication ne se reprend pas.")
    return confirm(
        request,
        title=f"Publier le brouillon n° {preview.number} ?",
        lines=lines,
        action=f"{GRID}/publish",
        button="Publier et envoyer les agendas",
        cancel=GRID,
        section="planning",
    )


@router.post(f"{GRID}/publish")
def grid_publish(request: Request, sched: SchedulerDep, _admin: CurrentAdmin) -> Response:
    try:
        with unit_of_work(sched) as session:
            result = planning.publish(session, sched, sched.edition_id)
    except SchedulingError as exc:
        return redirect(request, GRID, error=str(exc))
    return redirect(
        request,
        GRID,
        ok=f"Planning n° {result.number} publié : {result.meetings} rendez-vous envoyés.",
    )


@router.post(f"{GRID}/move")
def grid_move(
    request: Request,
    sched: SchedulerDep,
    _admin: CurrentAdmin,
    appointment_id: Annotated[str, Form(max_length=64)],
    slot: Annotated[int, Form(ge=0, le=1000)],
    table: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    try:
        number = forms.table_number(table)
        with unit_of_work(sched) as session:
            planning.move_appointment(
                session, sched, sched.edition_id, appointment_id, slot, number, operator=_admin
            )
    except (SchedulingError, forms.FormError) as exc:
        return redirect(request, GRID, error=str(exc))
    return redirect(request, GRID, ok="Rendez-vous déplacé.")


@router.post(f"{GRID}/swap")
def grid_swap(
    request: Request,
    sched: SchedulerDep,
    _admin: CurrentAdmin,
    first: Annotated[str, Form(max_length=64)],
    second: Annotated[str, Form(max_length=64)],
) -> Response:
    try:
        with unit_of_work(sched) as session:
            planning.swap_appointments(
                session, sched, sched.edition_id, first, second, operator=_admin
            )
    except SchedulingError as exc:
        return redirect(request, GRID, error=str(exc))
    return redirect(request, GRID, ok="Rendez-vous échangés.")


@router.post(f"{GRID}/lock")
def grid_lock(
    request: Request,
    sched: SchedulerDep,
    _admin: CurrentAdmin,
    appointment_id: Annotated[str, Form(max_length=64)],
    locked: Annotated[str, Form(max_length=1)] = "1",
) -> Response:
    try:
        with unit_of_work(sched) as session:
            planning.lock_appointment(
                session, sched, sched.edition_id, appointment_id, locked == "1"
            )
    except SchedulingError as exc:
        return redirect(request, GRID, error=str(exc))
    done = "Rendez-vous verrouillé." if locked == "1" else "Rendez-vous déverrouillé."
    return redirect(request, GRID, ok=done)


@router.post(f"{GRID}/undo")
def grid_undo(request: Request, sched: SchedulerDep, admin: CurrentAdmin) -> Response:
    try:
        with unit_of_work(sched) as session:
            done = planning.undo_last(session, sched, sched.edition_id, admin)
    except SchedulingError as exc:
        return redirect(request, GRID, error=str(exc))
    return redirect(request, GRID, ok=done)


# -- what the grid's script calls (JSON, CSRF in the X-CSRF-Token header) ------------------
class TargetOut(BaseModel):
    slot: int
    state: CellState
    why: Why | None  # why a cell is refused, for its look
    reason: str  # French, for the operator


class RefusedOut(BaseModel):
    detail: str  # French, for the operator


GRID_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": RefusedOut, "description": "No back-office session"},
    403: {
        "model": RefusedOut,
        "description": "Missing CSRF token (X-CSRF-Token) or foreign Origin",
    },
    409: {"model": RefusedOut, "description": "Refused: the French reason, nothing changed"},
}
# A GET needs no CSRF token.
READ_ERRORS: dict[int | str, dict[str, Any]] = {s: GRID_ERRORS[s] for s in (401, 409)}


class TargetsOut(BaseModel):
    appointment_id: str
    targets: list[TargetOut]


class DropIn(BaseModel):
    slot: int


class LockIn(BaseModel):
    locked: bool


class DoneOut(BaseModel):
    message: str


@router.get(
    f"{GRID_API}/appointments/{{appointment_id}}/targets", tags=["planning"], responses=READ_ERRORS
)
def grid_targets(appointment_id: str, sched: SchedulerDep, _admin: CurrentAdmin) -> TargetsOut:
    """For each slot of the meeting's expert row: what dropping it there does, or why not."""
    with conflict(), sched.kit.factory() as session:
        verdicts = planning.drop_targets(session, sched, sched.edition_id, appointment_id)
    return TargetsOut(
        appointment_id=appointment_id,
        targets=[
            TargetOut(slot=v.slot, state=v.state, why=v.why, reason=v.reason) for v in verdicts
        ],
    )


@router.post(
    f"{GRID_API}/appointments/{{appointment_id}}/drop", tags=["planning"], responses=GRID_ERRORS
)
def grid_drop(
    appointment_id: str, body: DropIn, sched: SchedulerDep, admin: CurrentAdmin
) -> DoneOut:
    """Move the meeting to a free cell of its row, or exchange it with the meeting there;
    409 with the reason when the grid did not light that cell."""
    with conflict(), unit_of_work(sched) as session:
        verdict = planning.drop_appointment(
            session, sched, sched.edition_id, appointment_id, body.slot, admin
        )
    return DoneOut(
        message="Rendez-vous échangés." if verdict.other is not None else "Rendez-vous déplacé."
    )


@router.post(
    f"{GRID_API}/appointments/{{appointment_id}}/lock", tags=["planning"], responses=GRID_ERRORS
)
def grid_lock_json(
    appointment_id: str, body: LockIn, sched: SchedulerDep, _admin: CurrentAdmin
) -> DoneOut:
    """Lock (or unlock) a meeting: a locked one is never moved, by a drop or a re-planning."""
    with conflict(), unit_of_work(sched) as session:
        planning.lock_appointment(session, sched, sched.edition_id, appointment_id, body.locked)
    return DoneOut(
        message="Rendez-vous verrouillé." if body.locked else "Rendez-vous déverrouillé."
    )


@router.post(f"{GRID_API}/undo", tags=["planning"], responses=GRID_ERRORS)
def grid_undo_json(sched: SchedulerDep, admin: CurrentAdmin) -> DoneOut:
    """Undo this operator's last move or swap (one step each call)."""
    with conflict(), unit_of_work(sched) as session:
        return DoneOut(message=planning.undo_last(session, sched, sched.edition_id, admin))


@router.post(f"{GRID}/options")
def grid_options(
    request: Request,
    sched: SchedulerDep,
    _admin: CurrentAdmin,
    allow: Annotated[str, Form(max_length=1)] = "",
) -> Response:
    with unit_of_work(sched) as session:
        set_allow_moves(session, sched.outbox, sched.edition_id, allow == "1", sched.clock())
    return redirect(
        request,
        GRID,
        ok="Les re-planifications pourront déplacer les rendez-vous non verrouillés."
        if allow == "1"
        else "Les re-planifications garderont tous les rendez-vous publiés à leur place.",
    )


DIRECTORY_DOWN = "Les inscriptions ne répondent pas : réessayez."


@router.get(f"{GRID}/export.csv")
def grid_export(sched: SchedulerDep, _admin: CurrentAdmin) -> Response:
    """The offline format of docs/formats.md, for tools: unchanged whatever people need."""
    try:
        with sched.kit.factory() as session:
            rows = schedule_rows(session, sched)
    except DirectoryUnavailable as exc:
        raise HTTPException(503, DIRECTORY_DOWN) from exc
    return Response(
        write_schedule(rows),
        media_type=CSV_MEDIA_TYPE,
        headers=attachment(f"planning-{sched.edition_id}.csv"),
    )


def _people_table(sched: SchedulerDep) -> list[list[object]]:
    try:
        with sched.kit.factory() as session:
            return people_table(session, sched)
    except DirectoryUnavailable as exc:
        raise HTTPException(503, DIRECTORY_DOWN) from exc


@router.get(f"{GRID}/planning.xlsx")
def grid_export_xlsx(sched: SchedulerDep, _admin: CurrentAdmin) -> Response:
    """The schedule for people: names, organisations, topics and status of each meeting."""
    return Response(
        xlsx(_people_table(sched), "Planning", PEOPLE_WIDTHS),
        media_type=XLSX_MEDIA_TYPE,
        headers=attachment(f"planning-{sched.edition_id}.xlsx"),
    )


@router.get(f"{GRID}/planning-tableur.csv")
def grid_export_french_csv(sched: SchedulerDep, _admin: CurrentAdmin) -> Response:
    """The same table as the XLSX, as a CSV a French spreadsheet opens (`;`, BOM, CRLF)."""
    return Response(
        french_csv(_people_table(sched)),
        media_type=CSV_MEDIA_TYPE,
        headers=attachment(f"planning-{sched.edition_id}-tableur.csv"),
    )


@router.get("/admin/tables/{expert_id}", response_class=HTMLResponse)
def table_sheet(
    request: Request, expert_id: str, sched: SchedulerDep, _admin: CurrentAdmin
) -> HTMLResponse:
    with sched.kit.factory() as session:
        agenda = agenda_for(session, sched, expert_id)
    if agenda is None or agenda.role.value != "expert":
        raise HTTPException(404, "Aucune fiche de table publiée pour cet expert.")
    return render(request, "table_sheet.html", {"agenda": agenda}, section="planning")
