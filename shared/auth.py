"""The back-office session cookie: issued by registration, verified by every service."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

from shared.settings import BaseServiceSettings

ADMIN_COOKIE = "rencontres_admin"
_SALT = "rencontres-admin-session"


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=_SALT)


def issue_admin_session(secret: str, email: str) -> str:
    """The signed cookie value naming the admin who logged in."""
    return _serializer(secret).dumps({"email": email})


def read_admin_session(secret: str, value: str | None, max_age_s: int) -> str | None:
    """The admin's email if the cookie is genuine and recent enough, else None."""
    if not value:
        return None
    try:
        data = _serializer(secret).loads(value, max_age=max_age_s)
    except BadSignature:
        return None
    email = data.get("email") if isinstance(data, dict) else None
    return email if isinstance(email, str) else None


def admin_cookie_options(production: bool, max_age_s: int) -> dict[str, Any]:
    """HttpOnly, SameSite=Lax, and Secure in production: pass to Response.set_cookie."""
    return {
        "key": ADMIN_COOKIE,
        "max_age": max_age_s,
        "httponly": True,
        "samesite": "lax",
        "secure": production,
        "path": "/",
    }


def service_token_ok(authorization: str | None, expected: str) -> bool:
    """True for an `Authorization: Bearer <SERVICE_TOKEN>` header (compared in constant time)."""
    scheme, _, token = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(token.strip(), expected)


def admin_identity(
    cookies: Mapping[str, str], authorization: str | None, settings: BaseServiceSettings
) -> str | None:
    """Who is calling a back-office: the admin's email from the session cookie, `service` for
    a script holding the service token, or None."""
    if service_token_ok(authorization, settings.service_token.get_secret_value()):
        return "service"
    return read_admin_session(
        settings.secret_key.get_secret_value(),
        cookies.get(ADMIN_COOKIE),
        settings.admin_session_hours * 3600,
    )
