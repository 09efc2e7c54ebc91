"""The notifier's retention step: what old emails said, and old dedupe rows.

An email's row stays (its idempotency key: cause event, template, recipient), so a late
redelivery of its cause still finds it and nothing is sent twice; only its contents go: the
template's context (what the email repeated back) and the SMTP server's answer. The messages
`rencontres up` caught under var/mails go too, once as old."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, or_, select, update

from services.notifier.adapters import caught
from services.notifier.adapters.db import emails, processed_table
from services.notifier.domain.emails import EmailStatus
from shared.db import transaction, truncate_wal_after_commit
from shared.events import utc_now
from shared.retention import RetentionCounts, months_before, old_processed_events, record
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
    kit: ServiceKit, *, dry_run: bool = False, now: dt.datetime | None = None
) -> tuple[dt.datetime, NotifierRetention]:
    cutoff = months_before(now or utc_now(), kit.settings.retention_months)
    old = (
        emails.c.updated_at < cutoff,
        emails.c.status.in_([str(s) for s in DONE]),
        or_(emails.c.context != EMPTY_CONTEXT, emails.c.reason.is_not(None)),
    )
    with kit.factory() if dry_run else transaction(kit.factory) as session:
        if dry_run:
            contents = session.execute(select(func.count()).where(*old)).scalar_one()
        else:
            truncate_wal_after_commit(session)
            contents = (
                session.connection()
                .execute(update(emails).where(*old).values(context=EMPTY_CONTEXT, reason=None))
                .rowcount
            )
        counts = NotifierRetention(
            email_contents=int(contents),
            processed_events=old_processed_events(session, processed_table, cutoff, dry_run),
            caught_messages=caught.erase_before(
                caught.folder(kit.settings.var_dir), cutoff, dry_run=dry_run
            ),
        )
    if not dry_run:
        record("notifier", counts)
    return cutoff, counts
