"""Hands email rows to the Celery workers, by id, after the rows are committed."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from celery import Celery
from sqlalchemy import Engine

from services.notifier.adapters import email_log

log = logging.getLogger(__name__)

SEND_TASK = "notifier.send_email"
DISPATCH_TASK = "notifier.dispatch_due"
RETENTION_TASK = "notifier.retention"


class Dispatcher:
    """Claims rows then enqueues one task per row; what fails to enqueue waits for the beat."""

    def __init__(self, engine: Engine, celery: Celery) -> None:
        self.engine = engine
        self.celery = celery

    def dispatch(self, ids: Sequence[int]) -> list[int]:
        """Enqueue the rows nobody has enqueued yet; returns the ids enqueued."""
        try:
            claimed = email_log.claim(self.engine, ids)
        except Exception as exc:  # the beat will find them
            log.warning("email dispatch: claim failed (%s), left to the beat", type(exc).__name__)
            return []
        return self.enqueue(claimed)

    def enqueue(self, claimed: Sequence[int]) -> list[int]:
        done: list[int] = []
        if not claimed:
            return done
        try:
            # One producer (one connection) for the whole batch: a publication enqueues hundreds.
            with self.celery.producer_or_acquire() as producer:
                for email_id in claimed:
                    self.celery.send_task(SEND_TASK, args=[email_id], producer=producer)
                    done.append(email_id)
        except Exception as exc:  # Redis down: release the claims for the next beat
            log.warning("email dispatch: enqueue failed (%s), left to the beat", type(exc).__name__)
            try:
                email_log.unclaim(self.engine, [i for i in claimed if i not in done])
            except Exception:  # the claims go stale and the beat takes them then
                log.warning("email dispatch: unclaim failed too")
        return done
