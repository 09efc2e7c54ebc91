"""The scheduler service's HTTP app: back-office (programme, grid, day), personal agendas,
the internal agenda API for the notifier, and the JSON API of the same use cases."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.scheduler.adapters.db import participants
from services.scheduler.adapters.documents import agenda_ics, agenda_pdf
from services.scheduler.adapters.registration import DirectoryUnavailable
from services.scheduler.bootstrap import bootstrap
from services.scheduler.domain.live import SchedulingError
from services.scheduler.entrypoints import forms
from services.scheduler.entrypoints.auth import CurrentAdmin, ServiceCaller
from services.scheduler.service_layer import planning
from services.scheduler.service_layer.agenda import (
    Agenda,
    agenda_for,
    agenda_url,
    read_agenda_token,
)
from services.scheduler.service_layer.clock_tasks import tick
from services.scheduler.service_layer.context import Scheduler
from services.scheduler.service_layer.editions import (
    EditionLocked,
    allow_moves,
    ensure_edition,
    set_allow_moves,
    update_edition,
)
from services.scheduler.service_layer.sessions import (
    closable_sessions,
    close_session,
    closed_ids,
    count_closed,
)
from shared.db import transaction
from shared.edition import EditionSettings
from shared.formats.schedule import ScheduleRow, table_label, write_schedule
from shared.web import create_app as create_base_app

log = logging.getLogger(__name__)
BUSY = "Une autre planification vient d'être enregistrée : rechargez la page."
TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(TEMPLATES.get_template(name).render(**context), status_code=status_code)


def back(path: str, *, ok: str = "", erreur: str = "") -> RedirectResponse:
    query = urlencode({k: v for k, v in (("ok", ok), ("erreur", erreur)) if v})
    return RedirectResponse(f"{path}?{query}" if query else path, status_code=303)


# -- JSON shapes ----------------------------------------------------------------------------
class AgendaItemOut(BaseModel):
    start: dt.datetime
    end: dt.datetime
    title: str
    table: str
    counterpart_organisation: str


class InternalAgenda(BaseModel):
    participant_id: str
    agenda_url: str
    ics: str
    items: list[AgendaItemOut]


class AppointmentOut(BaseModel):
    appointment_id: str
    holder_id: str
    expert_id: str
    start: dt.datetime
    end: dt.datetime
    table: str
    reason_kind: str
    reason: str
    locked: bool


class ScheduleOut(BaseModel):
    edition_id: str
    version: int | None
    status: str | None
    appointments: list[AppointmentOut]


class DraftOut(BaseModel):
    version: int
    meetings: int
    holders_with_meeting: int
    holders: int
    bound: int | None
    seconds: float


class PublishOut(BaseModel):
    version: int
    meetings: int
    holders_with_meeting: int
    released: int


class MoveIn(BaseModel):
    slot: int
    table: int | None = None


class SwapIn(BaseModel):
    first: str
    second: str


class LockIn(BaseModel):
    locked: bool


class NoShowsIn(BaseModel):
    """Without a body: everyone not checked in whose meeting has started. With ids: those
    people, whatever the time (they sent word they will not come)."""

    participant_ids: list[str] | None = None


class ReplanOut(BaseModel):
    absent: int = 0
    released: int
    moved: int
    added: int
    kept: int


class CloseOut(BaseModel):
    session_id: str
    closed: bool
    attendees: int | None = None
    meetings_held: int | None = None
    meetings_missed: int | None = None


class SessionStateOut(BaseModel):
    session_id: str
    kind: str
    title: str
    start: dt.datetime
    end: dt.datetime
    closed: bool
    closed_at: dt.datetime | None = None


class DayOut(BaseModel):
    edition_id: str
    published_version: int | None
    present: int
    sessions: list[SessionStateOut]


class EditionIn(BaseModel):
    settings: EditionSettings
    allow_moves: bool | None = None


def create_app(app_: Scheduler | None = None) -> FastAPI:
    sched = app_ or bootstrap()
    app = create_base_app(
        service="scheduler", title="Rencontres – scheduler", runtime=sched.kit.runtime
    )
    app.state.scheduler = sched
    app.state.kit = sched.kit
    _add_lifespan(app, sched)

    def uow():
        return transaction(sched.kit.factory)

    # -- programme ------------------------------------------------------------------------
    @app.get("/admin", include_in_schema=False)
    def admin_home(_admin: CurrentAdmin) -> RedirectResponse:
        return RedirectResponse("/admin/planning", status_code=303)

    @app.get("/admin/edition", response_class=HTMLResponse, tags=["back-office"])
    def edition_page(request: Request, _admin: CurrentAdmin) -> HTMLResponse:
        with uow() as session:
            edition = ensure_edition(session, sched.outbox, sched.edition_id, sched.clock())
        return render(
            "edition.html",
            edition=edition,
            fields=forms.edition_fields(edition),
            ok=request.query_params.get("ok", ""),
            erreur=request.query_params.get("erreur", ""),
        )

    @app.post("/admin/edition", tags=["back-office"])
    async def edition_save(request: Request, _admin: CurrentAdmin) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        with uow() as session:
            current = ensure_edition(session, sched.outbox, sched.edition_id, sched.clock())
            try:
                settings = forms.parse_edition_form(current, form)
                update_edition(session, sched.outbox, settings, sched.clock())
            except (forms.FormError, EditionLocked) as exc:
                return render(
                    "edition.html", 422, edition=current, fields=form, ok="", erreur=str(exc)
                )
        return back("/admin/edition", ok="Programme enregistré et diffusé.")

    @app.get("/api/edition", tags=["programme"])
    def edition_get(_admin: CurrentAdmin) -> EditionSettings:
        with uow() as session:
            return ensure_edition(session, sched.outbox, sched.edition_id, sched.clock())

    @app.put("/api/edition", tags=["programme"])
    def edition_put(body: EditionIn, _admin: CurrentAdmin) -> EditionSettings:
        if body.settings.edition_id != sched.edition_id:
            raise HTTPException(422, "L'identifiant d'édition ne correspond pas.")
        with _conflict(), uow() as session:
            result = update_edition(session, sched.outbox, body.settings, sched.clock())
            if body.allow_moves is not None:
                set_allow_moves(
                    session, sched.outbox, sched.edition_id, body.allow_moves, sched.clock()
                )
            return result

    # -- planning grid --------------------------------------------------------------------
    @app.get("/admin/planning", response_class=HTMLResponse, tags=["back-office"])
    def grid_page(request: Request, _admin: CurrentAdmin) -> HTMLResponse:
        with uow() as session:
            edition = ensure_edition(session, sched.outbox, sched.edition_id, sched.clock())
            day = planning.load_day(session, edition)
            version = planning.working_version(session, sched.edition_id)
            published = planning.published_version(session, sched.edition_id)
            rows = planning.active_rows(session, version.id) if version else []
            moves_allowed = allow_moves(session, sched.edition_id)
        grid = forms.build_grid(sched, day, rows)
        return render(
            "grid.html",
            edition=edition,
            version=version,
            published=published,
            grid=grid,
            slots=planning.slot_choices(day),
            allow_moves=moves_allowed,
            ok=request.query_params.get("ok", ""),
            erreur=request.query_params.get("erreur", ""),
        )

    @app.post("/admin/planning/plan", tags=["back-office"])
    def grid_plan(_admin: CurrentAdmin) -> Response:
        try:
            with uow() as session:
                result = planning.plan_draft(session, sched, sched.edition_id)
        except IntegrityError:
            return back("/admin/planning", erreur=BUSY)
        bound = f" (borne {result.bound})" if result.bound is not None else ""
        return back(
            "/admin/planning",
            ok=f"Brouillon n° {result.number} : {result.meetings} rendez-vous{bound}, "
            f"{result.holders_with_meeting}/{result.holders} porteurs avec au moins un "
            f"rendez-vous, calculé en {result.seconds:.2f} s.",
        )

    @app.post("/admin/planning/publish", tags=["back-office"])
    def grid_publish(_admin: CurrentAdmin) -> Response:
        try:
            with uow() as session:
                result = planning.publish(session, sched, sched.edition_id)
        except SchedulingError as exc:
            return back("/admin/planning", erreur=str(exc))
        return back(
            "/admin/planning",
            ok=f"Planning n° {result.number} publié : {result.meetings} rendez-vous envoyés.",
        )

    @app.post("/admin/planning/move", tags=["back-office"])
    def grid_move(
        _admin: CurrentAdmin,
        appointment_id: Annotated[str, Form()],
        slot: Annotated[int, Form()],
        table: Annotated[str, Form()] = "",
    ) -> Response:
        try:
            number = forms.table_number(table)
            with uow() as session:
                planning.move_appointment(
                    session, sched, sched.edition_id, appointment_id, slot, number
                )
        except (SchedulingError, forms.FormError) as exc:
            return back("/admin/planning", erreur=str(exc))
        return back("/admin/planning", ok="Rendez-vous déplacé.")

    @app.post("/admin/planning/swap", tags=["back-office"])
    def grid_swap(
        _admin: CurrentAdmin,
        first: Annotated[str, Form()],
        second: Annotated[str, Form()],
    ) -> Response:
        try:
            with uow() as session:
                planning.swap_appointments(session, sched, sched.edition_id, first, second)
        except SchedulingError as exc:
            return back("/admin/planning", erreur=str(exc))
        return back("/admin/planning", ok="Rendez-vous échangés.")

    @app.post("/admin/planning/lock", tags=["back-office"])
    def grid_lock(
        _admin: CurrentAdmin,
        appointment_id: Annotated[str, Form()],
        locked: Annotated[str, Form()] = "1",
    ) -> Response:
        try:
            with uow() as session:
                planning.lock_appointment(
                    session, sched, sched.edition_id, appointment_id, locked == "1"
                )
        except SchedulingError as exc:
            return back("/admin/planning", erreur=str(exc))
        return back(
            "/admin/planning",
            ok="Rendez-vous verrouillé." if locked == "1" else "Rendez-vous déverrouillé.",
        )

    @app.post("/admin/planning/options", tags=["back-office"])
    def grid_options(_admin: CurrentAdmin, allow: Annotated[str, Form()] = "") -> Response:
        with uow() as session:
            set_allow_moves(session, sched.outbox, sched.edition_id, allow == "1", sched.clock())
        return back(
            "/admin/planning",
            ok="Les re-planifications pourront déplacer les rendez-vous non verrouillés."
            if allow == "1"
            else "Les re-planifications garderont tous les rendez-vous publiés à leur place.",
        )

    @app.post("/admin/planning/absents", tags=["back-office"])
    def grid_absents(_admin: CurrentAdmin) -> Response:
        with uow() as session:
            absent, report = planning.mark_no_shows(session, sched, sched.edition_id)
        if report is None:
            return back("/admin/planning", ok="Aucun rendez-vous commencé : rien à faire.")
        return back("/admin/planning", ok=forms.replan_message(absent, report))

    @app.get("/admin/planning/export.csv", tags=["back-office"])
    def grid_export(_admin: CurrentAdmin) -> Response:
        with uow() as session:
            edition = ensure_edition(session, sched.outbox, sched.edition_id, sched.clock())
            version = planning.published_version(session, sched.edition_id)
            version = version or planning.working_version(session, sched.edition_id)
            rows = planning.active_rows(session, version.id) if version else []
        try:
            contacts = sched.directory.contacts(
                {p for r in rows for p in (r.holder_id, r.expert_id)}
            )
        except DirectoryUnavailable as exc:
            raise HTTPException(503, "Les inscriptions ne répondent pas : réessayez.") from exc
        zone = planning.local(edition, dt.time(0)).tzinfo
        text = write_schedule(
            ScheduleRow(
                date=r.start.astimezone(zone).date(),
                start=r.start.astimezone(zone).time(),
                end=r.end.astimezone(zone).time(),
                table=r.table_number,
                expert_email=contacts[r.expert_id].email if r.expert_id in contacts else "",
                expert_organisation=(
                    contacts[r.expert_id].organisation if r.expert_id in contacts else ""
                ),
                holder_email=contacts[r.holder_id].email if r.holder_id in contacts else "",
                holder_organisation=(
                    contacts[r.holder_id].organisation if r.holder_id in contacts else ""
                ),
            )
            for r in rows
        )
        return Response(
            text,
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="planning-{edition.edition_id}.csv"'
            },
        )

    @app.get("/admin/tables/{expert_id}", response_class=HTMLResponse, tags=["back-office"])
    def table_sheet(expert_id: str, _admin: CurrentAdmin) -> HTMLResponse:
        with uow() as session:
            agenda = agenda_for(session, sched, expert_id)
        if agenda is None or agenda.role.value != "expert":
            raise HTTPException(404, "Aucune fiche de table publiée pour cet expert.")
        return render("table_sheet.html", agenda=agenda)

    # -- the day: sessions --------------------------------------------------------------------
    @app.get("/admin/journee", response_class=HTMLResponse, tags=["back-office"])
    def day_page(request: Request, _admin: CurrentAdmin) -> HTMLResponse:
        with uow() as session:
            edition = ensure_edition(session, sched.outbox, sched.edition_id, sched.clock())
            done = closed_ids(session, sched.edition_id)
            people = session.execute(
                select(participants.c.present).where(
                    participants.c.edition_id == sched.edition_id,
                    participants.c.erased.is_(False),
                )
            ).all()
        return render(
            "day.html",
            edition=edition,
            sessions=closable_sessions(edition),
            closed=done,
            present=sum(1 for p in people if p.present),
            ok=request.query_params.get("ok", ""),
            erreur=request.query_params.get("erreur", ""),
        )

    @app.post("/admin/journee/{session_id}/cloture", tags=["back-office"])
    def day_close(session_id: str, _admin: CurrentAdmin) -> Response:
        result = _close(sched, session_id)
        return back(
            "/admin/journee",
            ok="Session clôturée." if result.closed else "Cette session était déjà clôturée.",
        )

    # -- JSON API of the same use cases ------------------------------------------------------
    @app.get("/api/schedule", tags=["planning"])
    def schedule_get(_admin: CurrentAdmin) -> ScheduleOut:
        with uow() as session:
            version = planning.working_version(session, sched.edition_id)
            rows = planning.active_rows(session, version.id) if version else []
        return ScheduleOut(
            edition_id=sched.edition_id,
            version=version.number if version else None,
            status=version.status if version else None,
            appointments=[
                AppointmentOut(
                    appointment_id=r.appointment_id,
                    holder_id=r.holder_id,
                    expert_id=r.expert_id,
                    start=r.start,
                    end=r.end,
                    table=table_label(r.table_number),
                    reason_kind=r.reason_kind,
                    reason=r.reason,
                    locked=r.locked,
                )
                for r in rows
            ],
        )

    @app.post("/api/schedule/plan", tags=["planning"])
    def schedule_plan(_admin: CurrentAdmin) -> DraftOut:
        try:
            with uow() as session:
                r = planning.plan_draft(session, sched, sched.edition_id)
        except IntegrityError as exc:
            raise HTTPException(409, BUSY) from exc
        return DraftOut(
            version=r.number,
            meetings=r.meetings,
            holders_with_meeting=r.holders_with_meeting,
            holders=r.holders,
            bound=r.bound,
            seconds=r.seconds,
        )

    @app.post("/api/schedule/publish", tags=["planning"])
    def schedule_publish(_admin: CurrentAdmin) -> PublishOut:
        with _conflict(), uow() as session:
            r = planning.publish(session, sched, sched.edition_id)
        return PublishOut(
            version=r.number,
            meetings=r.meetings,
            holders_with_meeting=r.holders_with_meeting,
            released=r.released,
        )

    @app.post("/api/schedule/appointments/{appointment_id}/move", tags=["planning"])
    def schedule_move(appointment_id: str, body: MoveIn, _admin: CurrentAdmin) -> Response:
        with _conflict(), uow() as session:
            planning.move_appointment(
                session, sched, sched.edition_id, appointment_id, body.slot, body.table
            )
        return Response(status_code=204)

    @app.post("/api/schedule/swap", tags=["planning"])
    def schedule_swap(body: SwapIn, _admin: CurrentAdmin) -> Response:
        with _conflict(), uow() as session:
            planning.swap_appointments(session, sched, sched.edition_id, body.first, body.second)
        return Response(status_code=204)

    @app.post("/api/schedule/appointments/{appointment_id}/lock", tags=["planning"])
    def schedule_lock(appointment_id: str, body: LockIn, _admin: CurrentAdmin) -> Response:
        with _conflict(), uow() as session:
            planning.lock_appointment(session, sched, sched.edition_id, appointment_id, body.locked)
        return Response(status_code=204)

    @app.post("/api/schedule/no-shows", tags=["planning"])
    def schedule_no_shows(_admin: CurrentAdmin, body: NoShowsIn | None = None) -> ReplanOut:
        only = body.participant_ids if body is not None else None
        with uow() as session:
            absent, report = planning.mark_no_shows(session, sched, sched.edition_id, only=only)
        if report is None:
            return ReplanOut(absent=absent, released=0, moved=0, added=0, kept=0)
        return ReplanOut(
            absent=absent,
            released=report.released,
            moved=report.moved,
            added=report.added,
            kept=report.kept,
        )

    @app.get("/api/sessions", tags=["sessions"])
    def sessions_get(_admin: CurrentAdmin) -> DayOut:
        """The day as the back-office home shows it: the published version, who is present,
        and each session to close (in time order) with whether it is closed."""
        with uow() as session:
            edition = ensure_edition(session, sched.outbox, sched.edition_id, sched.clock())
            done = closed_ids(session, sched.edition_id)
            published = planning.published_version(session, sched.edition_id)
            present = session.execute(
                select(participants.c.present).where(
                    participants.c.edition_id == sched.edition_id,
                    participants.c.erased.is_(False),
                    participants.c.present.is_(True),
                )
            ).all()
        return DayOut(
            edition_id=sched.edition_id,
            published_version=published.number if published else None,
            present=len(present),
            sessions=[
                SessionStateOut(
                    session_id=c.session_id,
                    kind=c.kind.value,
                    title=c.title,
                    start=c.start,
                    end=c.end,
                    closed=c.session_id in done,
                    closed_at=done[c.session_id].closed_at if c.session_id in done else None,
                )
                for c in closable_sessions(edition)
            ],
        )

    @app.post("/api/sessions/{session_id}/close", tags=["sessions"])
    def session_close(session_id: str, _admin: CurrentAdmin) -> CloseOut:
        return _close(sched, session_id)

    # -- personal agendas -------------------------------------------------------------------
    def _agenda_from_token(token: str) -> Agenda:
        found = read_agenda_token(sched.settings.secret_key.get_secret_value(), token)
        if found is None:
            raise HTTPException(404, "Ce lien d'agenda n'est pas valide.")
        with uow() as session:
            agenda = agenda_for(session, sched, found[0])
        if agenda is None:
            raise HTTPException(404, "Aucun agenda publié pour ce lien.")
        return agenda

    @app.get("/agenda/{token}.ics", tags=["agenda"])
    def agenda_calendar(token: str) -> Response:
        agenda = _agenda_from_token(token)
        return Response(
            agenda_ics(agenda, sched.clock()),
            media_type="text/calendar; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="rencontres.ics"'},
        )

    @app.get("/agenda/{token}.pdf", tags=["agenda"])
    def agenda_document(token: str) -> Response:
        agenda = _agenda_from_token(token)
        url = agenda_url(sched, agenda.participant_id, agenda.edition.edition_id)
        return Response(
            agenda_pdf(agenda, url),
            media_type="application/pdf",
            headers={"Content-Disposition": 'inline; filename="mon-agenda.pdf"'},
        )

    @app.get("/agenda/{token}", response_class=HTMLResponse, tags=["agenda"])
    def agenda_page(token: str) -> HTMLResponse:
        agenda = _agenda_from_token(token)
        return render("agenda.html", agenda=agenda, token=token)

    @app.get("/internal/agendas/{participant_id}", tags=["internal"])
    def internal_agenda(participant_id: str, _caller: ServiceCaller) -> InternalAgenda:
        with uow() as session:
            agenda = agenda_for(session, sched, participant_id)
        if agenda is None:
            raise HTTPException(404, "Aucun agenda publié pour cette personne.")
        return InternalAgenda(
            participant_id=participant_id,
            agenda_url=agenda_url(sched, participant_id, agenda.edition.edition_id),
            ics=agenda_ics(agenda, sched.clock()),
            items=[
                AgendaItemOut(
                    start=i.start,
                    end=i.end,
                    title=i.title,
                    table=i.table,
                    counterpart_organisation=i.counterpart_organisation,
                )
                for i in agenda.items
            ],
        )

    @app.exception_handler(HTTPException)
    async def french_errors(request: Request, exc: HTTPException) -> Response:
        if "text/html" in request.headers.get("accept", "") and request.method == "GET":
            return render("error.html", exc.status_code, message=exc.detail, status=exc.status_code)
        return Response(
            content=_json({"detail": exc.detail}),
            status_code=exc.status_code,
            media_type="application/json",
            headers=exc.headers,
        )

    return app


def _json(data: Any) -> str:
    import json

    return json.dumps(data, ensure_ascii=False)


@contextlib.contextmanager
def _conflict():
    try:
        yield
    except SchedulingError as exc:
        raise HTTPException(409, str(exc)) from exc
    except EditionLocked as exc:
        raise HTTPException(409, str(exc)) from exc
    except ValidationError as exc:
        raise HTTPException(422, str(exc)) from exc


def _close(sched: Scheduler, session_id: str) -> CloseOut:
    try:
        with transaction(sched.kit.factory) as session:
            event = close_session(session, sched, sched.edition_id, session_id)
    except KeyError as exc:
        raise HTTPException(404, "Cette session n'existe pas dans le programme.") from exc
    except IntegrityError:
        event = None
    count_closed(event)
    if event is None:
        return CloseOut(session_id=session_id, closed=False)
    return CloseOut(
        session_id=session_id,
        closed=True,
        attendees=event.attendees,
        meetings_held=event.meetings_held,
        meetings_missed=event.meetings_missed,
    )


def _add_lifespan(app: FastAPI, sched: Scheduler) -> None:
    """Around the base lifespan (bus runtime): announce the edition once, then check the clock
    periodically (sessions to close, absentees)."""
    base = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app_: FastAPI) -> AsyncIterator[Any]:
        async with base(app_) as state:
            await asyncio.to_thread(_announce_edition, sched)
            task = asyncio.create_task(_tick_forever(sched))
            try:
                yield state
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app.router.lifespan_context = lifespan


def _announce_edition(sched: Scheduler) -> None:
    try:
        with transaction(sched.kit.factory) as session:
            ensure_edition(session, sched.outbox, sched.edition_id, sched.clock())
    except Exception as exc:  # tables missing: `rencontres scheduler migrate` first
        log.error("scheduler: programme de l'édition illisible (%s)", type(exc).__name__)


async def _tick_forever(sched: Scheduler) -> None:
    while True:
        try:
            await asyncio.to_thread(tick, sched)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the next tick tries again
            log.warning("scheduler tick: %s", type(exc).__name__)
        await asyncio.sleep(sched.settings.tick_interval_s)
