"""The back-office session cookie: issued by registration, verified by every service."""

from __future__ import annotations

from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

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
