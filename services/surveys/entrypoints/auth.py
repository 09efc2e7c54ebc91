"""Who may call what: the back-office (the shared admin session) and other services (the
service token)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from shared.auth import admin_identity, service_token_ok


def require_service(request: Request) -> None:
    expected = request.app.state.kit.settings.service_token.get_secret_value()
    if not service_token_ok(request.headers.get("authorization"), expected):
        raise HTTPException(401, "jeton de service invalide", {"WWW-Authenticate": "Bearer"})


def require_admin(request: Request) -> str:
    settings = request.app.state.kit.settings
    who = admin_identity(request.cookies, request.headers.get("authorization"), settings)
    if who is None:
        raise HTTPException(401, "Connexion requise : connectez-vous au back-office.")
    return who


ServiceCaller = Annotated[None, Depends(require_service)]
CurrentAdmin = Annotated[str, Depends(require_admin)]
