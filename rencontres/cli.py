"""`rencontres`: one command line for every service, the offline planner and the local runner."""

from __future__ import annotations

import click

from rencontres.demo import demo
from rencontres.up import up
from services.notifier.entrypoints.cli import cli as notifier
from services.registration.entrypoints.cli import cli as registration
from services.scheduler.entrypoints.cli import cli as scheduler
from services.scheduler.entrypoints.cli import plan
from services.surveys.entrypoints.cli import cli as surveys

SERVICES = (registration, scheduler, notifier, surveys)


@click.group(help="Rencontres : la journée de rendez-vous du financement de l'ESS.")
def main() -> None:
    pass


for service in SERVICES:
    main.add_command(service)
main.add_command(plan)


@main.command(help="Applique les migrations de tous les services.")
@click.pass_context
def migrate(ctx: click.Context) -> None:
    for service in SERVICES:
        ctx.invoke(service.commands["migrate"])


@main.group(help="Accès Redis des applications abonnées aux événements.")
def acl() -> None:
    pass


@acl.command(
    "subscriber",
    help="Crée (ou remplace) l'utilisateur Redis NAME, limité à la lecture des flux publics "
    "avec son propre groupe de consommateurs.",
)
@click.argument("name")
@click.password_option("--password", help="Mot de passe de l'utilisateur Redis.")
def acl_subscriber(name: str, password: str) -> None:
    import redis

    from shared.bus.acl import create_subscriber, public_streams
    from shared.settings import BaseServiceSettings

    settings = BaseServiceSettings()
    create_subscriber(redis.Redis.from_url(settings.redis_url), name, password, settings.bus_prefix)
    click.echo(f"Utilisateur Redis « {name} » prêt ; flux lisibles :")
    for stream in public_streams(settings.bus_prefix):
        click.echo(f"  {stream}")


main.add_command(up)
main.add_command(demo)

if __name__ == "__main__":
    main()
