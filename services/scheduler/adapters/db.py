"""Tables of the scheduler service, in its own database, and the typed records use cases read
from them (`shared.db.record(Record, row)`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

from shared.db import UTCDateTime, bus_tables, edition_id_type

metadata = MetaData()
outbox_table, processed_table = bus_tables(metadata)

# The edition's programme, owned here and published as EditionUpdated after every change.
editions = Table(
    "editions",
    metadata,
    Column("edition_id", edition_id_type(), primary_key=True),
    Column("settings", JSON, nullable=False),
    # Re-plans after publication may move published meetings only when the operator allows it.
    Column("allow_moves", Boolean, nullable=False, default=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

# Read model of registration's participants: categories only, never a name or a contact.
participants = Table(
    "participants",
    metadata,
    Column("participant_id", String(36), primary_key=True),
    Column("edition_id", edition_id_type(), nullable=False, index=True),
    Column("role", String(20), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("legal_form", String(100), nullable=False, default=""),
    Column("stage", String(40), nullable=True),
    Column("tags", JSON, nullable=False),
    Column("wants", JSON, nullable=False),
    Column("refuses", JSON, nullable=False),
    Column("sessions", JSON, nullable=False),
    Column("availability", String(20), nullable=False),
    Column("max_meetings", Integer, nullable=True),
    Column("lunch", Boolean, nullable=False, default=False),
    Column("present", Boolean, nullable=False, default=False),
    Column("checked_in_at", UTCDateTime(), nullable=True),
    # Marked absent by a no-show check; cleared when the person checks in.
    Column("absent", Boolean, nullable=False, default=False),
    # With absent: the person told the team they would not come (« a prévenu »).
    Column("excused", Boolean, nullable=False, default=False, server_default=false()),
    # An erased participant stays as a tombstone (no later event brings it back).
    Column("erased", Boolean, nullable=False, default=False),
    Column("first_seen_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

schedule_versions = Table(
    "schedule_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("edition_id", edition_id_type(), nullable=False),
    Column("number", Integer, nullable=False),
    # draft: being reviewed; published: sent to everyone; replaced: a later draft superseded it.
    Column("status", String(20), nullable=False),
    Column("origin", String(20), nullable=False),  # plan, publish, replan, manual
    Column("created_at", UTCDateTime(), nullable=False),
    Column("published_at", UTCDateTime(), nullable=True),
    Column("note", Text, nullable=False, default=""),
    UniqueConstraint("edition_id", "number", name="uq_schedule_versions_number"),
)

# A meeting keeps its appointment_id from version to version (a new draft after a publication
# reuses the published ids), so the id is unique within a version only.
appointments = Table(
    "appointments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("appointment_id", String(36), nullable=False),
    Column("edition_id", edition_id_type(), nullable=False),
    Column(
        "version_id",
        Integer,
        ForeignKey("schedule_versions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("holder_id", String(36), nullable=False),
    Column("expert_id", String(36), nullable=False),
    Column("start", UTCDateTime(), nullable=False),
    Column("end", UTCDateTime(), nullable=False),
    Column("table_number", Integer, nullable=False),
    Column("reason_kind", String(20), nullable=False),  # souhait or besoin
    Column("reason", Text, nullable=False),
    Column("locked", Boolean, nullable=False, default=False),
    # Schedule version in which this meeting got its current slot and table.
    Column("assigned_version", Integer, nullable=False),
    Column("released_at", UTCDateTime(), nullable=True),
    Column("release_reason", String(20), nullable=True),
    Index("ix_appointments_version_active", "version_id", "released_at"),
    UniqueConstraint("version_id", "appointment_id", name="uq_appointments_version_appointment"),
)

# One row per closed session: the unique key makes SessionClosed happen exactly once.
closed_sessions = Table(
    "closed_sessions",
    metadata,
    Column("edition_id", edition_id_type(), primary_key=True),
    Column("session_id", String(60), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("closed_at", UTCDateTime(), nullable=False),
    Column("attendees", Integer, nullable=False),
    Column("meetings_held", Integer, nullable=False),
    Column("meetings_missed", Integer, nullable=False),
)

# One row per slot whose absentees were released, so the automatic check runs once per slot.
no_show_checks = Table(
    "no_show_checks",
    metadata,
    Column("edition_id", edition_id_type(), primary_key=True),
    Column("slot_start", UTCDateTime(), primary_key=True),
    Column("checked_at", UTCDateTime(), nullable=False),
    Column("released", Integer, nullable=False),
)

# The operator's last grid edits (moves and swaps), so that each can be undone: where every
# meeting concerned was before and after. `operator` is a hash of the operator's account.
grid_edits = Table(
    "grid_edits",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("edition_id", edition_id_type(), nullable=False),
    Column(
        "version_id",
        Integer,
        ForeignKey("schedule_versions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("operator", String(64), nullable=False),
    Column("kind", String(20), nullable=False),  # move or swap
    # [{"appointment_id", "before": {"start", "table"}, "after": {"start", "table"}}]
    Column("changes", JSON, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("undone_at", UTCDateTime(), nullable=True),
    Index("ix_grid_edits_operator", "edition_id", "operator", "undone_at"),
)


@dataclass(frozen=True)
class ParticipantRecord:
    """A row of `participants`: registration's categories of a person, never a contact."""

    participant_id: str
    edition_id: str
    role: str
    revision: int
    status: str
    legal_form: str
    stage: str | None
    tags: list[str]
    wants: list[str]
    refuses: list[str]
    sessions: list[str]
    availability: str
    max_meetings: int | None
    lunch: bool
    present: bool
    checked_in_at: dt.datetime | None
    absent: bool
    excused: bool
    erased: bool
    first_seen_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True)
class VersionRecord:
    """A row of `schedule_versions`."""

    id: int
    edition_id: str
    number: int
    status: str
    origin: str
    created_at: dt.datetime
    published_at: dt.datetime | None
    note: str


@dataclass(frozen=True)
class AppointmentRecord:
    """A row of `appointments`: one meeting of one schedule version."""

    id: int
    appointment_id: str
    edition_id: str
    version_id: int
    holder_id: str
    expert_id: str
    start: dt.datetime
    end: dt.datetime
    table_number: int
    reason_kind: str
    reason: str
    locked: bool
    assigned_version: int
    released_at: dt.datetime | None
    release_reason: str | None


@dataclass(frozen=True)
class ClosedSessionRecord:
    """A row of `closed_sessions`."""

    edition_id: str
    session_id: str
    kind: str
    closed_at: dt.datetime
    attendees: int
    meetings_held: int
    meetings_missed: int
