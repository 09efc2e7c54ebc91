"""`rencontres registration ...` commands."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from services.registration.settings import RegistrationSettings
from shared.retention import RetentionCounts, retention_command
from shared.service import service_commands

cli = service_commands(
    name="registration",
    package_dir=Path(__file__).resolve().parents[1],
    settings=RegistrationSettings,
    app_factory="services.registration.entrypoints.http:create_app",
    help_text="Inscriptions : participants, formulaires, back-office, émargement, RGPD.",
)


@cli.group(help="Comptes du back-office.")
def admin() -> None:
    pass


@admin.command(
    "create",
    help="Crée un compte du back-office, ou change son mot de passe (ce qui ferme ses sessions).",
)
@click.option("--email", required=True, help="Adresse email de connexion.")
@click.password_option("--password", help="Demandé s'il n'est pas donné (recommandé).")
def admin_create(email: str, password: str) -> None:
    from services.registration.bootstrap import bootstrap
    from services.registration.service_layer.admins import create_admin
    from shared.db import transaction

    kit = bootstrap().kit
    try:
        with transaction(kit.factory) as session:
            created = create_admin(session, kit, email, password)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    if created:
        click.echo(f"Compte créé : {email}")
    else:
        click.echo(f"Mot de passe changé : {email} (ses sessions ouvertes sont fermées)")


@admin.command("disable", help="Désactive un compte du back-office et ferme ses sessions.")
@click.option("--email", required=True, help="Adresse email de connexion.")
def admin_disable(email: str) -> None:
    from services.registration.bootstrap import bootstrap
    from services.registration.service_layer.admins import UnknownAccount, disable_admin
    from shared.db import transaction

    kit = bootstrap().kit
    try:
        with transaction(kit.factory) as session:
            ended = disable_admin(session, kit, email)
    except UnknownAccount as exc:
        raise click.ClickException(f"aucun compte pour {email}") from exc
    click.echo(f"Compte désactivé : {email} ({ended} session(s) fermée(s))")


def _retention(dry_run: bool) -> tuple[dt.datetime, RetentionCounts]:
    from services.registration.bootstrap import bootstrap
    from services.registration.service_layer.retention import apply_retention
    from shared import retention

    return retention.run(bootstrap().kit, apply_retention, dry_run=dry_run)


cli.add_command(retention_command(_retention, lambda: RegistrationSettings().retention_months))


@cli.command(
    help="Efface les coordonnées des éditions tenues il y a plus de N jours, sauf accord pour "
    "être recontacté (la même chose que « retention », avec une autre durée, à la main)."
)
@click.option("--older-than-days", required=True, type=click.IntRange(min=0))
def purge(older_than_days: int) -> None:
    from services.registration.bootstrap import bootstrap
    from services.registration.service_layer.participants import purge as purge_participants
    from shared.db import transaction

    kit = bootstrap().kit
    with transaction(kit.factory) as session:
        count = purge_participants(session, kit, older_than_days)
    click.echo(f"{count} personne(s) effacée(s)")


@cli.command(
    help="Efface une personne (toutes ses inscriptions) et tout ce que les services en gardent."
)
@click.option("--email", help="Adresse de la personne.")
@click.option("--participant", "participant_id", help="Ou son identifiant (fiche).")
@click.option("--yes", is_flag=True, help="Sans demander de confirmation.")
def erase(email: str | None, participant_id: str | None, yes: bool) -> None:
    from services.registration.bootstrap import bootstrap
    from services.registration.domain.model import RegistrationError, normalise_email
    from services.registration.service_layer.participants import erase_all, registrations_of
    from shared.db import transaction

    if (email is None) == (participant_id is None):
        raise click.UsageError("indiquez --email ou --participant")
    kit = bootstrap().kit
    if participant_id is not None:
        ids, what = [participant_id], f"l'inscription {participant_id}"
    else:
        try:
            address = normalise_email(email or "")
        except ValueError as exc:
            raise click.ClickException(f"adresse invalide : {email}") from exc
        with kit.factory() as session:
            rows = registrations_of(session, address)
        if not rows:
            raise click.ClickException(f"aucune inscription pour {address}")
        editions = ", ".join(row.edition_id for row in rows)
        ids = [row.participant_id for row in rows]
        what = f"{len(rows)} inscription(s) de {address} (édition(s) {editions})"
    click.echo(f"À effacer : {what}.")
    if not yes:
        click.confirm("Effacer définitivement ? Cette action est irréversible.", abort=True)
    try:
        with transaction(kit.factory) as session:
            count = erase_all(session, kit, ids, "demande reçue par l'équipe")
    except RegistrationError as exc:
        raise click.ClickException("personne inconnue ou déjà effacée") from exc
    click.echo(f"{count} inscription(s) effacée(s) ; les autres services l'oublient à leur tour.")


@cli.command(name="import", help="Importe un fichier de participants (CSV ou .xlsx).")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--edition", "edition_id", help="Par défaut, l'édition de cette année.")
@click.option("--dry-run", is_flag=True, help="Vérifie le fichier sans rien enregistrer.")
def import_command(path: Path, edition_id: str | None, dry_run: bool) -> None:
    from services.registration.bootstrap import bootstrap
    from services.registration.entrypoints.import_worker import import_now
    from shared.edition import default_edition

    report = import_now(
        bootstrap().kit,
        edition_id or default_edition().edition_id,
        path.read_bytes(),
        path.name,
        dry_run=dry_run,
    )
    for issue in report.warnings:
        click.echo(f"attention, {issue}")
    for issue in report.errors:
        click.echo(f"erreur, {issue}", err=True)
    if not report.ok or report.outcome is None:
        raise click.ClickException("fichier refusé : rien n'a été importé")
    o = report.outcome
    verb = "seraient" if dry_run else "ont été"
    click.echo(
        f"{o.created} créé(s), {o.updated} modifié(s), {o.unchanged} inchangé(s) : {verb} importés"
    )
