"""The public registration forms, one per role."""

from __future__ import annotations

from typing import Any

import anyio
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from services.registration.domain.model import InvalidProfile, RegistrationError, parse_profile
from services.registration.domain.vocabulary import AVAILABILITIES, STAGES, forms_for
from services.registration.entrypoints.messages import FIELD_LABELS, error_message
from services.registration.entrypoints.web import (
    client_ip,
    form_expired,
    kit_of,
    limiter_of,
    looks_like_a_bot,
    settings_of,
)
from services.registration.service_layer import participants
from services.registration.service_layer.editions import (
    day_is_past,
    get_edition,
    registration_state,
)
from shared.db import retrying, transaction
from shared.edition import EditionSettings
from shared.events import RegistrationStatus, Role
from shared.web import flat, form_lists, render

router = APIRouter(include_in_schema=False)

ROLE_SLUGS = {"porteur": Role.HOLDER, "expert": Role.EXPERT}

FORM_THREADS = 4


def _edition(request: Request, edition_id: str) -> EditionSettings:
    try:
        with transaction(kit_of(request).factory) as session:
            return get_edition(session, edition_id)
    except RegistrationError as exc:
        raise HTTPException(404, error_message(exc.code)) from exc


def _role(slug: str) -> Role:
    if slug not in ROLE_SLUGS:
        raise HTTPException(404, "Page introuvable.")
    return ROLE_SLUGS[slug]


def _field_order(name: str) -> int:
    order = list(FIELD_LABELS)
    return order.index(name) if name in order else len(order)


def form_context(
    edition: EditionSettings,
    role: Role,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    values = dict(values or {})
    tags = values.get("thematiques", [])
    values["thematiques"] = [tags] if isinstance(tags, str) else list(tags)
    for name in ("conferences",):
        chosen = values.get(name, [])
        values[name] = [chosen] if isinstance(chosen, str) else list(chosen)
    return {
        "edition": edition,
        "role": role.value,
        "holder": role is Role.HOLDER,
        "values": values,
        "errors": {k: (errors or {})[k] for k in sorted(errors or {}, key=_field_order)},
        "labels": FIELD_LABELS,
        "forms": forms_for(role),
        "stages": STAGES,
        "availabilities": AVAILABILITIES,
        "default_max": edition.holder_max_meetings if role is Role.HOLDER else "",
    }


def _closed_page(
    request: Request, edition: EditionSettings, state: str, status_code: int = 200
) -> HTMLResponse:
    """Not open (yet, or any more): says when, and whom to write to; the form is not shown."""
    context = {"edition": edition, "state": state, "contact": settings_of(request).brand_contact}
    return render(request, "closed.html", context, status_code=status_code)


@router.get("/inscription/{edition_id}", response_class=HTMLResponse)
def choose(request: Request, edition_id: str) -> HTMLResponse:
    edition = _edition(request, edition_id)
    state = registration_state(edition)
    if state != "open":
        return _closed_page(request, edition, state)
    return render(request, "choose.html", {"edition": edition})


@router.get("/inscription/{edition_id}/{role_slug}", response_class=HTMLResponse)
def show_form(request: Request, edition_id: str, role_slug: str) -> HTMLResponse:
    role = _role(role_slug)
    edition = _edition(request, edition_id)
    state = registration_state(edition)
    if state != "open":
        return _closed_page(request, edition, state)
    return render(request, "form.html", form_context(edition, role))


def holder_needs(form: dict[str, list[str]]) -> list[str]:
    """The ranked selects of the holder form, in order, without blanks or repeats."""
    ranked: list[str] = []
    for name in ("besoin_1", "besoin_2", "besoin_3"):
        for value in form.get(name, []):
            if value.strip() and value not in ranked:
                ranked.append(value)
    return ranked


@router.post("/inscription/{edition_id}/{role_slug}", response_class=HTMLResponse)
async def submit_form(request: Request, edition_id: str, role_slug: str) -> HTMLResponse:
    form = await form_lists(request)
    # The rest waits on the database and Redis: in a worker thread, so that one commit never
    # holds up every other request of the event loop. A few threads, not anyio's 40:
    # registrations write one at a time, and more threads only queue for the interpreter
    # while one of them holds the writer's turn.
    limiter = getattr(request.app.state, "form_threads", None)
    if limiter is None:
        limiter = request.app.state.form_threads = anyio.CapacityLimiter(FORM_THREADS)
    return await anyio.to_thread.run_sync(
        _submit, request, edition_id, role_slug, form, limiter=limiter
    )


def _submit(
    request: Request, edition_id: str, role_slug: str, form: dict[str, list[str]]
) -> HTMLResponse:
    role = _role(role_slug)
    edition = _edition(request, edition_id)
    settings = settings_of(request)
    limiter = limiter_of(request)
    if role is Role.HOLDER:
        form["thematiques"] = holder_needs(form)
    values = flat(form)
    values["thematiques"] = form.get("thematiques", [])
    values["conferences"] = form.get("conferences", [])

    if form_expired(request):
        context = form_context(edition, role, values)
        context["alert"] = error_message("csrf")
        return render(request, "form.html", context, status_code=403)
    is_bot = looks_like_a_bot(request, form)
    state = registration_state(edition)
    profile, errors = None, None
    if not is_bot and state == "open":
        try:
            profile = parse_profile(role, values, edition)
        except InvalidProfile as exc:
            errors = exc.errors
    # Every attempt counts for its address, every valid one for its email: one round trip.
    limits = [("form-ip", client_ip(request), settings.rate_per_ip)]
    if profile is not None:
        limits.append(("form-email", profile.email, settings.rate_per_email))
    if not limiter.hit_all(limits, settings.rate_window_seconds):
        return _rate_limited(request, edition)
    if is_bot:
        # The same answer as a success: nothing tells a program it was spotted.
        return render(
            request,
            "confirmation.html",
            {"edition": edition, "waiting": False, "upcoming": not day_is_past(edition)},
        )
    if state != "open":
        return _closed_page(request, edition, state, 403)
    if profile is None:
        return render(request, "form.html", form_context(edition, role, values, errors), 422)
    kit = kit_of(request)
    try:
        result = retrying(
            kit.factory, participants.register, kit, edition.edition_id, profile, keep_existing=True
        )
    except RegistrationError as exc:
        if exc.code.startswith("registration_"):
            return _closed_page(request, edition, exc.code.removeprefix("registration_"), 403)
        raise
    return render(
        request,
        "confirmation.html",
        {
            "edition": edition,
            # A known address gets the page a new one would: the form tells nothing.
            "waiting": result.status is RegistrationStatus.WAITING_LIST,
            "upcoming": not day_is_past(edition),
        },
    )


def _rate_limited(request: Request, edition: EditionSettings) -> HTMLResponse:
    return render(
        request,
        "message.html",
        {
            "title": "Trop de tentatives",
            "message": error_message("rate_limited"),
            "edition": edition,
        },
        status_code=429,
    )
