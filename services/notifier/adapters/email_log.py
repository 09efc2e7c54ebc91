"""Reading and writing the email log; every state change is one conditional UPDATE."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, Result, and_, func, or_, select, update
from sqlalchemy.orm import Session

from services.notifier.adapters.db import emails, participants
from services.notifier.domain.emails import EmailStatus, Template
from shared.db import insert_or_nothing, record
from shared.events import utc_now

ERASED_REASON = "données effacées"
# The read model's tombstone of an erased participant: no later revision replaces it.
ERASED_STATUS = "efface"
ERASED_REVISION = 2**31 - 1


def add_email(
    session: Session,
    *,
    cause_id: object,
    template: Template,
    participant_id: object,
    edition_id: str,
    due_at: dt.datetime | None = None,
    context: dict[str, Any] | None = None,
) -> int | None:
    """Insert a pending row unless its key exists; returns the new id, None for a duplicate
    or for an erased participant (an event read after the erasure writes nothing)."""
    erased = session.execute(
        select(participants.c.participant_id).where(
            participants.c.participant_id == str(participant_id),
            participants.c.status == ERASED_STATUS,
        )
    ).first()
    if erased is not None:
        return None
    now = utc_now()
    values = {
        "cause_id": str(cause_id),
        "template": str(template),
        "participant_id": str(participant_id),
        "edition_id": edition_id,
        "status": EmailStatus.PENDING,
        "attempts": 0,
        "context": json.dumps(context or {}, default=str, sort_keys=True),
        "due_at": due_at or now,
        "created_at": now,
        "updated_at": now,
    }
    stmt = (
        insert_or_nothing(
            emails, session.get_bind().dialect.name, ["cause_id", "template", "participant_id"]
        )
        .values(**values)
        .returning(emails.c.id)
    )
    return session.execute(stmt).scalar_one_or_none()


def cancel_pending(
    session: Session,
    participant_id: object | None,
    *,
    templates: Iterable[Template] | None = None,
    edition_id: str | None = None,
    reason: str,
) -> int:
    """Withdraw rows not yet handed to SMTP: one participant's, or everyone's (None)."""
    conditions = [emails.c.status == EmailStatus.PENDING]
    if participant_id is not None:
        conditions.append(emails.c.participant_id == str(participant_id))
    if templates is not None:
        conditions.append(emails.c.template.in_([str(t) for t in templates]))
    if edition_id is not None:
        conditions.append(emails.c.edition_id == edition_id)
    result = session.execute(
        update(emails)
        .where(*conditions)
        .values(status=EmailStatus.CANCELLED, reason=reason, updated_at=utc_now())
    )
    return changed(result)


def forget_participant(session: Session, participant_id: object) -> int:
    """An erased person's rows keep only what the counts need (template, status, dates, SMTP
    code): an anonymous placeholder instead of their id, no context (it held links such as
    the invitation id) and no SMTP reason (a refusal text may quote the address)."""
    result = session.execute(
        update(emails)
        .where(emails.c.participant_id == str(participant_id))
        .values(
            participant_id=str(uuid.uuid4()),
            context="{}",
            reason=ERASED_REASON,
            updated_at=utc_now(),
        )
    )
    return changed(result)


def open_change_notice(session: Session, participant_id: object, edition_id: str) -> int | None:
    """A change notice that will still show this change: pending and not yet enqueued.

    The agenda is fetched when the email is sent, so any change committed before the row is
    claimed is in it; once claimed, the fetch may already have happened and a new notice opens.
    """
    return session.execute(
        select(emails.c.id).where(
            emails.c.participant_id == str(participant_id),
            emails.c.edition_id == edition_id,
            emails.c.template == Template.AGENDA_CHANGE,
            emails.c.status == EmailStatus.PENDING,
            emails.c.claimed_at.is_(None),
        )
    ).scalar()


def has_reminder(session: Session, participant_id: object, edition_id: str) -> bool:
    return (
        session.execute(
            select(emails.c.id).where(
                emails.c.participant_id == str(participant_id),
                emails.c.edition_id == edition_id,
                emails.c.template == Template.REMINDER,
                emails.c.status.in_([EmailStatus.PENDING, EmailStatus.SENDING, EmailStatus.SENT]),
            )
        ).first()
        is not None
    )


def claim(engine: Engine, ids: Sequence[int]) -> list[int]:
    """Mark rows as enqueued, for those nobody has enqueued yet; returns the ones claimed."""
    if not ids:
        return []
    with engine.begin() as conn:
        rows = conn.execute(
            update(emails)
            .where(
                emails.c.id.in_(list(ids)),
                emails.c.status == EmailStatus.PENDING,
                emails.c.claimed_at.is_(None),
            )
            .values(claimed_at=utc_now())
            .returning(emails.c.id)
        ).all()
    return [row.id for row in rows]


def unclaim(engine: Engine, ids: Sequence[int]) -> None:
    """The task could not be enqueued: leave the rows to the next beat."""
    if not ids:
        return
    with engine.begin() as conn:
        conn.execute(
            update(emails)
            .where(emails.c.id.in_(list(ids)), emails.c.status == EmailStatus.PENDING)
            .values(claimed_at=None)
        )


def claim_due(
    engine: Engine, *, claim_stale_s: float, sending_stale_s: float, limit: int
) -> list[int]:
    """Claim what should be enqueued now, atomically, so two beats never enqueue it twice.

    Due pending rows never enqueued (a crash between commit and enqueue, or a retry's due
    time reached), rows enqueued long ago and still pending (task lost), and rows left
    "sending" by a worker that died mid-send (sent again: see docs/notifier.md).
    """
    now = utc_now()
    claim_stale = now - dt.timedelta(seconds=claim_stale_s)
    sending_stale = now - dt.timedelta(seconds=sending_stale_s)
    due = or_(
        and_(
            emails.c.status == EmailStatus.PENDING,
            emails.c.due_at <= now,
            or_(emails.c.claimed_at.is_(None), emails.c.claimed_at < claim_stale),
        ),
        and_(emails.c.status == EmailStatus.SENDING, emails.c.sending_at < sending_stale),
    )
    with engine.begin() as conn:
        candidates = select(emails.c.id).where(due).order_by(emails.c.due_at).limit(limit)
        if conn.dialect.name == "postgresql":
            candidates = candidates.with_for_update(skip_locked=True)
        rows = conn.execute(
            update(emails)
            .where(emails.c.id.in_(candidates.scalar_subquery()), due)
            .values(status=EmailStatus.PENDING, claimed_at=now, updated_at=now)
            .returning(emails.c.id)
        ).all()
    return [row.id for row in rows]


def changed(result: Result[Any]) -> int:
    """Rows matched by an UPDATE: how a conditional state change knows it won."""
    return int(cast("CursorResult[Any]", result).rowcount or 0)


# The largest id the log's INTEGER column holds (PostgreSQL's, the smaller one): a larger one
# (from an address) is an unknown email, never asked of the database (SQLite would overflow).
MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class Email:
    """One row of the log, as the sender, the resend and the message page read it."""

    id: int
    cause_id: str
    template: str
    participant_id: str
    edition_id: str
    status: str
    attempts: int
    context: str  # JSON
    due_at: dt.datetime
    sent_at: dt.datetime | None
    smtp_code: int | None
    reason: str | None
    created_at: dt.datetime


_READ = [emails.c[f.name] for f in fields(Email)]


def get(session: Session, email_id: int) -> Email | None:
    if not 0 < email_id <= MAX_ID:
        return None
    row = session.execute(select(*_READ).where(emails.c.id == email_id)).first()
    return None if row is None else record(Email, row)


def counts_by_status(session: Session, edition_id: str) -> dict[str, int]:
    """How many emails of the edition are in each state (every state listed, 0 included)."""
    rows = session.execute(
        select(emails.c.status, func.count())
        .where(emails.c.edition_id == edition_id)
        .group_by(emails.c.status)
    ).all()
    found = {str(status): int(n) for status, n in rows}
    return {status.value: found.get(status.value, 0) for status in EmailStatus}
