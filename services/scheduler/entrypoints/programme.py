"""The programme of the edition in the back-office: date, venue, registrations, the day's
rows (meeting windows and sessions), tags. Works without a script: « Ajouter une ligne »
posts the form back with more empty rows, saving nothing."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.scheduler.domain.programme import ROW_KINDS, programme_warnings
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
ADDED_ROWS = 3


def _page(
    request: Request,
    edition: EditionSettings,
    fields: dict[str, str],
    rows: list[dict[str, str]],
    errors: dict[str, str] | None = None,
    notice: str = "",
    blank: int = forms.BLANK_ROWS,
) -> HTMLResponse:
    errors = errors or {}
    while rows and forms.is_empty(rows[-1]):  # the page adds its own empty rows
        rows = rows[:-1]
    rows = [*rows, *(forms.blank_row() for _ in range(blank))]
    context = {
        "edition": edition,
        "fields": fields,
        "rows": rows,
        "kinds": ROW_KINDS,
        "errors": errors,
        "summary": forms.error_summary(errors),
        "notice": notice,
        "warnings": programme_warnings(edition, scheduler_of(request).clock()),
    }
    return render(request, "edition.html", context, 422 if errors else 200, section="programme")


@router.get("", response_class=HTMLResponse)
def edition_page(request: Request, sched: SchedulerDep, _admin: CurrentAdmin) -> HTMLResponse:
    with sched.kit.factory() as session:
        edition = current_edition(session, sched.edition_id)
    return _page(request, edition, forms.edition_fields(edition), forms.edition_rows(edition))


@router.post("")
async def edition_save(request: Request, sched: SchedulerDep, _admin: CurrentAdmin) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    # The rows as typed, the empty ones dropped (the page adds its own empty rows again).
    rows = [r for r in forms.posted_rows(form) if not forms.is_empty(r)]
    with unit_of_work(sched) as session:
        current = current_edition(session, sched.edition_id)
        if form.get("action") == "ajouter":
            notice = (
                f"{ADDED_ROWS} lignes ajoutées en bas du tableau. Rien n'est enregistré avant "
                "« Enregistrer et diffuser »."
            )
            blank = forms.BLANK_ROWS + ADDED_ROWS
            return _page(request, current, form, rows, notice=notice, blank=blank)
        try:
            settings = forms.parse_edition_form(current, form)
            update_edition(session, sched.outbox, settings, sched.clock())
        except forms.FormErrors as exc:
            return _page(request, current, form, forms.posted_rows(form), exc.errors)
        except EditionLocked as exc:
            return _page(request, current, form, forms.posted_rows(form), {"rows": str(exc)})
    return redirect(request, "/admin/edition", ok="Programme enregistré et diffusé.")
