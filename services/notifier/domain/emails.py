"""The rules of the email log: templates, statuses, idempotency keys, retries, due dates."""

from __future__ import annotations

import datetime as dt
import random
import re
import uuid
from enum import StrEnum
from zoneinfo import ZoneInfo


class Template(StrEnum):
    """Every email the platform sends; the value names its files in `templates/`."""

    REGISTRATION_HOLDER = "inscription-porteur"
    REGISTRATION_EXPERT = "inscription-expert"
    WAITING_LIST = "liste-attente"
    PROMOTION = "promotion"
    ALREADY_REGISTERED = "deja-inscrit"
    CANCELLATION = "annulation"
    AGENDA = "agenda"
    AGENDA_CHANGE = "changement"
    REMINDER = "rappel"
    SURVEY_INVITATION = "questionnaire-invitation"
    SURVEY_REMINDER = "questionnaire-relance"
    MESSAGE = "message"  # written by the team in the back-office


# Emails about the day itself: they need the person's agenda, and stop when they cancel.
AGENDA_TEMPLATES = frozenset({Template.AGENDA, Template.AGENDA_CHANGE, Template.REMINDER})

# Emails that say what their row keeps (what was received, the team's words, the survey
# invitation): once retention or an erasure has emptied the row, they cannot be sent again.
WORDS_KEPT_WITH_THE_ROW = frozenset(
    {
        Template.REGISTRATION_HOLDER,
        Template.REGISTRATION_EXPERT,
        Template.WAITING_LIST,
        Template.PROMOTION,
        Template.MESSAGE,
        Template.SURVEY_INVITATION,
        Template.SURVEY_REMINDER,
    }
)


class EmailStatus(StrEnum):
    PENDING = "pending"  # waiting for its due time, or for a worker
    SENDING = "sending"  # handed to the SMTP server, its answer not yet recorded
    SENT = "sent"
    FAILED = "failed"  # permanent failure, or temporary ones beyond the retry limit
    SKIPPED = "skipped"  # nothing to send any more (participant unknown or erased, no agenda)
    CANCELLED = "cancelled"  # withdrawn before sending (cancellation, erasure, coalescing)


def idempotency_key(
    cause_id: uuid.UUID | str, template: Template | str, participant_id: object
) -> str:
    """One email per (cause event, template, recipient): the row's unique key."""
    return f"{cause_id}:{template}:{participant_id}"


def message_id(key: str, domain: str) -> str:
    """A Message-ID derived from the idempotency key: a resent copy is recognisable as the same.

    Hosts that deduplicate on Message-ID (most mailbox providers) then show it once.
    """
    return f"<{uuid.uuid5(uuid.NAMESPACE_URL, 'rencontres-email:' + key)}@{domain}>"


def message_id_of(cause_id: object, template: str, participant_id: object, domain: str) -> str:
    """The Message-ID an email of the log is sent with (its row: cause, template, recipient)."""
    return message_id(idempotency_key(str(cause_id), template, participant_id), domain)


def retry_delay_s(
    attempt: int, base_s: float, max_s: float, rng: random.Random | None = None
) -> float:
    """Exponential backoff with full jitter: attempt 1 waits up to base, then 2x, 4x..."""
    ceiling = min(max_s, base_s * (2 ** max(attempt - 1, 0)))
    return (rng or random).uniform(ceiling / 2, ceiling)


class SendError(Exception):
    """Sending did not succeed; `permanent` says whether trying again could help."""

    def __init__(self, reason: str, *, permanent: bool, code: int | None = None) -> None:
        reason = scrub_addresses(reason)
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.code = code


_ADDRESS = re.compile(r"[^\s<>()\[\],;:\"']+@[^\s<>()\[\],;:\"']+")


def scrub_addresses(text: str) -> str:
    """SMTP replies often quote the recipient: the log and the logs keep no address."""
    return _ADDRESS.sub("<adresse>", text)


def classify_smtp_code(code: int) -> bool:
    """True when the SMTP reply code is permanent (5xx); 4xx and anything else are temporary."""
    return 500 <= code < 600


_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]+")


def header_safe(text: str | None, limit: int = 200) -> str:
    """Text that may go into a header: control characters (CR, LF...) become one space."""
    return _CONTROL.sub(" ", text or "").strip()[:limit]


def change_due_at(now: dt.datetime, window_s: float) -> dt.datetime:
    """When a change notice is sent: after a quiet window, so a burst makes one email."""
    return now + dt.timedelta(seconds=window_s)


def reminder_due_at(
    first_start: dt.datetime, hour: int, timezone: str, now: dt.datetime
) -> dt.datetime | None:
    """The day before the first appointment at `hour` local time.

    None when that moment has passed: the agenda sent now is reminder enough.
    """
    zone = ZoneInfo(timezone)
    day_before = first_start.astimezone(zone).date() - dt.timedelta(days=1)
    due = dt.datetime.combine(day_before, dt.time(hour, 0), tzinfo=zone).astimezone(dt.UTC)
    return due if due > now else None
