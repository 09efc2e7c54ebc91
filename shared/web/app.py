"""The HTTP app every service is built on: /healthz, /metrics, request metrics, security headers,
one CSRF check, the admin session, French error pages, body size limit, and the bus runtime's
lifespan. A service adds only its routers and templates."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from prometheus_client import Counter, Histogram
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.bus.runtime import BusRuntime
from shared.metrics import render_metrics
from shared.retention import run_daily
from shared.settings import BaseServiceSettings
from shared.web.auth import AdminSessions
from shared.web.csrf import verify_csrf
from shared.web.errors import BodyTooLarge, install_error_handlers, internal_error, too_large
from shared.web.pages import LOGIN_PATH, Pages

log = logging.getLogger(__name__)

HTTP_REQUESTS = Counter(
    "rencontres_http_requests_total",
    "HTTP requests answered, by service, route template, method and status class",
    ["service", "route", "method", "status"],
)
HTTP_SECONDS = Histogram(
    "rencontres_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["service", "route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)

# On every response unless a route sets its own: no page may be framed (a hidden frame could
# tap « Arrivé·e »), nothing is cached (pages show personal data and personal links), and
# other sites learn at most our origin, never a path holding a personal token.
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cache-Control": "no-store",
}


@dataclass
class Web:
    """What the foundation keeps on `app.state.web` for its dependencies and error pages."""

    service: str
    settings: BaseServiceSettings
    pages: Pages
    sessions: AdminSessions

    def login_url(self, request: Request) -> str:
        """The login page, asked to come back to the page requested (as the browser sees it)."""
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if self.service == "registration":  # the login page is ours: plain paths
            return f"{LOGIN_PATH}?{urlencode({'suite': here})}"
        target = self.pages.url_of(self.service, here)
        return f"{self.pages.url_of('registration', LOGIN_PATH)}?{urlencode({'suite': target})}"


class RequestMetrics:
    """Counts and times every HTTP request by route template, never by raw path (ids and
    tokens stay out of the labels). Plain ASGI: Starlette's BaseHTTPMiddleware costs a task
    and a stream per request, a good share of a small request's time."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"]
            HTTP_REQUESTS.labels(self.service, route, method, f"{status // 100}xx").inc()
            HTTP_SECONDS.labels(self.service, route, method).observe(time.perf_counter() - started)


class DefaultHeaders:
    """Adds headers to every HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp, headers: dict[str, str]) -> None:
        self.app = app
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class CatchAll:
    """An unexpected error becomes the French 500 page, and the log line names its type only
    (the server's own traceback would print the exception's message, which may quote what
    people typed)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def noting_start(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, noting_start)
        except Exception as exc:
            if started:  # too late for a page: the connection closes
                log.error("%s after the response started", type(exc).__name__)
                return
            await internal_error(Request(scope), exc)(scope, receive, send)


class BodyLimit:
    """Refuses a request body over `limit` bytes before it is read (413), whatever reads it."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            # Said too large: refused before a byte is read, whatever the route.
            await too_large(Request(scope))(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            if received > self.limit:
                raise BodyTooLarge()
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge()
            return message

        await self.app(scope, limited, send)


def create_app(
    *,
    service: str,
    title: str,
    settings: BaseServiceSettings,
    pages: Pages,
    runtime: BusRuntime | None,
    home: str,
    version: str = "1.0.0",
    retention: Callable[[], object] | None = None,
    background: Callable[[], contextlib.AbstractContextManager[object]] | None = None,
) -> FastAPI:
    """A service's app: `home` is where the site's root sends people (a path of this service
    or an address of another); `retention`, its retention step, runs once a day in the
    process (shared/retention.py); `background` is entered for the process's lifetime (a
    worker thread of the service's own)."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if runtime is not None:
            await runtime.start()
        daily = asyncio.create_task(run_daily(service, retention)) if retention else None
        # What is loaded by now lives as long as the process: out of the collector's sight, a
        # full collection takes a millisecond instead of a request-stalling 100+ ms.
        gc.freeze()
        with background() if background else contextlib.nullcontext():
            try:
                yield
            finally:
                if daily is not None:
                    daily.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await daily
                if runtime is not None:
                    await runtime.stop()

    app = FastAPI(
        title=title, version=version, lifespan=lifespan, dependencies=[Depends(verify_csrf)]
    )
    app.state.web = Web(service, settings, pages, AdminSessions.for_settings(settings))
    install_error_handlers(app)
    # Added innermost first: metrics see every answer, the 500 page gets the headers too.
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(CatchAll)
    app.add_middleware(DefaultHeaders, headers=SECURITY_HEADERS)
    app.add_middleware(RequestMetrics, service=service)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse(home, status_code=303)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> Response:
        ok = runtime.healthy() if runtime is not None else True
        return Response("ok" if ok else "unhealthy", status_code=200 if ok else 503)

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        body, content_type = render_metrics()
        return Response(body, media_type=content_type)

    return app
