"""The registration service's HTTP app."""

from __future__ import annotations

import redis
from fastapi import FastAPI

from services.registration.bootstrap import bootstrap
from services.registration.entrypoints import (
    admin,
    badges,
    checkin,
    internal,
    public,
    selfservice,
    writing,
)
from services.registration.entrypoints.import_worker import ImportWorker
from services.registration.entrypoints.web import TEMPLATES
from services.registration.service_layer.retention import apply_retention
from shared import retention
from shared.communes import home_department
from shared.edition import default_edition
from shared.ratelimit import RateLimiter
from shared.retention import french_duration
from shared.service import ServiceKit
from shared.web import Pages
from shared.web import create_app as create_base_app


def create_app(kit: ServiceKit | None = None) -> FastAPI:
    kit = kit or bootstrap().kit
    importer = ImportWorker(kit)
    # The privacy notice states the retention that the daily step applies.
    pages = Pages(
        kit.settings,
        TEMPLATES,
        globals_={
            "retention": french_duration(kit.settings.retention_months),
            "commune_names": home_department(),
        },
    )
    app = create_base_app(
        service="registration",
        title="Rencontres – registration",
        settings=kit.settings,
        pages=pages,
        runtime=kit.runtime,
        # The public entry: this year's registration forms.
        home=f"/inscription/{default_edition().edition_id}",
        retention=lambda: retention.run(kit, apply_retention),
        background=lambda: importer,
    )
    app.state.kit = kit
    app.state.importer = importer
    app.state.limiter = RateLimiter(
        redis.Redis.from_url(kit.settings.redis_url),
        kit.settings.bus_prefix,
        kit.settings.secret_key.get_secret_value(),
    )
    app.include_router(public.router)
    app.include_router(internal.router)
    app.include_router(admin.router)
    app.include_router(checkin.router)
    app.include_router(badges.router)
    app.include_router(selfservice.router)
    app.include_router(writing.router)
    return app
