"""Celery, configured once for every service that runs background tasks.

Reliability settings from the design: late acks, one message at a time per sending thread.
Nothing is scheduled far ahead with an ETA: due dates are database rows and a beat task enqueues
what is due. A worker is one process: its sending threads (the `threads` pool; a send waits on
SMTP and HTTP, not on the CPU) and, with `--embedded-beat`, the beat as a thread of its own.
"""

from __future__ import annotations

import time
from typing import Any

import click
from celery import Celery, Task, bootsteps
from celery.signals import after_setup_logger, worker_init
from prometheus_client import Counter, Histogram

from shared.logging import quiet_chatty_loggers
from shared.settings import BaseServiceSettings

TASK_RUNS = Counter(
    "rencontres_task_runs_total", "Celery task runs by task and outcome", ["task", "outcome"]
)
TASK_SECONDS = Histogram(
    "rencontres_task_duration_seconds",
    "Duration of a Celery task run",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


class MeasuredTask(Task):  # type: ignore[misc]
    """Base of every task: duration and outcome are recorded, so no task can forget them."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        outcome = "error"
        try:
            result = super().__call__(*args, **kwargs)
            outcome = "ok"
            return result
        except Exception as exc:
            from celery.exceptions import Retry

            outcome = "retry" if isinstance(exc, Retry) else "error"
            raise
        finally:
            TASK_RUNS.labels(self.name, outcome).inc()
            TASK_SECONDS.labels(self.name).observe(time.perf_counter() - started)


def initialise_task_metrics(app: Celery) -> None:
    """Every task's series at 0 from the start: the failure alert sees them before a failure."""
    for task in app.tasks:
        if not task.startswith("celery."):
            for outcome in ("ok", "retry", "error"):
                TASK_RUNS.labels(task, outcome)
            TASK_SECONDS.labels(task)


class EmbeddedBeat(bootsteps.StartStopStep):  # type: ignore[misc]
    """`--embedded-beat`: the beat as a thread of the worker, where `-B` would fork a process."""

    label = "EmbeddedBeat"
    conditional = True

    def __init__(self, w: Any, embedded_beat: bool = False, **kwargs: Any) -> None:
        self.enabled = embedded_beat
        super().__init__(w, **kwargs)

    def create(self, w: Any) -> Any:
        from celery.beat import EmbeddedService

        return EmbeddedService(w.app, thread=True, schedule_filename=w.schedule_filename)


def make_celery(name: str, settings: BaseServiceSettings) -> Celery:
    app = Celery(name, broker=settings.redis_url, task_cls=MeasuredTask)
    app.user_options["worker"].add(
        click.Option(["--embedded-beat"], is_flag=True, help="Run the beat as a worker thread.")
    )
    app.steps["worker"].add(EmbeddedBeat)

    @worker_init.connect(weak=False)
    def _on_worker_init(sender: Any = None, **_kwargs: Any) -> None:
        if getattr(sender, "app", None) is app:
            initialise_task_metrics(app)

    @after_setup_logger.connect(weak=False)
    def _after_logging(**_kwargs: Any) -> None:
        quiet_chatty_loggers()  # set up by Celery from --loglevel (LOG_LEVEL)

    queue = f"{settings.bus_prefix}{name}"
    app.conf.update(
        task_default_queue=queue,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_pool="threads",
        worker_prefetch_multiplier=1,
        worker_enable_soft_shutdown_on_idle=True,
        worker_soft_shutdown_timeout=10.0,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            # Keys of tests and of several installations sharing a Redis stay apart.
            "global_keyprefix": settings.bus_prefix,
            "visibility_timeout": 3600,
        },
        task_serializer="json",
        accept_content=["json"],
        timezone="Europe/Paris",
        enable_utc=True,
        worker_hijack_root_logger=False,
    )
    return app
