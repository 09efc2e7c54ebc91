"""Builds the notifier service's dependencies once; tests call it with their own settings."""

from __future__ import annotations

from services.notifier.adapters.db import metadata
from services.notifier.adapters.queue import Dispatcher
from services.notifier.entrypoints.streams import SUBSCRIPTIONS
from services.notifier.service_layer.context import Notifier
from services.notifier.service_layer.intake import IntakeRules
from services.notifier.settings import NotifierSettings
from shared.service import make_kit
from shared.tasks import make_celery

__all__ = ["Notifier", "bootstrap"]


def bootstrap(settings: NotifierSettings | None = None) -> Notifier:
    settings = settings or NotifierSettings()
    kit = make_kit("notifier", settings, metadata, settings.database_url)
    rules = IntakeRules(
        change_window_s=settings.email_change_window_s,
        reminder_hour=settings.reminder_hour,
        timezone=settings.timezone,
    )
    dispatcher = Dispatcher(kit.engine, make_celery("notifier", settings))
    app = Notifier(kit=kit, settings=settings, dispatcher=dispatcher, rules=rules)
    kit.consumer.subscribe(app, SUBSCRIPTIONS)
    return app
