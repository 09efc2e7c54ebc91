"""`rencontres surveys ...` commands."""

from __future__ import annotations

from pathlib import Path

from services.surveys.settings import SurveysSettings
from shared.service import service_commands

cli = service_commands(
    name="surveys",
    package_dir=Path(__file__).resolve().parents[1],
    settings=SurveysSettings,
    app_factory="services.surveys.entrypoints.http:create_app",
    help_text="Questionnaires : envois, réponses, rapport d'évaluation.",
)
