"""The notifier's retention step: what old emails said, and old dedupe rows.

An email's row stays (its idempotency key: cause event, template, recipient), so a late
redelivery of its cause still finds it and nothing is sent twice; only its contents go: the
template's context (what the email repeated back) and the SMTP server's answer. The messages
`rencontres up` caught under var/mails go too, once as old."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from services.notifier.adapters import caught
from services.notifier.adapters.db import emails, processed_table
from services.notifier.domain.emails import EmailStatus
from shared.db import truncate_wal_after_commit
from shared.retention import RetentionCounts, cutoff, old_processed_events
from shared.service import ServiceKit

EMPTY_CONTEXT = "{}"
# Only emails done with: a pending or sending one still needs its context.
DONE = (EmailStatus.SENT, EmailStatus.FAILED, EmailStatus.SKIPPED, EmailStatus.CANCELLED)


@dataclass(frozen=True)
class NotifierRetention(RetentionCounts):
    email_contents: int
    processed_events: int
    caught_messages: int


def apply_retention(
    kit: ServiceKit, session: Session, now: dt.datetime, dry_run: bool
) -> NotifierRetention:
    before = cutoff(kit, now)
    old = (
        emails.c.updated_at < before,
        emails.c.status.in_([str(s) for s in DONE]),
        or_(emails.c.context != EMPTY_CONTEXT, emails.c.reason.is_not(None)),
    )
    if dry_run:
        contents = session.execute(select(func.count()).where(*old)).scalar_one()
    else:
        truncate_wal_after_commit(session)
        contents = (
            session.connection()
            .execute(update(emails).where(*old).values(context=EMPTY_CONTEXT, reason=None))
            .rowcount
        )
    return NotifierRetention(
        email_contents=int(contents),
        processed_events=old_processed_events(session, processed_table, before, dry_run),
        caught_messages=caught.erase_before(
            caught.folder(kit.settings.var_dir), before, dry_run=dry_run
        ),
    )
