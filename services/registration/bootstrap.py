"""Builds the registration service's dependencies once; tests call it with their own settings."""

from __future__ import annotations

from services.registration.adapters.db import metadata
from services.registration.entrypoints.streams import subscribe
from services.registration.settings import RegistrationSettings
from shared.service import ServiceKit, make_kit


def bootstrap(settings: RegistrationSettings | None = None) -> ServiceKit:
    settings = settings or RegistrationSettings()
    kit = make_kit("registration", settings, metadata, settings.database_url)
    subscribe(kit)
    return kit
