"""Tables of the surveys service, in its own database."""

from __future__ import annotations

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
    UniqueConstraint,
)

from shared.db import UTCDateTime, bus_tables, edition_id_type

metadata = MetaData()
outbox_table, processed_table = bus_tables(metadata)

# -- read models, fed by events -----------------------------------------------------------
editions = Table(
    "editions",
    metadata,
    Column("edition_id", edition_id_type(), primary_key=True),
    Column("settings", JSON, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

participants = Table(
    "participants",
    metadata,
    Column("participant_id", String(36), primary_key=True),
    Column("edition_id", edition_id_type(), nullable=False, index=True),
    Column("role", String(20), nullable=False),
    Column("status", String(20), nullable=False, default="inscrit"),
    Column("legal_form", String(100), nullable=False, default=""),
    Column("stage", String(50), nullable=True),
    # INSEE code, `autre` for a commune outside shared/data/communes.csv (shared/communes.py).
    Column("commune_code", String(5), nullable=True),
    Column("revision", Integer, nullable=False, default=0),
    Column("checked_in", Boolean, nullable=False, default=False),
    # Set on ParticipantErased: the categories stay for anonymous counts.
    Column("erased", Boolean, nullable=False, default=False),
)

meetings = Table(
    "meetings",
    metadata,
    Column("appointment_id", String(36), primary_key=True),
    Column("edition_id", edition_id_type(), nullable=False, index=True),
    Column("holder_id", String(36), nullable=False, index=True),
    Column("expert_id", String(36), nullable=False, index=True),
    Column("start", UTCDateTime(), nullable=False),
    Column("end", UTCDateTime(), nullable=False),
    Column("table_label", String(50), nullable=False),
    Column("schedule_version", Integer, nullable=False),
    Column("released", Boolean, nullable=False, default=False),
    Column("release_reason", String(20), nullable=True),
)

closed_sessions = Table(
    "closed_sessions",
    metadata,
    Column("edition_id", edition_id_type(), primary_key=True),
    Column("session_id", String(100), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("closed_at", UTCDateTime(), nullable=False),
    Column("attendees", Integer, nullable=False),
    Column("meetings_held", Integer, nullable=False),
    Column("meetings_missed", Integer, nullable=False),
)

# -- questionnaires and answers ------------------------------------------------------------
surveys = Table(
    "surveys",
    metadata,
    Column("survey_id", String(36), primary_key=True),
    Column("edition_id", edition_id_type(), nullable=False),
    Column("kind", String(20), nullable=False),
    # The conference's session id; "" for the day and the ex-post questionnaires.
    Column("session_key", String(100), nullable=False, default=""),
    Column("title", String(300), nullable=False),
    Column("questions", JSON, nullable=False),
    # Short code of the anonymous venue link (QR code), for the day questionnaire.
    Column("public_code", String(12), nullable=True, unique=True),
    Column("opened_at", UTCDateTime(), nullable=True),
    Column("closes_at", UTCDateTime(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("edition_id", "kind", "session_key", name="uq_survey_per_session"),
)

invitations = Table(
    "invitations",
    metadata,
    Column("invitation_id", String(36), primary_key=True),
    Column("survey_id", String(36), ForeignKey("surveys.survey_id"), nullable=False),
    # NULL once the participant is erased: the invitation still counts in response rates.
    Column("participant_id", String(36), nullable=True, index=True),
    Column("role", String(20), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("reminders", Integer, nullable=False, default=0),
    UniqueConstraint("survey_id", "participant_id", name="uq_invitation_per_person"),
)

# Only the SHA-256 of a token is kept; an invitation may have several live tokens (one per
# email sent), each valid until it expires or the questionnaire closes.
invitation_tokens = Table(
    "invitation_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column(
        "invitation_id",
        String(36),
        ForeignKey("invitations.invitation_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("issued_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
)

responses = Table(
    "responses",
    metadata,
    Column("response_id", String(36), primary_key=True),
    Column("survey_id", String(36), ForeignKey("surveys.survey_id"), nullable=False, index=True),
    # One response per invitation: two concurrent submissions cannot both insert.
    Column("invitation_id", String(36), nullable=True, unique=True),
    # Anonymous venue answers: one response per form shown (a double click updates it).
    Column("submission_id", String(64), nullable=True, unique=True),
    Column("participant_id", String(36), nullable=True, index=True),
    Column("role", String(20), nullable=True),
    Column("answers", JSON, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

# The free-text answers the operator chose to quote in the report (« Paroles de participants »),
# shown without any name; deleted with the answer's text (erasure, retention).
quotes = Table(
    "quotes",
    metadata,
    Column(
        "response_id",
        String(36),
        ForeignKey("responses.response_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("question_id", String(100), primary_key=True),
    Column("survey_id", String(36), ForeignKey("surveys.survey_id"), nullable=False, index=True),
    Column("selected_at", UTCDateTime(), nullable=False),
)

# Work due at a date (ex-post opening, reminders): claimed by the UPDATE that marks it done,
# in the transaction that does the work, so two runners never do it twice.
due_jobs = Table(
    "due_jobs",
    metadata,
    Column("job_key", String(120), primary_key=True),
    Column("edition_id", edition_id_type(), nullable=False),
    Column("action", String(20), nullable=False),
    Column("survey_id", String(36), nullable=True),
    Column("due_at", UTCDateTime(), nullable=False),
    Column("done_at", UTCDateTime(), nullable=True),
    Index("ix_due_jobs_pending", "done_at", "due_at"),
)

budget_actuals = Table(
    "budget_actuals",
    metadata,
    Column("edition_id", edition_id_type(), primary_key=True),
    Column("line", String(10), primary_key=True),
    Column("amount_cents", Integer, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)
