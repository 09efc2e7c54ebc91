"""Events of the notifier: what was sent and what failed (never the address)."""

from __future__ import annotations

import uuid
from typing import ClassVar

from shared.events.base import Event


class _EmailEvent(Event):
    producer: ClassVar[str] = "notifier"
    participant_id: uuid.UUID
    template: str
    cause_event_id: uuid.UUID | None = None


class EmailSent(_EmailEvent):
    """An email was accepted by the SMTP server."""


class EmailFailed(_EmailEvent):
    """An email could not be sent (permanent, or temporary retries exhausted)."""

    permanent: bool
    smtp_code: int | None = None
