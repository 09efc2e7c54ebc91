"""Builds the notifier service's dependencies once; tests call it with their own settings."""

from __future__ import annotations

from services.notifier.adapters.db import metadata
from services.notifier.entrypoints.streams import subscribe
from services.notifier.settings import NotifierSettings
from shared.service import ServiceKit, make_kit


def bootstrap(settings: NotifierSettings | None = None) -> ServiceKit:
    settings = settings or NotifierSettings()
    kit = make_kit("notifier", settings, metadata, settings.database_url)
    subscribe(kit)
    return kit
