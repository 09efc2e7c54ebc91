"""`rencontres plan`: a day planned from files alone, without any service.

The planner's modules are imported when the command runs, so that `rencontres --help` and
the other commands do not pay for them.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from shared.formats.cells import write_rows

if TYPE_CHECKING:
    from services.scheduler.domain.explain import Explanation
    from services.scheduler.service_layer.offline import OfflineResult
    from shared.formats.pairs import RequiredMeeting

EXPLAIN_HEADER = ("type", "porteur_email", "expert_email", "thematique", "demande_par", "raison")
INVALID_INPUT = 2
DEFAULT_PLACEMENT_SECONDS = 5.0  # the solver's own default, repeated here to keep --help light


def explanations_csv(explanations: Iterable[Explanation]) -> str:
    out = io.StringIO()
    rows = (
        (x.kind.value, x.holder_id, x.expert_id, x.tag, x.asked_by, x.reason) for x in explanations
    )
    write_rows(out, [EXPLAIN_HEADER, *rows], lineterminator="\n")
    return out.getvalue()


def _refuse(title: str, problems: Iterable[object]) -> NoReturn:
    click.echo(title, err=True)
    for problem in problems:
        click.echo(f"  {problem}", err=True)
    raise SystemExit(INVALID_INPUT)


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
    "--pairs",
    "pairs_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Rendez-vous imposés (.csv ou .xlsx) : un porteur, un expert, "
    "et au besoin matin ou apres-midi, par ligne.",
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
@click.option(
    "--placement-seconds",
    type=click.FloatRange(min=0),
    default=DEFAULT_PLACEMENT_SECONDS,
    show_default=True,
    help="Temps maximal du placement exact (CP-SAT) qui réduit les temps morts entre "
    "rendez-vous ; 0 : réparation locale seule.",
)
def plan(
    participants_path: Path,
    edition_path: Path | None,
    pairs_path: Path | None,
    out_path: Path,
    explain_path: Path | None,
    placement_seconds: float,
) -> None:
    """Planifier les rendez-vous à partir des fichiers, sans aucun service."""
    from services.scheduler.domain.required import RequiredPairError
    from services.scheduler.service_layer.offline import plan_offline
    from shared.edition import default_edition
    from shared.formats.edition_file import EditionFileError, parse_edition
    from shared.formats.pairs import parse_pairs
    from shared.formats.participants import parse_participants
    from shared.formats.schedule import write_schedule

    if edition_path is None:
        edition = default_edition()
    else:
        try:
            edition = parse_edition(edition_path.read_text(encoding="utf-8"))
        except (EditionFileError, UnicodeDecodeError) as exc:
            _refuse(f"Fichier d'édition invalide : {edition_path}", [exc])

    imported = parse_participants(participants_path.read_bytes(), participants_path.name, edition)
    for warning in imported.warnings:
        click.echo(f"Attention, {warning}", err=True)
    if not imported.ok:
        _refuse(
            f"Fichier des participants invalide, rien n'est planifié "
            f"({len(imported.errors)} erreur(s)) :",
            imported.errors,
        )
    pairs: tuple[RequiredMeeting, ...] = ()
    if pairs_path is not None:
        required = parse_pairs(pairs_path.read_bytes(), pairs_path.name, imported.rows)
        for warning in required.warnings:
            click.echo(f"Attention, {warning}", err=True)
        if not required.ok:
            _refuse(
                f"Fichier des rendez-vous imposés invalide, rien n'est planifié "
                f"({len(required.errors)} erreur(s)) :",
                required.errors,
            )
        pairs = required.pairs

    try:
        result = plan_offline(edition, imported.rows, pairs, placement_seconds)
    except RequiredPairError as exc:
        _refuse("Rendez-vous imposé impossible, rien n'est planifié :", [exc])
    out_path.write_text(write_schedule(result.schedule), encoding="utf-8")
    if explain_path is not None:
        explain_path.write_text(explanations_csv(result.explanations), encoding="utf-8")
    _report(result, out_path)


def _report(result: OfflineResult, out_path: Path) -> None:
    from services.scheduler.domain.bounds import ratio

    plan_ = result.plan
    placed = len(plan_.appointments)
    holders = len(result.problem.holders)
    click.echo(f"Rendez-vous placés : {placed}")
    click.echo(f"Porteurs avec au moins un rendez-vous : {result.holders_with_meeting}/{holders}")
    if result.problem.required:
        click.echo(f"Rendez-vous imposés : {len(result.problem.required)}, tous placés")
    bound = plan_.bound
    if bound is not None:
        click.echo(
            f"Borne supérieure prouvée : {bound.meetings} rendez-vous "
            f"(ratio {ratio(placed, bound.meetings):.2%}), "
            f"{bound.holders_with_meeting} porteurs au plus"
        )
        click.echo("Objectif, niveau par niveau (planning / borne prouvée) :")
        order = result.problem.needs_before_wishes
        levels = zip(plan_.figures.levels(order), bound.levels(order), strict=True)
        for n, ((label, value), (_, most)) in enumerate(levels, start=1):
            click.echo(f"  {n}. {label} : {value} / {most} ({ratio(value, most):.2%})")
    proven = "" if plan_.gaps_bound is None else f", au moins {plan_.gaps_bound} (prouvé)"
    click.echo(
        f"Temps morts entre rendez-vous : {plan_.gaps}{proven} ; placement : {plan_.placement}"
    )
    click.echo(f"Temps de calcul : {result.seconds:.2f} s")
    click.echo(f"Planning écrit dans {out_path}")
