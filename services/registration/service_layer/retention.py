"""Registration's retention step: the contact details of past editions, old dedupe rows and
the results of imports older than IMPORT_RESULTS_DAYS."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from services.registration.adapters.db import processed_table
from services.registration.service_layer.import_jobs import IMPORT_RESULTS_DAYS, purge_jobs_before
from services.registration.service_layer.participants import purge_editions_before
from shared.retention import RetentionCounts, cutoff, old_processed_events
from shared.service import ServiceKit


@dataclass(frozen=True)
class RegistrationRetention(RetentionCounts):
    participants: int
    processed_events: int
    import_jobs: int


def apply_retention(
    kit: ServiceKit, session: Session, now: dt.datetime, dry_run: bool
) -> RegistrationRetention:
    """People of the editions held more than RETENTION_MONTHS ago are erased (published as
    ParticipantErased, as any erasure), except those who agreed to be contacted again."""
    before = cutoff(kit, now)
    # Import results quote the file's cells: kept weeks, not months.
    jobs_before = now - dt.timedelta(days=IMPORT_RESULTS_DAYS)
    return RegistrationRetention(
        participants=purge_editions_before(kit, session, before.date(), dry_run=dry_run),
        processed_events=old_processed_events(session, processed_table, before, dry_run),
        import_jobs=purge_jobs_before(session, jobs_before, dry_run),
    )
