"""`rencontres scheduler ...` commands; `rencontres plan` (files alone) is in rencontres/plan.py."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from services.scheduler.settings import SchedulerSettings
from shared.retention import RetentionCounts, retention_command
from shared.service import service_commands

cli = service_commands(
    name="scheduler",
    package_dir=Path(__file__).resolve().parents[1],
    settings=SchedulerSettings,
    app_factory="services.scheduler.entrypoints.http:create_app",
    help_text="Planning : programme de l'édition, rendez-vous, agendas, sessions.",
)


def _retention(dry_run: bool) -> tuple[dt.datetime, RetentionCounts]:
    from services.scheduler.bootstrap import bootstrap
    from services.scheduler.service_layer.retention import apply_retention
    from shared import retention

    return retention.run(bootstrap().kit, apply_retention, dry_run=dry_run)


cli.add_command(retention_command(_retention, lambda: SchedulerSettings().retention_months))
