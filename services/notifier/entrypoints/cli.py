"""`rencontres notifier ...` commands."""

from __future__ import annotations

from pathlib import Path

from services.notifier.settings import NotifierSettings
from shared.service import add_celery_commands, service_commands

cli = service_commands(
    name="notifier",
    package_dir=Path(__file__).resolve().parents[1],
    settings=NotifierSettings,
    app_factory="services.notifier.entrypoints.http:create_app",
    help_text="Emails : confirmations, agendas, changements, rappels.",
)

add_celery_commands(
    cli,
    celery_app="services.notifier.entrypoints.tasks:celery_app",
    settings=NotifierSettings,
)
