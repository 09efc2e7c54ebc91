"""`rencontres scheduler ...` commands; `rencontres plan` (files alone) is in rencontres/plan.py."""

from __future__ import annotations

from pathlib import Path

from services.scheduler.settings import SchedulerSettings
from shared.service import service_commands

cli = service_commands(
    name="scheduler",
    package_dir=Path(__file__).resolve().parents[1],
    settings=SchedulerSettings,
    app_factory="services.scheduler.entrypoints.http:create_app",
    help_text="Planning : programme de l'édition, rendez-vous, agendas, sessions.",
)
