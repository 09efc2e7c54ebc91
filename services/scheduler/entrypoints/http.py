"""The scheduler service's HTTP app: back-office (programme, grid, day), personal agendas,
the JSON API of the same use cases and the internal API for the notifier."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI

from services.scheduler.bootstrap import bootstrap
from services.scheduler.entrypoints import agendas, api, day, grid, internal, programme, sheets
from services.scheduler.entrypoints.clock import tick
from services.scheduler.entrypoints.web import TEMPLATES
from services.scheduler.service_layer.context import Scheduler
from services.scheduler.service_layer.editions import ensure_edition
from services.scheduler.service_layer.retention import apply_retention
from shared import retention
from shared.db import transaction
from shared.web import Pages
from shared.web import create_app as create_base_app

log = logging.getLogger(__name__)


def create_app(app_: Scheduler | None = None) -> FastAPI:
    sched = app_ or bootstrap()
    settings = sched.kit.settings
    app = create_base_app(
        service="scheduler",
        title="Rencontres – scheduler",
        settings=settings,
        pages=Pages(settings, TEMPLATES),
        runtime=sched.kit.runtime,
        home=f"{settings.public_urls()['registration']}/admin",
        retention=lambda: retention.run(sched.kit, apply_retention),
    )
    app.state.scheduler = sched
    app.state.kit = sched.kit
    for router in (programme, sheets, grid, day, agendas, api, internal):
        app.include_router(router.router)
    _add_lifespan(app, sched)
    return app


def _add_lifespan(app: FastAPI, sched: Scheduler) -> None:
    """Around the base lifespan (bus runtime): announce the edition once, then check the clock
    periodically (sessions to close, absentees)."""
    base = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app_: FastAPI) -> AsyncIterator[Any]:
        async with base(app_) as state:
            await asyncio.to_thread(_announce_edition, sched)
            task = asyncio.create_task(_tick_forever(sched))
            try:
                yield state
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app.router.lifespan_context = lifespan


def _announce_edition(sched: Scheduler) -> None:
    try:
        with transaction(sched.kit.factory) as session:
            ensure_edition(session, sched.outbox, sched.edition_id, sched.clock())
    except Exception as exc:  # tables missing: `rencontres scheduler migrate` first
        log.error("scheduler: programme de l'édition illisible (%s)", type(exc).__name__)


async def _tick_forever(sched: Scheduler) -> None:
    while True:
        try:
            await asyncio.to_thread(tick, sched)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the next tick tries again
            log.warning("scheduler tick: %s", type(exc).__name__)
        await asyncio.sleep(sched.settings.tick_interval_s)
