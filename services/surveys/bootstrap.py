"""Builds the surveys service's dependencies once; tests call it with their own settings."""

from __future__ import annotations

from services.surveys.adapters.db import metadata
from services.surveys.entrypoints.streams import SUBSCRIPTIONS
from services.surveys.service_layer.context import Surveys
from services.surveys.settings import SurveysSettings
from shared.service import make_kit


def bootstrap(settings: SurveysSettings | None = None) -> Surveys:
    settings = settings or SurveysSettings()
    kit = make_kit("surveys", settings, metadata, settings.database_url)
    app = Surveys(kit=kit, settings=settings)
    kit.consumer.subscribe(app, SUBSCRIPTIONS)
    return app
