"""Who may use the scheduler's back-office (the shared admin session, or the service token for
scripts) and its internal API (the service token)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from shared.auth import admin_identity, service_token_ok


def require_admin(request: Request) -> str:
    settings = request.app.state.scheduler.settings
    who = admin_identity(request.cookies, request.headers.get("authorization"), settings)
    if who is None:
        raise HTTPException(
            status_code=401,
            detail="Connexion administrateur requise.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return who


def require_service(request: Request) -> None:
    expected = request.app.state.scheduler.settings.service_token.get_secret_value()
    if not service_token_ok(request.headers.get("authorization"), expected):
        raise HTTPException(
            status_code=401,
            detail="Jeton de service manquant ou invalide.",
            headers={"WWW-Authenticate": "Bearer"},
        )


CurrentAdmin = Annotated[str, Depends(require_admin)]
ServiceCaller = Annotated[None, Depends(require_service)]
