"""What a person or a program is told when a request fails: a French page for people, JSON for
the `/api` and `/internal` routes, never a stack trace nor the framework's English."""

from __future__ import annotations

import logging
from typing import Any

import redis
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.web.auth import LoginRequired, ServiceTokenRequired
from shared.web.csrf import CsrfRefused

log = logging.getLogger(__name__)

# Title and explanation by status, for the pages people see.
MESSAGES: dict[int, tuple[str, str]] = {
    400: (
        "Demande illisible",
        "La demande envoyée n'a pas pu être lue. Revenez en arrière et réessayez.",
    ),
    401: (
        "Connexion requise",
        "Connectez-vous au back-office pour ouvrir cette page.",
    ),
    403: (
        "Accès refusé",
        "Vous n'avez pas accès à cette page.",
    ),
    404: (
        "Page introuvable",
        "Cette page n'existe pas, ou plus. Vérifiez l'adresse ou repartez de l'accueil.",
    ),
    405: (
        "Action impossible",
        "Cette page ne s'utilise pas ainsi. Repartez de l'accueil.",
    ),
    409: (
        "Action impossible pour l'instant",
        "L'état a changé entre-temps : rechargez la page.",
    ),
    413: (
        "Envoi trop volumineux",
        "Ce que vous avez envoyé dépasse la taille acceptée. Réduisez-le et réessayez.",
    ),
    422: (
        "Données à corriger",
        "Certaines valeurs envoyées ne sont pas valables. Revenez en arrière et corrigez-les.",
    ),
    429: (
        "Trop de tentatives",
        "Trop de tentatives en peu de temps. Merci de réessayer dans un moment.",
    ),
    500: (
        "Erreur interne",
        "Une erreur s'est produite de notre côté. Réessayez dans un instant ; "
        "si elle se répète, prévenez l'équipe.",
    ),
    503: (
        "Service momentanément indisponible",
        "Un service dont cette page a besoin ne répond pas, et rien n'a été enregistré "
        "à moitié. Réessayez dans un instant.",
    ),
}
CSRF_MESSAGE = (
    "Le formulaire a expiré, a été ouvert dans un autre onglet ou ne vient pas de ce site. "
    "Revenez en arrière, rechargez la page, vérifiez vos réponses et envoyez-le de nouveau."
)
# A value the database refuses (a NUL character in an address or a JSON body, a number out of
# its range): the caller's input, so a 422 and the transaction rolled back, never a 500.
REFUSED_VALUE = (
    "Une valeur envoyée ne peut pas être enregistrée (caractère invisible, texte trop long ou "
    "nombre hors limites). Rien n'a été modifié : corrigez-la et réessayez."
)
# Outages of what a page needs: a retry page, never a 500.
UNAVAILABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OperationalError)


class BodyTooLarge(Exception):
    """A request body larger than the service reads (MAX_BODY_BYTES)."""


def wants_json(request: Request) -> bool:
    if request.url.path.startswith(("/api/", "/internal/")):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def error_page(
    request: Request,
    status: int,
    detail: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The error as the caller can read it: JSON for programs, a French page for people."""
    title, explanation = MESSAGES.get(status, MESSAGES[500 if status >= 500 else 400])
    if wants_json(request):
        return JSONResponse({"detail": detail or explanation}, status, headers=headers)
    web = request.app.state.web
    admin_page = request.url.path.startswith("/admin")
    lines = [detail] if detail else [explanation]
    context: dict[str, Any] = {
        "title": title,
        "lines": lines,
        "admin_page": admin_page,
        "back_link": web.pages.url_of("registration", "/admin") if admin_page else "",
        "back_label": "Retour à l'accueil du back-office",
        "login_link": web.login_url(request) if status == 401 else "",
    }
    response = web.pages.render(request, "error.html", context, status)
    if headers:
        response.headers.update(headers)
    return response


def _our_detail(exc: StarletteHTTPException) -> str | None:
    # Our routes raise FastAPI's HTTPException with a French sentence; the framework's own
    # errors (Starlette's class, English) get the generic French explanation instead.
    if type(exc) is HTTPException and isinstance(exc.detail, str):
        return exc.detail
    return None


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _exc: LoginRequired) -> Response:
        if request.method == "GET" and not wants_json(request):
            return RedirectResponse(request.app.state.web.login_url(request), 303)
        return error_page(request, 401, None, {"WWW-Authenticate": "Bearer"})

    @app.exception_handler(ServiceTokenRequired)
    async def token_required(request: Request, _exc: ServiceTokenRequired) -> Response:
        return JSONResponse(
            {"detail": "jeton de service manquant ou invalide"},
            401,
            headers={"WWW-Authenticate": "Bearer"},
        )

    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, _exc: CsrfRefused) -> Response:
        return error_page(request, 403, CSRF_MESSAGE)

    @app.exception_handler(BodyTooLarge)
    async def body_too_large(request: Request, _exc: BodyTooLarge) -> Response:
        return too_large(request)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        headers = dict(exc.headers or {})
        if exc.status_code in (301, 302, 303, 307) and "Location" in headers:
            return RedirectResponse(headers["Location"], exc.status_code)
        return error_page(request, exc.status_code, _our_detail(exc), headers or None)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        if wants_json(request):
            # The standard shape, which API clients know how to read.
            errors = [{k: e.get(k) for k in ("loc", "msg", "type")} for e in exc.errors()]
            return JSONResponse({"detail": errors}, 422)
        return error_page(request, 422)

    @app.exception_handler(DataError)
    async def refused_value(request: Request, exc: DataError) -> Response:
        log.warning("%s %s: %s", request.method, _route(request), type(exc).__name__)
        return error_page(request, 422, REFUSED_VALUE)

    for kind in UNAVAILABLE:

        @app.exception_handler(kind)
        async def unavailable(request: Request, exc: Exception) -> Response:
            log.warning("%s %s: %s", request.method, _route(request), type(exc).__name__)
            return error_page(request, 503, None, {"Retry-After": "5"})


def too_large(request: Request) -> Response:
    """413: the rest of the body is not read, so the connection closes after the answer."""
    return error_page(request, 413, None, {"Connection": "close"})


def internal_error(request: Request, exc: Exception) -> Response:
    """The page of an unexpected error, logged by its type only: an exception's message may
    carry what people typed (a database error quotes the row)."""
    log.error("%s %s: %s", request.method, _route(request), type(exc).__name__)
    return error_page(request, 500)


def _route(request: Request) -> str:
    return str(getattr(request.scope.get("route"), "path", "unmatched"))
