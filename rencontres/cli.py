"""`rencontres`: one command line for every service, the offline planner and the local runner.

Sub-commands are imported only when they run (click's lazy group pattern): `rencontres --help`
and `rencontres plan` load no service, SQLAlchemy, FastStream or Celery module.
"""

from __future__ import annotations

import importlib

import click

# name -> (module:attribute of the command, its one-line help for `rencontres --help`)
LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    "registration": (
        "services.registration.entrypoints.cli:cli",
        "Inscriptions : participants, formulaires, back-office, émargement, RGPD.",
    ),
    "scheduler": (
        "services.scheduler.entrypoints.cli:cli",
        "Planning : programme de l'édition, rendez-vous, agendas, sessions.",
    ),
    "notifier": (
        "services.notifier.entrypoints.cli:cli",
        "Emails : confirmations, agendas, changements, rappels.",
    ),
    "surveys": (
        "services.surveys.entrypoints.cli:cli",
        "Questionnaires : envois, réponses, rapport d'évaluation.",
    ),
    "plan": (
        "rencontres.plan:plan",
        "Planifier les rendez-vous à partir des fichiers, sans aucun service.",
    ),
    "up": (
        "rencontres.up:up",
        "Lance toute la plateforme sur cette machine, relance un processus qui s'arrête "
        "(Ctrl-C pour tout arrêter).",
    ),
    "demo": (
        "rencontres.demo:demo",
        "Joue une édition complète sur une plateforme lancée pour l'occasion.",
    ),
}
SERVICES = ("registration", "scheduler", "notifier", "surveys")


def load(name: str) -> click.Command:
    module, _, attribute = LAZY_COMMANDS[name][0].partition(":")
    command = getattr(importlib.import_module(module), attribute)
    assert isinstance(command, click.Command)
    return command


class LazyGroup(click.Group):
    """A group whose commands in LAZY_COMMANDS are imported when asked for by name."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LAZY_COMMANDS:
            return load(cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The list of `--help`, from the declared help lines: nothing is imported."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            if name in LAZY_COMMANDS:
                stand_in = click.Command(name, help=LAZY_COMMANDS[name][1])
                rows.append((name, stand_in.get_short_help_str(limit)))
            elif (command := super().get_command(ctx, name)) is not None:
                rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, help="Rencontres : la journée de rendez-vous du financement de l'ESS.")
def main() -> None:
    pass


@main.command(help="Applique les migrations de tous les services.")
@click.pass_context
def migrate(ctx: click.Context) -> None:
    for name in SERVICES:
        service = load(name)
        assert isinstance(service, click.Group)
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


if __name__ == "__main__":
    main()
