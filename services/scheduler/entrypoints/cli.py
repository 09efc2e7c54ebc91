"""`rencontres scheduler ...` commands, and `rencontres plan`: a day planned from files alone."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import click

from services.scheduler.domain.explain import Explanation
from services.scheduler.service_layer.offline import plan_offline
from services.scheduler.settings import SchedulerSettings
from shared.edition import default_edition
from shared.formats.edition_file import EditionFileError, parse_edition
from shared.formats.participants import parse_participants
from shared.formats.schedule import write_schedule
from shared.service import service_commands

EXPLAIN_HEADER = ("type", "porteur_email", "expert_email", "thematique", "demande_par", "raison")
INVALID_INPUT = 2


def explanations_csv(explanations: tuple[Explanation, ...]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPLAIN_HEADER)
    for x in explanations:
        writer.writerow((x.kind.value, x.holder_id, x.expert_id, x.tag, x.asked_by, x.reason))
    return out.getvalue()


@click.command("plan")
@click.option(
    "--participants",
    "participants_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Fichier des participants (.csv ou .xlsx).",
)
@click.option(
    "--edition",
    "edition_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Fichier d'édition (TOML) ; sinon les valeurs de la fiche action.",
)
@click.option(
    "--out",
    "out_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Planning à écrire (CSV).",
)
@click.option(
    "--explain",
    "explain_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Raisons des souhaits et besoins sans rendez-vous (CSV).",
)
def plan(
    participants_path: Path, edition_path: Path | None, out_path: Path, explain_path: Path | None
) -> None:
    """Planifier les rendez-vous à partir des fichiers, sans aucun service."""
    if edition_path is None:
        edition = default_edition()
    else:
        try:
            edition = parse_edition(edition_path.read_text(encoding="utf-8"))
        except (EditionFileError, UnicodeDecodeError) as exc:
            click.echo(f"Fichier d'édition invalide : {edition_path}", err=True)
            click.echo(str(exc), err=True)
            raise SystemExit(INVALID_INPUT) from exc

    imported = parse_participants(participants_path.read_bytes(), participants_path.name, edition)
    for warning in imported.warnings:
        click.echo(f"Attention, {warning}", err=True)
    if not imported.ok:
        click.echo(
            f"Fichier des participants invalide, rien n'est planifié "
            f"({len(imported.errors)} erreur(s)) :",
            err=True,
        )
        for error in imported.errors:
            click.echo(f"  {error}", err=True)
        raise SystemExit(INVALID_INPUT)

    result = plan_offline(edition, imported.rows)
    out_path.write_text(write_schedule(result.schedule), encoding="utf-8")
    if explain_path is not None:
        explain_path.write_text(explanations_csv(result.explanations), encoding="utf-8")

    bound = result.plan.bound
    placed = len(result.plan.appointments)
    holders = len(result.problem.holders)
    click.echo(f"Rendez-vous placés : {placed}")
    click.echo(f"Porteurs avec au moins un rendez-vous : {result.holders_with_meeting}/{holders}")
    if bound is not None:
        click.echo(
            f"Borne supérieure prouvée : {bound.meetings} rendez-vous "
            f"(ratio {bound.ratio(placed):.2%}), "
            f"{bound.holders_with_meeting} porteurs au plus"
        )
    click.echo(f"Temps de calcul : {result.seconds:.2f} s")
    click.echo(f"Planning écrit dans {out_path}")


cli = service_commands(
    name="scheduler",
    package_dir=Path(__file__).resolve().parents[1],
    settings=SchedulerSettings,
    app_factory="services.scheduler.entrypoints.http:create_app",
    help_text="Planning : programme de l'édition, rendez-vous, agendas, sessions.",
)
