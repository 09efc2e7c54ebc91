"""What every HTTP app of the platform has: /healthz, /metrics, request metrics, the bus."""

from __future__ import annotations

import gc
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Response
from prometheus_client import Counter, Histogram
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.bus.runtime import BusRuntime
from shared.metrics import render_metrics

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


def create_app(
    *, service: str, title: str, runtime: BusRuntime | None, version: str = "1.0.0"
) -> FastAPI:
    """A FastAPI app whose lifespan starts and stops the service's bus runtime."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if runtime is not None:
            await runtime.start()
        # What is loaded by now lives as long as the process: out of the collector's sight, a
        # full collection takes a millisecond instead of a request-stalling 100+ ms.
        gc.freeze()
        try:
            yield
        finally:
            if runtime is not None:
                await runtime.stop()

    app = FastAPI(title=title, version=version, lifespan=lifespan)

    app.add_middleware(RequestMetrics, service=service)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> Response:
        ok = runtime.healthy() if runtime is not None else True
        return Response("ok" if ok else "unhealthy", status_code=200 if ok else 503)

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        body, content_type = render_metrics()
        return Response(body, media_type=content_type)

    return app
