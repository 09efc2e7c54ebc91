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


@cli.command("run-due", help="Fait ce qui est échu (questionnaire de suivi, relances), une fois.")
def run_due_command() -> None:
    """For a cron job when the HTTP process does not run the periodic check itself."""
    import click

    from services.surveys.bootstrap import bootstrap
    from services.surveys.service_layer.surveys import run_due

    kit = bootstrap()
    done = run_due(kit.factory, kit.outbox, kit.settings)  # type: ignore[arg-type]
    click.echo(f"surveys: {done} tâche(s) échue(s) faite(s)")
