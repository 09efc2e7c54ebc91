"""What every HTTP app of the platform has: /healthz, /metrics, request metrics, the bus."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from prometheus_client import Counter, Histogram

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


def create_app(
    *, service: str, title: str, runtime: BusRuntime | None, version: str = "1.0.0"
) -> FastAPI:
    """A FastAPI app whose lifespan starts and stops the service's bus runtime."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if runtime is not None:
            await runtime.start()
        try:
            yield
        finally:
            if runtime is not None:
                await runtime.stop()

    app = FastAPI(title=title, version=version, lifespan=lifespan)

    @app.middleware("http")
    async def measure(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        # The route template, never the raw path: ids and tokens stay out of the labels.
        route = getattr(request.scope.get("route"), "path", "unmatched")
        HTTP_REQUESTS.labels(
            service, route, request.method, f"{response.status_code // 100}xx"
        ).inc()
        HTTP_SECONDS.labels(service, route, request.method).observe(time.perf_counter() - started)
        return response

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> Response:
        ok = runtime.healthy() if runtime is not None else True
        return Response("ok" if ok else "unhealthy", status_code=200 if ok else 503)

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        body, content_type = render_metrics()
        return Response(body, media_type=content_type)

    return app
