"""The schedule as files: the spreadsheet file of docs/formats.md that tools read, and the
table people open (names, topics, status); both of the published version (else the draft),
with contact details fetched from registration at the moment of export."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.scheduler.adapters.db import AppointmentRecord, VersionRecord, participants
from services.scheduler.service_layer import planning
from services.scheduler.service_layer.agenda import topics_of
from services.scheduler.service_layer.context import Scheduler
from services.scheduler.service_layer.editions import current_edition
from services.scheduler.service_layer.planning import Status
from shared.edition import EditionSettings
from shared.formats.schedule import ScheduleRow, table_label


def _exported(
    session: Session, sched: Scheduler
) -> tuple[EditionSettings, VersionRecord | None, list[AppointmentRecord]]:
    """The edition, the version exported (the published one, else the draft) and its
    meetings, by start time then table."""
    edition = current_edition(session, sched.edition_id)
    version = planning.published_version(session, sched.edition_id)
    version = version or planning.working_version(session, sched.edition_id)
    return edition, version, planning.active_rows(session, version.id) if version else []


def schedule_rows(session: Session, sched: Scheduler) -> list[ScheduleRow]:
    """Raises DirectoryUnavailable when registration does not answer."""
    edition, _version, rows = _exported(session, sched)
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


# The schedule for people (XLSX and the French CSV): names, organisations, topics, status.
# Not for tools: its columns may change; tools read the file above.
PEOPLE_HEADER = (
    "Début",
    "Fin",
    "Table",
    "Porteur de projet",
    "Structure du porteur",
    "Expert",
    "Structure de l'expert",
    "Thématiques",
    "Statut",
)
PEOPLE_WIDTHS = (8, 8, 7, 24, 30, 24, 30, 40, 28)


def people_table(session: Session, sched: Scheduler) -> list[list[object]]:
    """The header and one row per meeting of the published version (else the draft), sorted
    by start time then table; names fetched from registration now, as agendas do. Raises
    DirectoryUnavailable when registration does not answer."""
    edition, version, rows = _exported(session, sched)
    ids = {p for r in rows for p in (r.holder_id, r.expert_id)}
    contacts = sched.directory.contacts(ids)
    tags = dict(
        session.execute(
            select(participants.c.participant_id, participants.c.tags).where(
                participants.c.participant_id.in_(ids)
            )
        ).all()
    )
    labels = {t.code: t.label for t in edition.tags}
    zone = planning.local(edition, dt.time(0)).tzinfo
    published = version is not None and version.status == Status.PUBLISHED

    def name(pid: str) -> str:
        return contacts[pid].name if pid in contacts else ""

    def organisation(pid: str) -> str:
        return contacts[pid].organisation if pid in contacts else ""

    def status(r: AppointmentRecord) -> str:
        state = "Publié" if published else "Brouillon (non publié)"
        return f"{state}, verrouillé" if r.locked else state

    table: list[list[object]] = [list(PEOPLE_HEADER)]
    for r in rows:
        table.append(
            [
                r.start.astimezone(zone).time(),
                r.end.astimezone(zone).time(),
                table_label(r.table_number),
                name(r.holder_id),
                organisation(r.holder_id),
                name(r.expert_id),
                organisation(r.expert_id),
                "; ".join(
                    topics_of(tags.get(r.holder_id) or [], tags.get(r.expert_id) or [], labels)
                ),
                status(r),
            ]
        )
    return table
