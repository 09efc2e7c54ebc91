"""The registration service's HTTP app."""

from __future__ import annotations

import redis
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from services.registration.adapters.ratelimit import RateLimiter
from services.registration.bootstrap import bootstrap
from services.registration.entrypoints import admin, checkin, internal, public, selfservice
from services.registration.entrypoints.web import page
from shared.service import ServiceKit
from shared.web import DefaultHeaders
from shared.web import create_app as create_base_app


def create_app(kit: ServiceKit | None = None) -> FastAPI:
    kit = kit or bootstrap()
    app = create_base_app(
        service="registration", title="Rencontres – registration", runtime=kit.runtime
    )
    app.state.kit = kit
    app.state.limiter = RateLimiter(
        redis.Redis.from_url(kit.settings.redis_url),
        kit.settings.bus_prefix,
        kit.settings.secret_key.get_secret_value(),
    )

    # No page of this service may be framed (a hidden frame could tap « Arrivé·e »).
    app.add_middleware(
        DefaultHeaders,
        headers={
            "X-Frame-Options": "DENY",
            "Content-Security-Policy": "frame-ancestors 'none'",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
        },
    )

    app.include_router(public.router)
    app.include_router(internal.router)
    app.include_router(admin.router)
    app.include_router(checkin.router)
    app.include_router(selfservice.router)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/internal/"):
            return JSONResponse({"detail": exc.detail}, exc.status_code, headers=exc.headers)
        if exc.status_code in (302, 303) and exc.headers:
            return RedirectResponse(exc.headers["Location"], exc.status_code)
        return page(
            request,
            "message.html",
            {"title": "Page indisponible", "message": exc.detail},
            status_code=exc.status_code,
        )

    return app
