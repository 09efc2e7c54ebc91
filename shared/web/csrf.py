"""One protection against cross-site requests for every state-changing route of every service.

A signed double submit: a random cookie (shared by the four services, since a cookie belongs
to the host whatever the port) and, in each form, its copy signed with the shared secret; pages'
scripts send the same token in the `X-CSRF-Token` header. On top of it, a browser's `Origin`,
when sent, must be one of the platform's own addresses. Callers holding the service token and
the `/internal` API (service token only) need neither: no browser sends that token by itself.
"""

from __future__ import annotations

import functools
import secrets
import time
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from shared.web.auth import calls_with_service_token
from shared.web.forms import read_form

CSRF_COOKIE = "rencontres_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class CsrfRefused(Exception):
    """A state-changing request without a valid token, or from another site."""


def _signer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="rencontres-csrf")


def _serializer(request: Request) -> URLSafeTimedSerializer:
    return _signer(request.app.state.web.settings.secret_key.get_secret_value())


def new_pair(secret: str) -> tuple[str, str]:
    """A fresh cookie value and the token that goes with it (what a page gives a browser)."""
    cookie = secrets.token_urlsafe(24)
    return cookie, _signer(secret).dumps(cookie)


def _max_age_s(request: Request) -> int:
    # A page may stay open all day at the welcome desk: as long as a back-office session.
    return int(request.app.state.web.settings.admin_session_hours) * 3600


class CsrfToken:
    """The token a page's forms carry; issues the cookie on first use.

    Signed only when a template writes it, so that pages without a form never pay for it.
    The signature's timestamp also tells when the form was served (registration's minimum
    fill time).
    """

    def __init__(self, request: Request) -> None:
        self.request = request
        self.cookie = request.cookies.get(CSRF_COOKIE) or ""
        self.new_cookie = not self.cookie
        if self.new_cookie:
            self.cookie = secrets.token_urlsafe(24)

    @functools.cached_property
    def value(self) -> str:
        return _serializer(self.request).dumps(self.cookie)

    def __str__(self) -> str:
        return self.value

    def attach(self, response: Response) -> Response:
        if self.new_cookie and "value" in self.__dict__:
            response.set_cookie(
                CSRF_COOKIE,
                self.cookie,
                httponly=True,
                samesite="lax",
                secure=self.request.app.state.web.settings.environment == "production",
                path="/",
            )
        return response


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def allowed_origin(request: Request, origin: str) -> bool:
    """The platform's own addresses, and the address this request was sent to (a browser
    that opened the site under another name of the same machine)."""
    if origin == "null":
        return False
    own = {_origin(url) for url in request.app.state.web.settings.public_urls().values()}
    if origin.lower() in own:
        return True
    host = request.headers.get("host", "").lower()
    return bool(host) and urlsplit(origin).netloc.lower() == host


def signed_at(request: Request, token: str) -> float | None:
    """When the token was issued (Unix time) if it is genuine, recent and matches the cookie."""
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not token:
        return None
    try:
        value, issued = _serializer(request).loads(
            token, max_age=_max_age_s(request), return_timestamp=True
        )
    except BadSignature:  # SignatureExpired included
        return None
    if not isinstance(value, str) or not secrets.compare_digest(value, cookie):
        return None
    return float(issued.timestamp())


async def _token_of(request: Request) -> str:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    if request.headers.get("content-type", "").startswith(FORM_TYPES):
        form = await read_form(request)
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


async def verify_csrf(request: Request) -> None:
    """App-wide dependency: refuses a state-changing request without a valid token or from a
    foreign origin. On success, `request.state.form_age_s` says how long ago the form was
    served."""
    if request.method in SAFE_METHODS:
        return
    if request.url.path.startswith("/internal/") or calls_with_service_token(request):
        return
    origin = request.headers.get("origin")
    if origin is not None and not allowed_origin(request, origin):
        raise CsrfRefused()
    issued = signed_at(request, await _token_of(request))
    if issued is None:
        raise CsrfRefused()
    request.state.form_age_s = time.time() - issued
