"""The parts every service is assembled from: engine, outbox, consumer, bus runtime, commands."""

from __future__ import annotations

import importlib
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import click
from fastapi import FastAPI
from sqlalchemy import Engine, MetaData, Table
from sqlalchemy.orm import Session, sessionmaker

from shared.bus.consumer import EventConsumer
from shared.bus.outbox import Outbox
from shared.bus.runtime import BusRuntime
from shared.db import make_engine, session_factory
from shared.logging import configure_logging
from shared.migrations import upgrade
from shared.settings import BaseServiceSettings


@dataclass
class ServiceKit:
    """What a service's use cases and entrypoints are given: built once, by bootstrap()."""

    name: str
    settings: BaseServiceSettings
    engine: Engine
    factory: sessionmaker[Session]
    outbox: Outbox
    consumer: EventConsumer
    runtime: BusRuntime = field(repr=False)


SettingsT = TypeVar("SettingsT", bound=BaseServiceSettings)


@dataclass
class ServiceApp(Generic[SettingsT]):
    """What every service's bootstrap() returns: the kit and the service's own settings.

    A service adds its own dependencies in a subclass (the scheduler's clock, the notifier's
    dispatcher); its use cases and event handlers are given this object.
    """

    kit: ServiceKit
    settings: SettingsT


def make_kit(
    name: str, settings: BaseServiceSettings, metadata: MetaData, database_url: str
) -> ServiceKit:
    engine = make_engine(database_url, shared_by_workers=settings.http_workers > 1)
    factory = session_factory(engine)
    outbox_table: Table = metadata.tables["outbox"]
    consumer = EventConsumer(
        group=name,
        factory=factory,
        processed=metadata.tables["processed_events"],
        prefix=settings.bus_prefix,
        max_deliveries=settings.max_deliveries,
        reclaim_idle_ms=settings.reclaim_idle_ms,
        # The process id too: the HTTP workers of one host are consumers of their own.
        consumer_name=f"{settings.consumer_name or socket.gethostname()}-{os.getpid()}",
    )
    runtime = BusRuntime(
        settings, service=name, engine=engine, outbox_table=outbox_table, consumer=consumer
    )
    return ServiceKit(
        name=name,
        settings=settings,
        engine=engine,
        factory=factory,
        # A commit that adds outbox rows wakes this process's relay at once.
        outbox=Outbox(outbox_table, settings.bus_prefix, wake=runtime.relay.wake),
        consumer=consumer,
        runtime=runtime,
    )


def service_commands(
    name: str,
    package_dir: Path,
    settings: Callable[[], Any],
    app_factory: str,
    help_text: str,
) -> click.Group:
    """`rencontres <service> serve|migrate`: the same commands locally and in containers."""

    @click.group(name=name, help=help_text)
    def group() -> None:
        pass

    @group.command(help="Applique les migrations de la base du service.")
    def migrate() -> None:
        upgrade(package_dir, settings().database_url)
        click.echo(f"{name}: base à jour")

    @group.command(help="Crée une migration par comparaison avec les tables (développeurs).")
    @click.option("-m", "--message", required=True)
    def revision(message: str) -> None:
        import tempfile

        from alembic import command

        from shared.migrations import alembic_config

        with tempfile.TemporaryDirectory() as scratch:
            url = f"sqlite:///{scratch}/head.db"
            upgrade(package_dir, url)
            command.revision(alembic_config(package_dir, url), message, autogenerate=True)

    @group.command(help="Lance l'application HTTP et les consommateurs d'événements.")
    @click.option("--host", help="Par défaut HTTP_HOST (127.0.0.1).")
    @click.option("--port", type=int, help=f"Par défaut {name.upper()}_PORT.")
    @click.option("--workers", type=int, help="Processus HTTP ; par défaut HTTP_WORKERS (1).")
    def serve(host: str | None, port: int | None, workers: int | None) -> None:
        import shutil

        from shared.web.server import run

        current = settings()
        configure_logging(current.log_level)
        workers = workers or current.http_workers
        metrics_dir = Path(current.var_dir) / "metrics" / f"{name}-http-{os.getpid()}"
        if workers > 1:
            # Each worker counts in its own files; /metrics, answered by any worker, adds them.
            shutil.rmtree(metrics_dir, ignore_errors=True)
            metrics_dir.mkdir(parents=True)
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir.resolve())
            # The workers read their settings from the environment: --workers reaches them too.
            os.environ["HTTP_WORKERS"] = str(workers)
        try:
            run(
                app_factory,
                host=host or current.http_host,
                port=port or current.port,
                workers=workers,
                log_level="warning",
                **proxy_options(current),
            )
        finally:
            if workers > 1:
                shutil.rmtree(metrics_dir, ignore_errors=True)

    return group


AppFactory = Callable[[], FastAPI]


def proxy_options(settings: BaseServiceSettings) -> dict[str, Any]:
    """uvicorn's reading of X-Forwarded-For: only from the proxy's addresses
    (FORWARDED_ALLOW_IPS), so that the address rate limits count is the visitor's and nobody
    else can choose it; with none given (`make up`), the peer's own address."""
    trusted = settings.forwarded_allow_ips.strip()
    return {"proxy_headers": bool(trusted), "forwarded_allow_ips": trusted or None}


def _beat_schedule(settings: BaseServiceSettings, service: str) -> str:
    return str(Path(settings.var_dir) / f"{service}-beat")


def add_celery_commands(group: click.Group, celery_app: str, settings: Callable[[], Any]) -> None:
    """`<service> worker` and `<service> beat`: Celery in this process, /metrics beside it.

    One process each: the worker's sends are threads (shared/tasks.py), so the default
    Prometheus registry holds every metric and a thread serves it with /healthz.
    """

    def run(kind: str, port: int, extra: list[str]) -> None:
        from celery.signals import beat_init, worker_ready, worker_shutting_down

        from shared.metrics import serve_metrics

        module, name = celery_app.split(":")
        app = getattr(importlib.import_module(module), name)
        state = {"up": False}
        ready = beat_init if kind == "beat" else worker_ready

        @ready.connect(weak=False)
        def _ready(**_kwargs: Any) -> None:
            state["up"] = True

        @worker_shutting_down.connect(weak=False)
        def _stopping(**_kwargs: Any) -> None:
            state["up"] = False

        serve_metrics(port, healthy=lambda: state["up"], host=settings().http_host)
        app.start([kind, f"--loglevel={settings().log_level.upper()}", *extra])

    @group.command(help="Lance le worker Celery (envois).")
    @click.option(
        "--concurrency", type=int, help="Envois en parallèle ; par défaut WORKER_CONCURRENCY (4)."
    )
    @click.option(
        "--beat",
        "embedded_beat",
        is_flag=True,
        help="Le planificateur beat dans ce processus (une seule fois sur la plateforme).",
    )
    def worker(concurrency: int | None, embedded_beat: bool) -> None:
        threads = concurrency or settings().worker_concurrency
        extra = [f"--concurrency={threads}", "--without-gossip", "--without-mingle"]
        if embedded_beat:
            extra += ["--embedded-beat", "--schedule", _beat_schedule(settings(), str(group.name))]
        run("worker", settings().worker_metrics_port, extra)

    @group.command(help="Lance le planificateur Celery beat (tâches périodiques).")
    def beat() -> None:
        run(
            "beat",
            settings().beat_metrics_port,
            ["--schedule", _beat_schedule(settings(), str(group.name))],
        )
