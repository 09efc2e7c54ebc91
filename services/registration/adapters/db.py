"""Tables of the registration service, in its own database."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from shared.db import UTCDateTime, bus_tables, edition_id_type

metadata = MetaData()
outbox_table, processed_table = bus_tables(metadata)

# The service's copy of each edition's settings, as the scheduler last published them.
editions = Table(
    "editions",
    metadata,
    Column("edition_id", edition_id_type(), primary_key=True),
    Column("settings", Text, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

participants = Table(
    "participants",
    metadata,
    Column("participant_id", String(36), primary_key=True),
    Column("edition_id", edition_id_type(), nullable=False, index=True),
    Column("role", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    # NULL once erased: the row stays for anonymous counts.
    Column("email", String(320), nullable=True),
    Column("first_name", String(100), nullable=True),
    Column("last_name", String(100), nullable=True),
    Column("phone", String(30), nullable=True),
    Column("organisation", String(200), nullable=True),
    Column("legal_form", String(40), nullable=False),
    Column("stage", String(20), nullable=True),
    Column("commune", String(100), nullable=True),
    # INSEE code of the commune, `autre` outside shared/data/communes.csv (shared/communes.py).
    Column("commune_code", String(5), nullable=True),
    Column("tags", JSON, nullable=False),
    # As the person wrote them (emails or organisation names); resolved to ids when published.
    Column("wants", JSON, nullable=False),
    Column("refuses", JSON, nullable=False),
    Column("sessions", JSON, nullable=False),
    Column("availability", String(20), nullable=False),
    Column("max_meetings", Integer, nullable=True),
    Column("lunch", Boolean, nullable=False),
    Column("accessibility", Text, nullable=True),
    Column("consent_share_profile", Boolean, nullable=False),
    Column("consent_share_profile_at", UTCDateTime(), nullable=True),
    Column("consent_contact", Boolean, nullable=False),
    Column("consent_contact_at", UTCDateTime(), nullable=True),
    Column("source", String(20), nullable=False),
    Column("revision", Integer, nullable=False),
    # Only the hash of the self-service token is kept; the nonce lets it be renewed.
    Column("token_hash", String(64), nullable=True, unique=True),
    Column("token_nonce", String(32), nullable=False),
    Column("checked_in_at", UTCDateTime(), nullable=True),
    Column("erased_at", UTCDateTime(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("edition_id", "email", name="uq_participants_edition_email"),
    # One side of an edition (the other side's wishes, the places taken) without reading the
    # whole edition: a registration asks both while it holds the edition's lock.
    Index("ix_participants_edition_role_status", "edition_id", "role", "status"),
)

# What was erased and why, without any personal data: the proof that erasure happened.
erasures = Table(
    "erasures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("participant_id", String(36), nullable=False),
    Column("edition_id", edition_id_type(), nullable=False),
    Column("role", String(20), nullable=False),
    Column("reason", String(40), nullable=False),
    Column("erased_at", UTCDateTime(), nullable=False),
)

admins = Table(
    "admins",
    metadata,
    Column("admin_id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    # A disabled account cannot log in and has no session left.
    Column("disabled_at", UTCDateTime(), nullable=True),
)

# Spreadsheet imports run in the background (service_layer/import_jobs.py): the file waits in
# `content` until its job ends (then NULL: it holds personal data); the result is what the
# progress page shows, kept IMPORT_RESULTS_DAYS (retention).
import_jobs = Table(
    "import_jobs",
    metadata,
    Column("job_id", String(32), primary_key=True),
    Column("edition_id", edition_id_type(), nullable=False),
    Column("filename", String(255), nullable=False),
    Column("dry_run", Boolean, nullable=False),
    # waiting, running, done, failed (shown in French by the page)
    Column("state", String(10), nullable=False),
    Column("content", LargeBinary, nullable=True),
    Column("size", Integer, nullable=False),
    Column("rows_read", Integer, nullable=False),
    Column("rows_total", Integer, nullable=True),
    Column("errors_count", Integer, nullable=False),
    Column("result", JSON, nullable=True),
    # host:pid of the process running it, and when it last reported (a crash leaves both)
    Column("owner", String(100), nullable=True),
    Column("heartbeat_at", UTCDateTime(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False, index=True),
    Column("started_at", UTCDateTime(), nullable=True),
    Column("finished_at", UTCDateTime(), nullable=True),
)
