"""The surveys service's HTTP app: questionnaires, back-office, report, internal API."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis
from fastapi import FastAPI

from services.surveys.adapters.registration import Directory
from services.surveys.bootstrap import bootstrap
from services.surveys.domain.budget import euros
from services.surveys.domain.questions import TYPE_LABELS, choices
from services.surveys.entrypoints import admin, public
from services.surveys.entrypoints.due import run_due
from services.surveys.entrypoints.web import TEMPLATES
from services.surveys.service_layer.retention import apply_retention
from services.surveys.settings import SurveysSettings
from shared import retention
from shared.ratelimit import RateLimiter
from shared.service import ServiceKit
from shared.web import Pages
from shared.web import create_app as create_base_app

log = logging.getLogger(__name__)


async def run_due_forever(kit: ServiceKit, interval_s: float) -> None:
    """Ex-post openings and reminders whose date has come; safe with several processes."""
    assert isinstance(kit.settings, SurveysSettings)
    while True:
        try:
            await asyncio.to_thread(run_due, kit.factory, kit.outbox, kit.settings)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the database may be away for a while: try again later
            log.warning("surveys due work: %s, retrying", type(exc).__name__)
        await asyncio.sleep(interval_s)


def create_app(kit: ServiceKit | None = None) -> FastAPI:
    kit = kit or bootstrap().kit
    pages = Pages(
        kit.settings,
        TEMPLATES,
        globals_={"choices": choices, "TYPE_LABELS": TYPE_LABELS},
        filters={"euros": euros},
    )
    app = create_base_app(
        service="surveys",
        title="Rencontres – surveys",
        settings=kit.settings,
        pages=pages,
        runtime=kit.runtime,
        home=f"{kit.settings.public_urls()['registration']}/admin",
        retention=lambda: retention.run(kit, apply_retention),
    )
    app.state.kit = kit
    assert isinstance(kit.settings, SurveysSettings)
    app.state.directory = Directory(
        kit.settings.registration_internal_url, kit.settings.service_token.get_secret_value()
    )
    app.state.limiter = RateLimiter(
        redis.Redis.from_url(kit.settings.redis_url),
        kit.settings.bus_prefix,
        kit.settings.secret_key.get_secret_value(),
        namespace="surveys",
    )
    app.include_router(public.router)
    app.include_router(admin.router)
    app.include_router(admin.api)

    base_lifespan = app.router.lifespan_context
    interval = getattr(kit.settings, "due_interval_s", 0.0)

    @asynccontextmanager
    async def lifespan(a: FastAPI) -> AsyncIterator[None]:
        async with base_lifespan(a):
            task = asyncio.create_task(run_due_forever(kit, interval)) if interval > 0 else None
            try:
                yield
            finally:
                if task:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task

    app.router.lifespan_context = lifespan
    return app
