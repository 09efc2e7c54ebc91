"""The schedule as the spreadsheet file of docs/formats.md: the published version (else the
draft), with contact details fetched from registration at the moment of export."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from services.scheduler.service_layer import planning
from services.scheduler.service_layer.context import Scheduler
from services.scheduler.service_layer.editions import current_edition
from shared.formats.schedule import ScheduleRow


def schedule_rows(session: Session, sched: Scheduler) -> list[ScheduleRow]:
    """Raises DirectoryUnavailable when registration does not answer."""
    edition = current_edition(session, sched.edition_id)
    version = planning.published_version(session, sched.edition_id)
    version = version or planning.working_version(session, sched.edition_id)
    rows = planning.active_rows(session, version.id) if version else []
    contacts = sched.directory.contacts({p for r in rows for p in (r.holder_id, r.expert_id)})
    zone = planning.local(edition, dt.time(0)).tzinfo

    def email(pid: str) -> str:
        return contacts[pid].email if pid in contacts else ""

    def organisation(pid: str) -> str:
        return contacts[pid].organisation if pid in contacts else ""

    return [
        ScheduleRow(
            date=r.start.astimezone(zone).date(),
            start=r.start.astimezone(zone).time(),
            end=r.end.astimezone(zone).time(),
            table=r.table_number,
            expert_email=email(r.expert_id),
            expert_organisation=organisation(r.expert_id),
            holder_email=email(r.holder_id),
            holder_organisation=organisation(r.holder_id),
        )
        for r in rows
    ]
