"""Registration's retention step: the contact details of past editions, old dedupe rows and
the results of imports older than IMPORT_RESULTS_DAYS."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from services.registration.adapters.db import processed_table
from services.registration.service_layer.import_jobs import IMPORT_RESULTS_DAYS, purge_jobs_before
from services.registration.service_layer.participants import purge_editions_before
from shared.db import transaction
from shared.events import utc_now
from shared.retention import RetentionCounts, months_before, old_processed_events, record
from shared.service import ServiceKit


@dataclass(frozen=True)
class RegistrationRetention(RetentionCounts):
    participants: int
    processed_events: int
    import_jobs: int


def apply_retention(
    kit: ServiceKit, *, dry_run: bool = False, now: dt.datetime | None = None
) -> tuple[dt.datetime, RegistrationRetention]:
    """People of the editions held more than RETENTION_MONTHS ago are erased (published as
    ParticipantErased, as any erasure), except those who agreed to be contacted again."""
    now = now or utc_now()
    cutoff = months_before(now, kit.settings.retention_months)
    # Import results quote the file's cells: kept weeks, not months.
    jobs_cutoff = now - dt.timedelta(days=IMPORT_RESULTS_DAYS)
    # A dry run only reads: no transaction to commit, nothing written.
    with kit.factory() if dry_run else transaction(kit.factory) as session:
        counts = RegistrationRetention(
            participants=purge_editions_before(kit, session, cutoff.date(), dry_run=dry_run),
            processed_events=old_processed_events(session, processed_table, cutoff, dry_run),
            import_jobs=purge_jobs_before(session, jobs_cutoff, dry_run),
        )
    if not dry_run:
        record("registration", counts)
    return cutoff, counts
