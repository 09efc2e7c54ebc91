"""Badges for the day: one PDF for the edition's registered people (all, holders, experts, or
one person for a reprint), and the address their QR code carries, which opens the welcome
desk on that person."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from services.registration.entrypoints.web import edition_of, kit_of
from services.registration.service_layer import badges
from shared.web import CurrentAdmin, inline, redirect

router = APIRouter(prefix="/admin/accueil", include_in_schema=False)
WHO_ERROR = "Choisissez les badges à imprimer : tous, porteurs ou experts."


@router.get("/badges.pdf")
def badges_document(
    request: Request,
    _admin: CurrentAdmin,
    edition: Annotated[str | None, Query(max_length=64)] = None,
    profil: Annotated[str, Query(max_length=16)] = "tous",
    personne: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    from services.registration.adapters.badges_pdf import badges_pdf  # fpdf2: when asked

    settings = edition_of(request, edition)
    if profil not in badges.WHO:
        raise HTTPException(400, WHO_ERROR)
    kit = kit_of(request)
    try:
        with kit.factory() as session:
            chosen = badges.badges(session, kit, settings.edition_id, profil, personne)
    except badges.NoBadge as exc:
        raise HTTPException(
            404, "Pas de badge pour cette personne : elle n'est pas inscrite à cette édition."
        ) from exc
    if not chosen:
        return redirect(
            request,
            f"/admin/participants?{urlencode({'edition': settings.edition_id})}",
            error="Personne n'est inscrit avec ce profil : aucun badge à imprimer.",
        )
    name = "badge" if personne else f"badges-{settings.edition_id}"
    return Response(
        badges_pdf(settings, chosen), media_type="application/pdf", headers=inline(f"{name}.pdf")
    )


@router.get("/badge/{code}")
def scanned_badge(request: Request, code: str, _admin: CurrentAdmin) -> Response:
    """The address in a badge's QR code: the desk, showing that one person."""
    kit = kit_of(request)
    found = badges.code_in(code)
    with kit.factory() as session:
        row = badges.holder_of(session, kit, found) if found else None
    if row is None:
        return redirect(
            request,
            "/admin/accueil",
            error="Badge non reconnu : cherchez la personne par son nom.",
        )
    query = urlencode({"edition": row.edition_id, "q": badges.shown(found or "")})
    return redirect(request, f"/admin/accueil?{query}")
