"""Pages participants see: their questionnaire behind a personal link, or the venue link."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import Session

from services.surveys.domain.questions import form_values
from services.surveys.entrypoints.web import message
from services.surveys.service_layer import surveys as uc
from shared.db import retrying, transaction
from shared.events import utc_now
from shared.french import french_datetime
from shared.ratelimit import RateLimiter
from shared.service import ServiceKit
from shared.web import ServiceCaller, form_lists, render

router = APIRouter()


def _kit(request: Request) -> ServiceKit:
    return request.app.state.kit  # type: ignore[no-any-return]


def _now(request: Request) -> dt.datetime:
    clock = getattr(request.app.state, "clock", None)
    return clock() if clock else utc_now()


def _problem(request: Request, access: uc.Access) -> HTMLResponse:
    if access is uc.Access.CLOSED:
        return message(
            request,
            "Ce questionnaire est clos",
            "Merci de votre intérêt : les réponses ne sont plus recueillies.",
            "Si vous aviez répondu, votre réponse a bien été enregistrée.",
            status_code=410,
        )
    if access is uc.Access.EXPIRED:
        return message(
            request,
            "Ce lien a expiré",
            "Pour des raisons de sécurité, les liens personnels ont une durée limitée.",
            "Écrivez au PES 21 pour recevoir un nouveau lien : vos réponses déjà enregistrées "
            "sont conservées.",
            status_code=410,
        )
    return message(
        request,
        "Lien inconnu",
        "Ce lien ne correspond à aucun questionnaire. Vérifiez qu'il a été copié en entier "
        "depuis l'email reçu.",
        "Si le problème persiste, écrivez au PES 21.",
        status_code=404,
    )


def _form(
    request: Request,
    survey: uc.Survey,
    action: str,
    values: dict[str, list[str]],
    errors: dict[str, str],
    meetings: list[Any],
    *,
    answered: bool = False,
    submission_id: str | None = None,
) -> HTMLResponse:
    context = {
        "title": survey.title,
        "survey": survey,
        "action": action,
        "values": values,
        "errors": errors,
        "labels": {q.id: q.text for q in survey.questions},
        "meetings": meetings,
        "answered": answered,
        "submission_id": submission_id,
        "closes_at": french_datetime(survey.closes_at),
    }
    return render(request, "form.html", context, 422 if errors else 200)


def _thanks(request: Request, survey: uc.Survey, again_url: str | None) -> HTMLResponse:
    lines = ["Votre réponse est enregistrée. Merci de votre participation !"]
    if survey.closes_at:
        lines.append(f"Vous pouvez la modifier jusqu'au {french_datetime(survey.closes_at)}.")
    return message(
        request,
        "Merci !",
        *lines,
        back_url=again_url,
        back_label="Modifier mes réponses",
    )


@router.get("/q/{token}", response_class=HTMLResponse)
def questionnaire(request: Request, token: str) -> HTMLResponse:
    kit, now = _kit(request), _now(request)
    with transaction(kit.factory) as session:
        opened = uc.resolve_token(session, token, now)
        if opened.access is not uc.Access.OK:
            return _problem(request, opened.access)
        assert opened.survey is not None
        meetings = uc.meetings_of(session, opened.survey.edition_id, opened.participant_id)
    meetings = uc.named_meetings(meetings, getattr(request.app.state, "directory", None))
    values = form_values(opened.survey.questions, opened.answers or {})
    return _form(
        request,
        opened.survey,
        request.url.path,
        values,
        {},
        meetings,
        answered=bool(opened.answers),
    )


@router.post("/q/{token}", response_class=HTMLResponse)
async def answer(request: Request, token: str) -> HTMLResponse:
    kit, now = _kit(request), _now(request)
    form = await form_lists(request)
    result = await asyncio.to_thread(
        retrying, kit.factory, uc.submit_with_token, kit.outbox, token, form, now
    )
    uc.count_answer(result, "personal")
    if result.access is not uc.Access.OK:
        return _problem(request, result.access)
    assert result.survey is not None and result.validation is not None
    if not result.validation.ok:
        with kit.factory() as session:
            opened = uc.resolve_token(session, token, now)
            meetings = uc.meetings_of(session, result.survey.edition_id, opened.participant_id)
        meetings = uc.named_meetings(meetings, getattr(request.app.state, "directory", None))
        return _form(
            request, result.survey, request.url.path, form, result.validation.errors, meetings
        )
    return _thanks(request, result.survey, request.url.path)


# -- the venue link: anonymous answers from a QR code ---------------------------------------
def _venue_survey(session: Session, code: str) -> uc.Survey | None:
    return uc.survey_by_code(session, code)


@router.get("/j/{code}", response_class=HTMLResponse)
def venue(request: Request, code: str) -> HTMLResponse:
    kit, now = _kit(request), _now(request)
    with kit.factory() as session:
        survey = _venue_survey(session, code)
    if survey is None:
        return _problem(request, uc.Access.UNKNOWN)
    if not survey.accepts_answers(now):
        return _problem(request, uc.Access.CLOSED)
    if _answered_from_here(request, code) is not None:
        return _already_answered(request)
    # One id per form shown: sending the same form twice updates one response.
    return _form(
        request,
        survey,
        f"/j/{survey.public_code}",
        {},
        {},
        [],
        submission_id=secrets.token_urlsafe(24),
    )


@router.post("/j/{code}", response_class=HTMLResponse)
async def venue_answer(request: Request, code: str) -> HTMLResponse:
    kit, now = _kit(request), _now(request)
    form = await form_lists(request)
    submission_id = (form.pop("submission_id", [""]) or [""])[0]
    code = code.strip().upper()
    # One answer per device: the form this device already sent may be sent again (it updates
    # the same response), another one is refused.
    answered = _answered_from_here(request, code)
    if answered is not None and answered != submission_id:
        return _already_answered(request)
    settings = _kit(request).settings
    limiter: RateLimiter = request.app.state.limiter
    allowed = await asyncio.to_thread(
        limiter.hit,
        "venue-ip",
        request.client.host if request.client else "inconnu",
        settings.venue_answers_per_hour,  # type: ignore[attr-defined]
        3600,
    )
    if not allowed:
        return message(
            request,
            "Trop de réponses",
            "Beaucoup de réponses sont déjà venues de cette connexion dans l'heure.",
            "Réessayez un peu plus tard, ou répondez depuis le lien reçu par email.",
            status_code=429,
        )
    result = await asyncio.to_thread(
        retrying, kit.factory, uc.submit_anonymous, code, submission_id, form, now
    )
    uc.count_answer(result, "venue")
    if result.access is not uc.Access.OK:
        return _problem(request, result.access)
    assert result.survey is not None and result.validation is not None
    if not result.validation.ok:
        return _form(
            request,
            result.survey,
            request.url.path,
            form,
            result.validation.errors,
            [],
            submission_id=submission_id,
        )
    response = _thanks(request, result.survey, None)
    response.set_cookie(
        _VENUE_COOKIE + code,
        _venue_signer(request).dumps([code, submission_id]),
        max_age=_VENUE_COOKIE_DAYS * 86400,
        httponly=True,
        samesite="lax",
        secure=settings.environment == "production",
        path="/j/",
    )
    return response


_VENUE_COOKIE = "rencontres_venue_"
_VENUE_COOKIE_DAYS = 90


def _venue_signer(request: Request) -> URLSafeSerializer:
    secret = _kit(request).settings.secret_key.get_secret_value()
    return URLSafeSerializer(secret, salt="rencontres-venue-answer")


def _answered_from_here(request: Request, code: str) -> str | None:
    """The submission id this device sent for this venue link, if its signed cookie says so."""
    code = code.strip().upper()
    cookie = request.cookies.get(_VENUE_COOKIE + code)
    if not cookie:
        return None
    try:
        signed_code, submission_id = _venue_signer(request).loads(cookie)
    except (BadSignature, ValueError, TypeError):
        return None
    return str(submission_id) if signed_code == code else None


def _already_answered(request: Request) -> HTMLResponse:
    return message(
        request,
        "Déjà répondu",
        "Vous avez déjà répondu depuis cet appareil, merci !",
        "Votre réponse est bien enregistrée.",
    )


def venue_url(kit: ServiceKit, code: str) -> str:
    return f"{kit.settings.public_url.rstrip('/')}/j/{code}"  # type: ignore[attr-defined]


@router.get("/j/{code}/qr.svg")
def venue_qr(request: Request, code: str) -> Response:
    kit = _kit(request)
    with kit.factory() as session:
        survey = _venue_survey(session, code)
    if survey is None or survey.public_code is None:
        return Response(status_code=404)
    buffer = io.BytesIO()
    import segno  # when a QR code is drawn

    segno.make(venue_url(kit, survey.public_code), error="m").save(buffer, kind="svg", scale=8)
    return Response(buffer.getvalue(), media_type="image/svg+xml")


# -- for the notifier -------------------------------------------------------------------------
@router.post("/internal/invitations/{invitation_id}/link")
def invitation(request: Request, invitation_id: str, _caller: ServiceCaller) -> JSONResponse:
    """What an invitation email needs, with a fresh personal link (see docs/surveys.md): a
    POST, since each call stores the hash of a new token."""
    kit, now = _kit(request), _now(request)
    with transaction(kit.factory) as session:
        view = uc.invitation_view(session, kit.settings, invitation_id, now)  # type: ignore[arg-type]
    if view is None:
        return JSONResponse({"detail": "invitation inconnue"}, status_code=404)
    return JSONResponse(
        {
            "participant_id": view.participant_id,
            "survey_title": view.survey_title,
            "link": view.link,
            "closes_at": view.closes_at.isoformat().replace("+00:00", "Z")
            if view.closes_at
            else None,
            "answered": view.answered,
            "open": view.open,
        }
    )
