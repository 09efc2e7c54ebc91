"""The beat's round: enqueue what is due or forgotten, and measure the queue."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from services.notifier.adapters import email_log
from services.notifier.adapters.db import emails
from services.notifier.adapters.queue import Dispatcher
from services.notifier.domain.emails import EmailStatus, Template
from services.notifier.metrics import EMAIL_OLDEST_DUE_REMINDER, EMAIL_QUEUE, EMAIL_SCHEDULED
from services.notifier.settings import NotifierSettings
from shared.events import utc_now


def dispatch_due(engine: Engine, dispatcher: Dispatcher, settings: NotifierSettings) -> int:
    """Claim and enqueue every due row, batch after batch; returns how many were enqueued."""
    total = 0
    while True:
        claimed = email_log.claim_due(
            engine,
            claim_stale_s=settings.email_claim_stale_s,
            sending_stale_s=settings.email_sending_stale_s,
            limit=settings.email_dispatch_batch,
        )
        total += len(dispatcher.enqueue(claimed))
        if len(claimed) < settings.email_dispatch_batch:
            break
    measure_queue(engine)
    return total


def measure_queue(engine: Engine) -> None:
    now = utc_now()
    with engine.connect() as conn:
        due = conn.execute(
            select(func.count()).where(
                emails.c.status.in_([EmailStatus.PENDING, EmailStatus.SENDING]),
                emails.c.due_at <= now,
            )
        ).scalar_one()
        later = conn.execute(
            select(func.count()).where(
                emails.c.status == EmailStatus.PENDING, emails.c.due_at > now
            )
        ).scalar_one()
        oldest = conn.execute(
            select(func.min(emails.c.due_at)).where(
                emails.c.status.in_([EmailStatus.PENDING, EmailStatus.SENDING]),
                emails.c.template == Template.REMINDER,
                emails.c.due_at <= now,
            )
        ).scalar()
    EMAIL_QUEUE.set(due)
    EMAIL_SCHEDULED.set(later)
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=now.tzinfo)
    EMAIL_OLDEST_DUE_REMINDER.set((now - oldest).total_seconds() if oldest else 0)
