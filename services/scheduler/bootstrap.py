"""Builds the scheduler service's dependencies once; tests call it with their own settings."""

from __future__ import annotations

from services.scheduler.adapters.db import metadata
from services.scheduler.adapters.registration import Directory, RegistrationClient
from services.scheduler.entrypoints.streams import SUBSCRIPTIONS
from services.scheduler.service_layer.context import Clock, Scheduler
from services.scheduler.settings import SchedulerSettings
from shared.events import utc_now
from shared.service import make_kit


def bootstrap(
    settings: SchedulerSettings | None = None,
    clock: Clock | None = None,
    directory: Directory | None = None,
) -> Scheduler:
    settings = settings or SchedulerSettings()
    kit = make_kit("scheduler", settings, metadata, settings.database_url)
    app = Scheduler(
        kit=kit,
        settings=settings,
        directory=directory
        or RegistrationClient(
            settings.registration_internal_url, settings.service_token.get_secret_value()
        ),
        clock=clock or utc_now,
    )
    kit.consumer.subscribe(app, SUBSCRIPTIONS)
    return app
