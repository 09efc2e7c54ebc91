"""Who may call what: the back-office (admin session cookie) and other services (bearer token).

The admin session cookie is issued by registration's login and signed with the shared
SECRET_KEY (itsdangerous, salt `rencontres-admin`); every back-office verifies it the same way.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from shared.settings import BaseServiceSettings

ADMIN_COOKIE = "rencontres_admin"
ADMIN_SALT = "rencontres-admin"
ADMIN_MAX_AGE_S = 12 * 3600


def admin_serializer(settings: BaseServiceSettings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key.get_secret_value(), salt=ADMIN_SALT)


def admin_cookie(settings: BaseServiceSettings, login: str = "admin") -> str:
    """A cookie value as registration's login issues it (used by tests and `surveys admin-link`)."""
    return admin_serializer(settings).dumps({"login": login})


def _bearer_ok(request: Request, settings: BaseServiceSettings) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    expected = settings.service_token.get_secret_value()
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip(), expected)


def require_service(request: Request) -> None:
    if not _bearer_ok(request, request.app.state.kit.settings):
        raise HTTPException(401, "jeton de service invalide", {"WWW-Authenticate": "Bearer"})


def require_admin(request: Request) -> str:
    settings = request.app.state.kit.settings
    if _bearer_ok(request, settings):
        return "service"
    cookie = request.cookies.get(ADMIN_COOKIE)
    if cookie:
        try:
            data = admin_serializer(settings).loads(cookie, max_age=ADMIN_MAX_AGE_S)
            return str(data.get("login", "admin"))
        except BadSignature:
            pass
    raise HTTPException(401, "Connexion requise : connectez-vous au back-office.")


ServiceCaller = Annotated[None, Depends(require_service)]
CurrentAdmin = Annotated[str, Depends(require_admin)]
