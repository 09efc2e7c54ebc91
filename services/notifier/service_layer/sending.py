"""The steps of sending one email of the log, each a conditional UPDATE of its row in the
caller's transaction: `mark_sending` (pending -> sending), `mark_sent` (sending -> sent, with
EmailSent in the outbox), `skip` (pending -> skipped) and `record_failure` (due again after a
backoff, or failed with EmailFailed). A step that finds the row in another state changes
nothing, so a redelivered task cannot send twice. Their order, one transaction each around the
SMTP exchange, is `entrypoints/sender.py`'s."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from services.notifier.adapters import email_log
from services.notifier.adapters.db import emails
from services.notifier.adapters.email_log import Email
from services.notifier.domain.emails import EmailStatus, SendError, Template, retry_delay_s
from shared.bus.outbox import Outbox
from shared.events import EmailFailed, EmailSent, utc_now


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    SKIPPED = "skipped"
    NOTHING = "nothing"  # already handled, being handled, cancelled or not due


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_s: float = 30.0
    max_s: float = 3600.0


def mark_sending(session: Session, email_id: int) -> bool:
    """The claim: False when another worker took the row (or it left `pending`) meanwhile."""
    now = utc_now()
    result = session.execute(
        update(emails)
        .where(emails.c.id == email_id, emails.c.status == EmailStatus.PENDING)
        .values(
            status=EmailStatus.SENDING,
            sending_at=now,
            attempts=emails.c.attempts + 1,
            updated_at=now,
        )
    )
    return bool(email_log.changed(result))


def mark_sent(session: Session, outbox: Outbox, row: Email) -> None:
    now = utc_now()
    result = session.execute(
        update(emails)
        .where(emails.c.id == row.id, emails.c.status == EmailStatus.SENDING)
        .values(
            status=EmailStatus.SENT,
            sent_at=now,
            updated_at=now,
            smtp_code=250,
            reason=None,
        )
    )
    if email_log.changed(result):
        outbox.add(session, _event(EmailSent, row))


def skip(session: Session, row: Email, reason: str) -> Outcome:
    now = utc_now()
    result = session.execute(
        update(emails)
        .where(emails.c.id == row.id, emails.c.status == EmailStatus.PENDING)
        .values(status=EmailStatus.SKIPPED, reason=reason, updated_at=now)
    )
    return Outcome.SKIPPED if email_log.changed(result) else Outcome.NOTHING


def record_failure(
    session: Session,
    outbox: Outbox,
    row: Email,
    error: SendError,
    retry: RetryPolicy,
    *,
    before_sending_only: bool = False,
) -> Outcome:
    """Temporary: due again after a backoff, up to the limit (RETRY). Permanent: failed
    (FAILED). NOTHING when the row is no longer in a state the failure applies to."""
    now = utc_now()
    allowed = (
        (EmailStatus.PENDING,)
        if before_sending_only
        else (EmailStatus.PENDING, EmailStatus.SENDING)
    )
    current = email_log.get(session, row.id)
    if current is None or current.status not in allowed:
        return Outcome.NOTHING
    attempts = current.attempts + (1 if current.status == EmailStatus.PENDING else 0)
    final = error.permanent or attempts >= retry.max_attempts
    values: dict[str, Any] = {
        "attempts": attempts,
        "reason": error.reason[:500],
        "smtp_code": error.code,
        "updated_at": now,
    }
    if final:
        values["status"] = EmailStatus.FAILED
    else:
        delay = retry_delay_s(attempts, retry.base_s, retry.max_s)
        values.update(
            status=EmailStatus.PENDING,
            due_at=now + dt.timedelta(seconds=delay),
            claimed_at=None,
        )
    result = session.execute(
        update(emails)
        .where(emails.c.id == row.id, emails.c.status == current.status)
        .values(**values)
    )
    if not email_log.changed(result):
        return Outcome.NOTHING
    if final:
        outbox.add(
            session, _event(EmailFailed, row, permanent=error.permanent, smtp_code=error.code)
        )
    return Outcome.FAILED if final else Outcome.RETRY


def _event(cls: type[Any], row: Email, **extra: Any) -> Any:
    return cls(
        edition_id=row.edition_id,
        participant_id=uuid.UUID(row.participant_id),
        template=str(Template(row.template)),
        cause_event_id=_uuid_or_none(row.cause_id),
        **extra,
    )


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
