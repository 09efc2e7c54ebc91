"""The experts' table sheets as one PDF to print before the day (all of them, or one), from
the published schedule."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from services.scheduler.adapters.registration import DirectoryUnavailable
from services.scheduler.entrypoints.web import SchedulerDep
from services.scheduler.service_layer.table_sheets import table_sheets
from shared.web import CurrentAdmin, inline, redirect

# Declared before the grid's `/admin/tables/{expert_id}`, which would take « fiches.pdf ».
router = APIRouter(tags=["back-office"])
DIRECTORY_DOWN = "Les inscriptions ne répondent pas : réessayez."
NOT_PUBLISHED = "Publiez d'abord le planning : les fiches de table montrent le planning publié."


def _pdf(sched: SchedulerDep, expert_id: str | None) -> tuple[bytes, int] | None:
    from services.scheduler.adapters.documents import table_sheets_pdf  # fpdf2: when asked

    try:
        with sched.kit.factory() as session:
            found = table_sheets(session, sched, expert_id)
    except DirectoryUnavailable as exc:
        raise HTTPException(503, DIRECTORY_DOWN) from exc
    if found is None or not found[1]:
        return None
    edition, sheets = found
    return table_sheets_pdf(edition, sheets), len(sheets)


@router.get("/admin/tables/fiches.pdf")
def all_table_sheets(request: Request, sched: SchedulerDep, _admin: CurrentAdmin) -> Response:
    made = _pdf(sched, None)
    if made is None:
        return redirect(request, "/admin/planning", error=NOT_PUBLISHED)
    return Response(
        made[0],
        media_type="application/pdf",
        headers=inline(f"fiches-de-table-{sched.edition_id}.pdf"),
    )


@router.get("/admin/tables/{expert_id}/fiche.pdf")
def one_table_sheet(expert_id: str, sched: SchedulerDep, _admin: CurrentAdmin) -> Response:
    made = _pdf(sched, expert_id)
    if made is None:
        raise HTTPException(404, "Aucune fiche de table publiée pour cet expert.")
    return Response(made[0], media_type="application/pdf", headers=inline("fiche-de-table.pdf"))
