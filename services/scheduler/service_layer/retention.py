"""The scheduler's retention step: old dedupe rows. Its read model of people holds ids and
categories only, and forgets them on ParticipantErased."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from services.scheduler.adapters.db import processed_table
from shared.retention import RetentionCounts, cutoff, old_processed_events
from shared.service import ServiceKit


@dataclass(frozen=True)
class SchedulerRetention(RetentionCounts):
    processed_events: int


def apply_retention(
    kit: ServiceKit, session: Session, now: dt.datetime, dry_run: bool
) -> SchedulerRetention:
    before = cutoff(kit, now)
    return SchedulerRetention(
        processed_events=old_processed_events(session, processed_table, before, dry_run)
    )
