"""Tables of the notifier service, in its own database."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from shared.db import UTCDateTime, bus_tables, edition_id_type

metadata = MetaData()
outbox_table, processed_table = bus_tables(metadata)

# The email log: one row per idempotency key (cause event, template, recipient). No address is
# stored: it is fetched from registration when the email is sent.
emails = Table(
    "emails",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("cause_id", String(36), nullable=False),
    Column("template", String(40), nullable=False),
    Column("participant_id", String(36), nullable=False),
    Column("edition_id", edition_id_type(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    # JSON of what the template needs beyond contact and agenda (never personal data).
    Column("context", Text, nullable=False, default="{}"),
    Column("due_at", UTCDateTime(), nullable=False),
    # Set when a task is enqueued for the row; a row left claimed too long is enqueued again.
    Column("claimed_at", UTCDateTime(), nullable=True),
    Column("sending_at", UTCDateTime(), nullable=True),
    Column("sent_at", UTCDateTime(), nullable=True),
    Column("smtp_code", Integer, nullable=True),
    Column("reason", String(500), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("cause_id", "template", "participant_id", name="uq_emails_key"),
    Index("ix_emails_status_due", "status", "due_at"),
    Index("ix_emails_participant", "participant_id"),
)

# Read model of the registrations: the last status seen, to tell a promotion from the waiting
# list. Opaque ids and categories only.
participants = Table(
    "participants",
    metadata,
    Column("participant_id", String(36), primary_key=True),
    Column("edition_id", edition_id_type(), nullable=False),
    Column("role", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("revision", Integer, nullable=False),
)

# Read model of the appointments (from SlotAssigned/SlotReleased): who has a meeting, and when.
appointments = Table(
    "appointments",
    metadata,
    Column("appointment_id", String(36), primary_key=True),
    Column("edition_id", edition_id_type(), nullable=False, index=True),
    Column("holder_id", String(36), nullable=False, index=True),
    Column("expert_id", String(36), nullable=False, index=True),
    Column("start", UTCDateTime(), nullable=False),
    Column("end", UTCDateTime(), nullable=False),
    Column("schedule_version", Integer, nullable=False),
    # Streams are not ordered with each other: the latest event (by occurred_at) wins, and a
    # release is kept as a tombstone so an older assignment arriving late cannot revive it.
    Column("changed_at", UTCDateTime(), nullable=False),
    Column("released", Boolean, nullable=False, default=False),
)

# The last publication of each edition's schedule: changes after it are notified.
publications = Table(
    "publications",
    metadata,
    Column("edition_id", edition_id_type(), primary_key=True),
    Column("event_id", String(36), nullable=False),
    Column("schedule_version", Integer, nullable=False),
    Column("published_at", UTCDateTime(), nullable=False),
)

# The programme of each edition (from EditionUpdated): the day's date, venue and sessions that
# every email states. No personal data.
editions = Table(
    "editions",
    metadata,
    Column("edition_id", edition_id_type(), primary_key=True),
    Column("settings", Text, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)
