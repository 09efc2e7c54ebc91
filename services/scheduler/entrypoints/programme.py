"""The programme of the edition in the back-office: date, venue, windows, sessions, tags."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.scheduler.entrypoints import forms
from services.scheduler.entrypoints.web import SchedulerDep, scheduler_of, unit_of_work
from services.scheduler.service_layer.editions import (
    EditionLocked,
    current_edition,
    update_edition,
)
from shared.edition import EditionSettings
from shared.web import CurrentAdmin, redirect, render

router = APIRouter(prefix="/admin/edition", tags=["back-office"])


def _page(
    request: Request,
    edition: EditionSettings,
    fields: dict[str, str],
    error: str = "",
) -> HTMLResponse:
    warnings = forms.edition_warnings(edition, scheduler_of(request).clock())
    context = {"edition": edition, "fields": fields, "error": error, "warnings": warnings}
    return render(request, "edition.html", context, 422 if error else 200, section="programme")


@router.get("", response_class=HTMLResponse)
def edition_page(request: Request, sched: SchedulerDep, _admin: CurrentAdmin) -> HTMLResponse:
    with sched.kit.factory() as session:
        edition = current_edition(session, sched.edition_id)
    return _page(request, edition, forms.edition_fields(edition))


@router.post("")
async def edition_save(request: Request, sched: SchedulerDep, _admin: CurrentAdmin) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    with unit_of_work(sched) as session:
        current = current_edition(session, sched.edition_id)
        try:
            settings = forms.parse_edition_form(current, form)
            update_edition(session, sched.outbox, settings, sched.clock())
        except (forms.FormError, EditionLocked) as exc:
            return _page(request, current, form, str(exc))
    return redirect(request, "/admin/edition", ok="Programme enregistré et diffusé.")
