"""Retention: what every service erases of its own data once RETENTION_MONTHS have passed.

Each service has one use case (`service_layer/retention.py`: a session and the cutoff in, its
counts per kind out, no commit) and every entrypoint runs it through `run()`, which owns the
transaction (a dry run's is rolled back) and records what was applied: one log line, one
Prometheus counter. It runs by itself once a day (the service process's background loop,
Celery beat for the notifier) and on demand with `rencontres <service> retention [--dry-run]`.
"""

from __future__ import annotations

import asyncio
import calendar
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, TypeVar

import click
from sqlalchemy import Table, delete, func, select
from sqlalchemy.orm import Session

from shared.bus.loops import stop_requested
from shared.db import transaction
from shared.events import utc_now
from shared.french import french_date
from shared.metrics import RETENTION_ERASED

if TYPE_CHECKING:
    from shared.service import ServiceKit

log = logging.getLogger(__name__)

# What an operator reads for each kind of count (command line); the kinds are the field names
# of the services' counts and the `kind` label of the metric.
KIND_LABELS = {
    "participants": "personnes des éditions passées (sauf accord pour être recontactées)",
    "answer_texts": "réponses libres aux questionnaires (remplacées par « [effacé] »)",
    "email_contents": "contenus d'emails du journal (la ligne reste : rien n'est renvoyé)",
    "processed_events": "traces d'événements déjà traités",
    "caught_messages": "copies d'emails gardées par le serveur d'emails d'essai de rencontres up",
    "import_jobs": "résultats d'imports de fichiers de plus de 30 jours",
}

# The first run waits an hour after the process starts (a restart, a test, a demonstration
# never erases at once), then one run a day.
FIRST_DELAY_S = 3600.0
INTERVAL_S = 24 * 3600.0


@dataclass(frozen=True)
class RetentionCounts:
    """Base of each service's counts: one int field per kind, erased (or, in a dry run, that
    would be)."""

    def by_kind(self) -> dict[str, int]:
        return {f.name: int(getattr(self, f.name)) for f in fields(self)}

    @property
    def total(self) -> int:
        return sum(self.by_kind().values())


CountsT = TypeVar("CountsT", bound=RetentionCounts)
# A service's step: (the kit, a session, now, dry run) -> its counts. It never commits.
Step = Callable[["ServiceKit", Session, dt.datetime, bool], CountsT]


def cutoff(kit: ServiceKit, now: dt.datetime) -> dt.datetime:
    """What is older than this goes: RETENTION_MONTHS before now."""
    return months_before(now, kit.settings.retention_months)


def run(
    kit: ServiceKit, step: Step[CountsT], *, dry_run: bool = False, now: dt.datetime | None = None
) -> tuple[dt.datetime, CountsT]:
    """Apply a service's step in one transaction, then log and count it (a dry run rolls
    back and records nothing); returns the cutoff and the counts."""
    now = now or utc_now()
    if dry_run:
        with kit.factory() as session:  # closed without a commit: rolled back
            return cutoff(kit, now), step(kit, session, now, True)
    with transaction(kit.factory) as session:
        counts = step(kit, session, now, False)
    record(kit.name, counts)
    return cutoff(kit, now), counts


def months_before(moment: dt.datetime, months: int) -> dt.datetime:
    """The same day and time `months` calendar months earlier (the month's last day if shorter)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def old_processed_events(session: Session, table: Table, before: dt.datetime, dry_run: bool) -> int:
    """Dedupe rows of events handled before `before`. Streams keep an event 30 days at most
    once every group has it, so a row that old can no longer meet its event again."""
    old = table.c.processed_at < before
    if dry_run:
        return int(session.execute(select(func.count()).select_from(table).where(old)).scalar_one())
    return session.connection().execute(delete(table).where(old)).rowcount


def record(service: str, counts: RetentionCounts) -> None:
    """What was applied: one log line (counts only, nothing personal) and the counter."""
    for kind, count in counts.by_kind().items():
        RETENTION_ERASED.labels(service, kind).inc(count)
    summary = " ".join(f"{kind}={count}" for kind, count in counts.by_kind().items())
    log.info("%s retention: %s", service, summary)


async def run_daily(
    service: str,
    step: Callable[[], object],
    first_delay_s: float | None = None,
    interval_s: float | None = None,
) -> None:
    """Run the retention step in a thread once a day until the process stops; a failure (the
    database away) is logged by its type and tried again the next day."""
    await asyncio.sleep(FIRST_DELAY_S if first_delay_s is None else first_delay_s)
    while not stop_requested():
        try:
            await asyncio.to_thread(step)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("%s retention: %s, next run tomorrow", service, type(exc).__name__)
        await asyncio.sleep(INTERVAL_S if interval_s is None else interval_s)


def retention_command(
    run: Callable[[bool], tuple[dt.datetime, RetentionCounts]], months: Callable[[], int]
) -> click.Command:
    """`rencontres <service> retention [--dry-run]`: `run(dry_run)` gives the cutoff and counts."""

    @click.command(
        "retention",
        help="Efface ce qui dépasse la durée de conservation (RETENTION_MONTHS), ou avec "
        "--dry-run dit seulement ce qui le serait.",
    )
    @click.option("--dry-run", is_flag=True, help="Compte sans rien effacer.")
    def command(dry_run: bool) -> None:
        cutoff, counts = run(dry_run)
        when = french_date(cutoff.date())
        if dry_run:
            click.echo(
                f"Essai, rien n'est effacé. Conservation de {months()} mois : "
                f"serait effacé ce qui date d'avant le {when} :"
            )
        else:
            click.echo(
                f"Conservation de {months()} mois : effacé ce qui datait d'avant le {when} :"
            )
        for kind, count in counts.by_kind().items():
            click.echo(f"  {KIND_LABELS[kind]} : {count}")

    return command


def french_duration(months: int) -> str:
    """« un an », « 18 mois », « deux ans »: how the privacy notice states the retention."""
    if months % 12:
        return f"{months} mois"
    years = months // 12
    return "un an" if years == 1 else ("deux ans" if years == 2 else f"{years} ans")
