"""Builds the registration service's dependencies once; tests call it with their own settings."""

from __future__ import annotations

from services.registration.adapters.db import metadata
from services.registration.entrypoints.streams import SUBSCRIPTIONS
from services.registration.service_layer.context import Registration
from services.registration.settings import RegistrationSettings
from shared.service import make_kit


def bootstrap(settings: RegistrationSettings | None = None) -> Registration:
    settings = settings or RegistrationSettings()
    kit = make_kit("registration", settings, metadata, settings.database_url)
    app = Registration(kit=kit, settings=settings)
    kit.consumer.subscribe(app, SUBSCRIPTIONS)
    return app
