"""Who may use the back-office: the admin session cookie signed with SECRET_KEY (issued by
registration's login), or the service token for scripts. Swap here for the shared admin login."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer

ADMIN_COOKIE = "rencontres_admin"
ADMIN_SALT = "rencontres-admin-session"
ADMIN_MAX_AGE_S = 12 * 3600


def admin_serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=ADMIN_SALT)


def admin_cookie(secret: str, user: str = "admin") -> str:
    """A cookie value the back-office accepts (tests, and the login until the shared one)."""
    return admin_serializer(secret).dumps({"user": user})


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token if scheme.lower() == "bearer" and token else None


def service_token_ok(request: Request) -> bool:
    settings = request.app.state.scheduler.settings
    token = _bearer(request)
    return token is not None and hmac.compare_digest(
        token.encode(), settings.service_token.get_secret_value().encode()
    )


def require_admin(request: Request) -> str:
    if service_token_ok(request):
        return "service"
    cookie = request.cookies.get(ADMIN_COOKIE)
    if cookie:
        secret = request.app.state.scheduler.settings.secret_key.get_secret_value()
        try:
            data = admin_serializer(secret).loads(cookie, max_age=ADMIN_MAX_AGE_S)
            return str(data.get("user", "admin"))
        except BadSignature:
            pass
    raise HTTPException(
        status_code=401,
        detail="Connexion administrateur requise.",
        headers={"WWW-Authenticate": "Bearer"},
    )


def require_service(request: Request) -> None:
    if not service_token_ok(request):
        raise HTTPException(
            status_code=401,
            detail="Jeton de service manquant ou invalide.",
            headers={"WWW-Authenticate": "Bearer"},
        )


CurrentAdmin = Annotated[str, Depends(require_admin)]
ServiceCaller = Annotated[None, Depends(require_service)]
