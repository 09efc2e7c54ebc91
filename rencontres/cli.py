"""Root command line (minimal; the full one registers every service's commands)."""

import click

from services.scheduler.entrypoints.cli import plan


@click.group()
def main() -> None:
    """Rencontres du financement de l'ESS."""


main.add_command(plan)
