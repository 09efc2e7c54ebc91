"""Table sheets: for each expert of the published schedule, the day's meetings at their table
(time, the holder's name and organisation, what the meeting is about). Names come from
registration at the moment of printing, in one batch for all experts, as the exports do."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.scheduler.adapters.db import participants
from services.scheduler.service_layer import planning
from services.scheduler.service_layer.agenda import topics_of
from services.scheduler.service_layer.context import Scheduler
from services.scheduler.service_layer.editions import current_edition
from shared.edition import EditionSettings
from shared.events import RegistrationStatus, Role
from shared.formats.schedule import table_label


@dataclass(frozen=True)
class SheetMeeting:
    start: dt.datetime  # aware, in the edition's time zone
    end: dt.datetime
    table: str
    holder_name: str
    holder_organisation: str
    topics: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class TableSheet:
    expert_id: str
    name: str
    organisation: str
    tables: tuple[str, ...]  # one, unless meetings were moved to another table
    meetings: tuple[SheetMeeting, ...]


def table_sheets(
    session: Session, app: Scheduler, expert_id: str | None = None
) -> tuple[EditionSettings, list[TableSheet]] | None:
    """The sheets of every expert with a meeting in the published schedule (or of one),
    by table then organisation; None when nothing is published. Raises DirectoryUnavailable
    when registration does not answer."""
    edition_id = app.edition_id
    version = planning.published_version(session, edition_id)
    if version is None:
        return None
    edition = current_edition(session, edition_id)
    rows = planning.active_rows(session, version.id)
    if expert_id is not None:
        rows = [r for r in rows if r.expert_id == expert_id]
    ids = {p for r in rows for p in (r.holder_id, r.expert_id)}
    people = {
        p.participant_id: p
        for p in session.execute(
            select(participants).where(participants.c.participant_id.in_(ids))
        ).all()
    }
    experts = [
        pid
        for pid in dict.fromkeys(r.expert_id for r in rows)
        if pid in people
        and people[pid].role == Role.EXPERT
        and not people[pid].erased
        and people[pid].status != RegistrationStatus.CANCELLED
    ]
    contacts = app.directory.contacts(ids) if ids else {}
    labels = {t.code: t.label for t in edition.tags}
    zone = planning.local(edition, dt.time(0)).tzinfo
    sheets = []
    for pid in experts:
        mine = [r for r in rows if r.expert_id == pid]
        contact = contacts.get(pid)
        meetings = tuple(
            SheetMeeting(
                start=r.start.astimezone(zone),
                end=r.end.astimezone(zone),
                table=table_label(r.table_number),
                holder_name=contacts[r.holder_id].name if r.holder_id in contacts else "",
                holder_organisation=(
                    contacts[r.holder_id].organisation if r.holder_id in contacts else ""
                ),
                topics=tuple(
                    topics_of(
                        people[r.holder_id].tags if r.holder_id in people else [],
                        people[pid].tags,
                        labels,
                    )
                ),
                reason=r.reason,
            )
            for r in mine
        )
        sheets.append(
            TableSheet(
                expert_id=pid,
                name=contact.name if contact else "",
                organisation=contact.organisation if contact else "",
                tables=tuple(dict.fromkeys(m.table for m in sorted(meetings, key=_by_table))),
                meetings=meetings,
            )
        )
    sheets.sort(key=lambda s: (s.tables[0] if s.tables else "", s.organisation.casefold()))
    return edition, sheets


def _by_table(m: SheetMeeting) -> str:
    return m.table
