"""The scheduler's retention step: old dedupe rows. Its read model of people holds ids and
categories only, and forgets them on ParticipantErased."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from services.scheduler.adapters.db import processed_table
from shared.db import transaction
from shared.events import utc_now
from shared.retention import RetentionCounts, months_before, old_processed_events, record
from shared.service import ServiceKit


@dataclass(frozen=True)
class SchedulerRetention(RetentionCounts):
    processed_events: int


def apply_retention(
    kit: ServiceKit, *, dry_run: bool = False, now: dt.datetime | None = None
) -> tuple[dt.datetime, SchedulerRetention]:
    cutoff = months_before(now or utc_now(), kit.settings.retention_months)
    with kit.factory() if dry_run else transaction(kit.factory) as session:
        counts = SchedulerRetention(
            processed_events=old_processed_events(session, processed_table, cutoff, dry_run)
        )
    if not dry_run:
        record("scheduler", counts)
    return cutoff, counts
