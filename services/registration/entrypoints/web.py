"""What every page of the service shares: templates, CSRF tokens, bot checks, the client IP."""

from __future__ import annotations

import functools
import secrets
import time
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from services.registration.adapters.ratelimit import RateLimiter
from services.registration.settings import RegistrationSettings
from shared.service import ServiceKit

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
# Templates change with a new release, never under a running process: no stat() per render.
templates.env.auto_reload = False

CSRF_COOKIE = "rencontres_csrf"
CSRF_FIELD = "csrf_token"
HONEYPOT_FIELD = "site_web"


def kit_of(request: Request) -> ServiceKit:
    return request.app.state.kit


def settings_of(request: Request) -> RegistrationSettings:
    settings = kit_of(request).settings
    assert isinstance(settings, RegistrationSettings)
    return settings


def limiter_of(request: Request) -> RateLimiter:
    return request.app.state.limiter


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "inconnu"


def _csrf_serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        settings_of(request).secret_key.get_secret_value(), salt="rencontres-csrf"
    )


class CsrfToken:
    """Signed double submit: a random cookie, and the form carries its signed copy.

    The signature's timestamp also tells when the form was served (minimum fill time).
    """

    def __init__(self, request: Request) -> None:
        self.request = request
        self.cookie = request.cookies.get(CSRF_COOKIE) or ""
        self.new_cookie = not self.cookie
        if self.new_cookie:
            self.cookie = secrets.token_urlsafe(24)

    @functools.cached_property
    def field(self) -> str:
        return _csrf_serializer(self.request).dumps(self.cookie)

    def __str__(self) -> str:
        # Signed when a template writes it: most pages that have no form never pay for it.
        return self.field

    def attach(self, response: HTMLResponse) -> HTMLResponse:
        if self.new_cookie:
            response.set_cookie(
                CSRF_COOKIE,
                self.cookie,
                httponly=True,
                samesite="lax",
                secure=settings_of(self.request).environment == "production",
            )
        return response


def check_csrf(request: Request, form: dict[str, list[str]]) -> float | None:
    """Seconds since the form was served if its token matches the cookie; None otherwise."""
    cookie = request.cookies.get(CSRF_COOKIE)
    token = (form.get(CSRF_FIELD) or [""])[0]
    if not cookie or not token:
        return None
    try:
        value, signed_at = _csrf_serializer(request).loads(
            token, max_age=settings_of(request).form_max_age_seconds, return_timestamp=True
        )
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(value, str) or not secrets.compare_digest(value, cookie):
        return None
    return time.time() - signed_at.timestamp()


def looks_like_a_bot(request: Request, form: dict[str, list[str]], elapsed_s: float) -> bool:
    """A filled hidden field or a form sent back faster than a person can type."""
    honeypot = "".join(form.get(HONEYPOT_FIELD, [])).strip()
    return bool(honeypot) or elapsed_s < settings_of(request).form_min_fill_seconds


async def read_form(request: Request) -> dict[str, list[str]]:
    data = await request.form()
    out: dict[str, list[str]] = {}
    for key, value in data.multi_items():
        if isinstance(value, str):
            out.setdefault(key, []).append(value)
    return out


def flat(form: dict[str, list[str]]) -> dict[str, Any]:
    """Single values as strings, repeated ones (checkboxes) as lists: what parse_profile reads."""
    return {k: v[0] if len(v) == 1 else v for k, v in form.items()}


def page(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    csrf = CsrfToken(request)
    full = {"csrf_token": csrf, **(context or {})}
    response = templates.TemplateResponse(request, template, full, status_code=status_code)
    return csrf.attach(response)
