"""`rencontres surveys ...` commands."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from services.surveys.settings import SurveysSettings
from shared.retention import RetentionCounts, retention_command
from shared.service import service_commands


def parse_now(text: str) -> dt.datetime:
    """An ISO date or date-time; without a time zone it is Paris time."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise click.BadParameter(
            f"date invalide : {text!r} (AAAA-MM-JJ ou AAAA-MM-JJTHH:MM)"
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("Europe/Paris"))
    return moment.astimezone(dt.UTC)


cli = service_commands(
    name="surveys",
    package_dir=Path(__file__).resolve().parents[1],
    settings=SurveysSettings,
    app_factory="services.surveys.entrypoints.http:create_app",
    help_text="Questionnaires : envois, réponses, rapport d'évaluation.",
)


@cli.command("run-due", help="Fait ce qui est échu (questionnaire de suivi, relances), une fois.")
@click.option(
    "--now",
    "now_text",
    default=None,
    metavar="AAAA-MM-JJ[THH:MM]",
    help="Fait comme s'il était cette date (heure de Paris si aucun fuseau n'est donné) : "
    "rattraper un envoi, ou essayer le questionnaire de suivi sans attendre six semaines.",
)
def run_due_command(now_text: str | None) -> None:
    """For a cron job when the HTTP process does not run the periodic check itself."""
    from services.surveys.bootstrap import bootstrap
    from services.surveys.entrypoints.due import run_due

    now = parse_now(now_text) if now_text else None
    app = bootstrap()
    done = run_due(app.kit.factory, app.kit.outbox, app.settings, now=now)
    click.echo(f"surveys: {done} tâche(s) échue(s) faite(s)")


def _retention(dry_run: bool) -> tuple[dt.datetime, RetentionCounts]:
    from services.surveys.bootstrap import bootstrap
    from services.surveys.service_layer.retention import apply_retention
    from shared import retention

    return retention.run(bootstrap().kit, apply_retention, dry_run=dry_run)


cli.add_command(retention_command(_retention, lambda: SurveysSettings().retention_months))
