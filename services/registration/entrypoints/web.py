"""What the registration pages share beyond the common foundation (`shared.web`): the
service's kit and settings, the rate limiter, bot checks, the client address."""

from __future__ import annotations

from pathlib import Path

from fastapi import HTTPException, Request

from services.registration.domain.model import RegistrationError
from services.registration.entrypoints.messages import error_message
from services.registration.service_layer.editions import get_edition
from services.registration.settings import RegistrationSettings
from shared.db import transaction
from shared.edition import EditionSettings, default_edition
from shared.ratelimit import RateLimiter
from shared.service import ServiceKit

TEMPLATES = Path(__file__).parent / "templates"
HONEYPOT_FIELD = "site_web"


def kit_of(request: Request) -> ServiceKit:
    kit: ServiceKit = request.app.state.kit
    return kit


def edition_of(request: Request, edition_id: str | None) -> EditionSettings:
    """The edition asked for (the current one by default), or a French 404."""
    try:
        with transaction(kit_of(request).factory) as session:
            return get_edition(session, edition_id or default_edition().edition_id)
    except RegistrationError as exc:
        raise HTTPException(404, error_message(exc.code)) from exc


def settings_of(request: Request) -> RegistrationSettings:
    settings = kit_of(request).settings
    assert isinstance(settings, RegistrationSettings)
    return settings


def limiter_of(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.limiter
    return limiter


def client_ip(request: Request) -> str:
    """The visitor's address: the peer's, or the one a trusted proxy forwarded
    (FORWARDED_ALLOW_IPS; uvicorn applies it before the request reaches us)."""
    return request.client.host if request.client else "inconnu"


def form_age_s(request: Request) -> float:
    """How long ago the posted form was served (its CSRF token says, once checked)."""
    return float(getattr(request.state, "form_age_s", 0.0))


def looks_like_a_bot(request: Request, form: dict[str, list[str]]) -> bool:
    """A filled hidden field or a form sent back faster than a person can type."""
    honeypot = "".join(form.get(HONEYPOT_FIELD, [])).strip()
    return bool(honeypot) or form_age_s(request) < settings_of(request).form_min_fill_seconds


def form_expired(request: Request) -> bool:
    """A public form served longer ago than REGISTRATION_FORM_MAX_AGE_SECONDS."""
    return form_age_s(request) > settings_of(request).form_max_age_seconds
