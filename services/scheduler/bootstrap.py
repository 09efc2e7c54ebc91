"""Builds the scheduler service's dependencies once; tests call it with their own settings."""

from __future__ import annotations

from services.scheduler.adapters.db import metadata
from services.scheduler.entrypoints.streams import subscribe
from services.scheduler.settings import SchedulerSettings
from shared.service import ServiceKit, make_kit


def bootstrap(settings: SchedulerSettings | None = None) -> ServiceKit:
    settings = settings or SchedulerSettings()
    kit = make_kit("scheduler", settings, metadata, settings.database_url)
    subscribe(kit)
    return kit
