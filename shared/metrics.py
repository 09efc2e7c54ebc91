"""Prometheus metrics shared by every process, and a tiny server for /metrics and /healthz.

Names follow Prometheus conventions: `rencontres_` prefix, base units, `_total` for counters.
Labels carry streams, groups, templates and outcomes, never anything personal.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

BUS_PUBLISHED = Counter(
    "rencontres_bus_published_total", "Events published to a stream by an outbox relay", ["stream"]
)
BUS_CONSUMED = Counter(
    "rencontres_bus_consumed_total",
    "Stream messages handled by a consumer group, by outcome (ok, duplicate, error)",
    ["stream", "group", "outcome"],
)
BUS_DEAD_LETTERED = Counter(
    "rencontres_bus_dead_lettered_total",
    "Messages moved to the dead-letter stream after too many deliveries",
    ["stream", "group"],
)
BUS_RECLAIMED = Counter(
    "rencontres_bus_reclaimed_total",
    "Pending messages reclaimed from an idle consumer",
    ["stream", "group"],
)
BUS_HANDLER_SECONDS = Histogram(
    "rencontres_bus_handler_duration_seconds",
    "Time to handle one stream message, commit included",
    ["stream", "group"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
BUS_PENDING = Gauge(
    "rencontres_bus_pending_messages",
    "Messages delivered to a consumer group and not yet acknowledged",
    ["stream", "group"],
    multiprocess_mode="mostrecent",
)
OUTBOX_BACKLOG = Gauge(
    "rencontres_outbox_backlog_messages",
    "Committed events not yet published by the relay",
    ["service"],
    multiprocess_mode="mostrecent",
)
RETENTION_ERASED = Counter(
    "rencontres_retention_erased_total",
    "Rows erased or emptied by a service's retention step, by kind of data",
    ["service", "kind"],
)


def metrics_registry() -> CollectorRegistry:
    """The registry to expose: aggregated over child processes when they write to a directory."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def render_metrics() -> tuple[bytes, str]:
    return generate_latest(metrics_registry()), CONTENT_TYPE_LATEST


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def serve_metrics(port: int, healthy: Callable[[], bool], host: str = "127.0.0.1") -> WSGIServer:
    """Serve /metrics and /healthz from a thread, for processes without an HTTP app."""

    def app(environ: dict[str, object], start_response: Callable[..., object]) -> list[bytes]:
        path = environ.get("PATH_INFO")
        if path == "/metrics":
            body, content_type = render_metrics()
            start_response("200 OK", [("Content-Type", content_type)])
            return [body]
        if path == "/healthz":
            ok = healthy()
            start_response("200 OK" if ok else "503 Service Unavailable", [])
            return [b"ok" if ok else b"unhealthy"]
        start_response("404 Not Found", [])
        return [b""]

    server = make_server(host, port, app, handler_class=_QuietHandler)  # type: ignore[arg-type]
    # A request wakes the thread at once; the interval only says how soon shutdown() would be
    # noticed (never called: the thread ends with the process), and each look is a wake-up.
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 5.0}, daemon=True, name="metrics"
    ).start()
    return server
