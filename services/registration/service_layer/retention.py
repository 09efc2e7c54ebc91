"""Registration's retention step: the contact details of past editions, and old dedupe rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from services.registration.adapters.db import processed_table
from services.registration.service_layer.participants import purge_editions_before
from shared.db import transaction
from shared.events import utc_now
from shared.retention import RetentionCounts, months_before, old_processed_events, record
from shared.service import ServiceKit


@dataclass(frozen=True)
class RegistrationRetention(RetentionCounts):
    participants: int
    processed_events: int


def apply_retention(
    kit: ServiceKit, *, dry_run: bool = False, now: dt.datetime | None = None
) -> tuple[dt.datetime, RegistrationRetention]:
    """People of the editions held more than RETENTION_MONTHS ago are erased (published as
    ParticipantErased, as any erasure), except those who agreed to be contacted again."""
    cutoff = months_before(now or utc_now(), kit.settings.retention_months)
    # A dry run only reads: no transaction to commit, nothing written.
    with kit.factory() if dry_run else transaction(kit.factory) as session:
        counts = RegistrationRetention(
            participants=purge_editions_before(kit, session, cutoff.date(), dry_run=dry_run),
            processed_events=old_processed_events(session, processed_table, cutoff, dry_run),
        )
    if not dry_run:
        record("registration", counts)
    return cutoff, counts
