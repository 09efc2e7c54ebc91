"""Builds the surveys service's dependencies once; tests call it with their own settings."""

from __future__ import annotations

from services.surveys.adapters.db import metadata
from services.surveys.entrypoints.streams import subscribe
from services.surveys.settings import SurveysSettings
from shared.service import ServiceKit, make_kit


def bootstrap(settings: SurveysSettings | None = None) -> ServiceKit:
    settings = settings or SurveysSettings()
    kit = make_kit("surveys", settings, metadata, settings.database_url)
    subscribe(kit)
    return kit
