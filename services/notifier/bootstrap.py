"""Builds the notifier service's dependencies once; tests call it with their own settings."""

from __future__ import annotations

from dataclasses import dataclass

from services.notifier.adapters.db import metadata
from services.notifier.adapters.queue import Dispatcher
from services.notifier.entrypoints.streams import subscribe
from services.notifier.service_layer.intake import IntakeRules
from services.notifier.settings import NotifierSettings
from shared.service import ServiceKit, make_kit
from shared.tasks import make_celery


@dataclass
class Notifier:
    """The shared kit plus what only the notifier has: its settings and the dispatcher."""

    kit: ServiceKit
    settings: NotifierSettings
    dispatcher: Dispatcher


def bootstrap(settings: NotifierSettings | None = None) -> Notifier:
    settings = settings or NotifierSettings()
    kit = make_kit("notifier", settings, metadata, settings.database_url)
    dispatcher = Dispatcher(kit.engine, make_celery("notifier", settings))
    rules = IntakeRules(
        change_window_s=settings.email_change_window_s,
        reminder_hour=settings.reminder_hour,
        timezone=settings.timezone,
    )
    subscribe(kit, dispatcher, rules)
    return Notifier(kit=kit, settings=settings, dispatcher=dispatcher)
