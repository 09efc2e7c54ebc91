"""`rencontres`: one command line for every service, the offline planner and the local runner."""

from __future__ import annotations

import click

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


main.add_command(up)

if __name__ == "__main__":
    main()
