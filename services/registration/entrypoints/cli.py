"""`rencontres registration ...` commands."""

from __future__ import annotations

from pathlib import Path

import click

from services.registration.settings import RegistrationSettings
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


@admin.command("create", help="Crée un compte du back-office (ou change son mot de passe).")
@click.option("--email", required=True, help="Adresse email de connexion.")
@click.password_option("--password", help="Demandé s'il n'est pas donné (recommandé).")
def admin_create(email: str, password: str) -> None:
    from services.registration.bootstrap import bootstrap
    from services.registration.service_layer.admins import create_admin

    kit = bootstrap()
    try:
        created = create_admin(kit, email, password)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Compte {'créé' if created else 'mis à jour'} : {email}")


@cli.command(help="Efface les coordonnées des éditions passées, sauf accord pour être recontacté.")
@click.option("--older-than-days", required=True, type=click.IntRange(min=0))
def purge(older_than_days: int) -> None:
    from services.registration.bootstrap import bootstrap
    from services.registration.service_layer.participants import purge as purge_participants

    count = purge_participants(bootstrap(), older_than_days)
    click.echo(f"{count} personne(s) effacée(s)")
