"""`rencontres notifier ...` commands."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from services.notifier.settings import NotifierSettings
from shared.retention import RetentionCounts, retention_command
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


def _retention(dry_run: bool) -> tuple[dt.datetime, RetentionCounts]:
    from services.notifier.bootstrap import bootstrap
    from services.notifier.service_layer.retention import apply_retention
    from shared import retention

    return retention.run(bootstrap().kit, apply_retention, dry_run=dry_run)


cli.add_command(retention_command(_retention, lambda: NotifierSettings().retention_months))
