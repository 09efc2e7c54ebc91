"""Pure rules of the notifier: keys, Message-IDs, backoff, header safety, due dates."""

from __future__ import annotations

import datetime as dt
import random
import uuid

from hypothesis import given
from hypothesis import strategies as st

from services.notifier.domain.emails import (
    Template,
    classify_smtp_code,
    header_safe,
    idempotency_key,
    message_id,
    reminder_due_at,
    retry_delay_s,
)


def test_message_id_is_stable_per_key_and_distinct_between_keys():
    event, person = uuid.uuid4(), uuid.uuid4()
    key = idempotency_key(event, Template.AGENDA, person)
    assert message_id(key, "pes21.fr") == message_id(key, "pes21.fr")
    other = idempotency_key(event, Template.REMINDER, person)
    assert message_id(other, "pes21.fr") != message_id(key, "pes21.fr")
    assert message_id(key, "pes21.fr").startswith("<") and message_id(key, "pes21.fr").endswith(
        "@pes21.fr>"
    )


def test_backoff_grows_exponentially_with_jitter_and_a_ceiling():
    rng = random.Random(1)
    delays = [retry_delay_s(n, 30, 3600, rng) for n in range(1, 10)]
    for attempt, delay in enumerate(delays, start=1):
        ceiling = min(3600, 30 * 2 ** (attempt - 1))
        assert ceiling / 2 <= delay <= ceiling
    assert max(delays) <= 3600


def test_smtp_codes():
    assert classify_smtp_code(550) and classify_smtp_code(554)
    assert not classify_smtp_code(451) and not classify_smtp_code(421)


@given(st.text())
def test_header_safe_never_lets_a_line_break_through(text):
    safe = header_safe(text)
    assert "\r" not in safe and "\n" not in safe
    assert len(safe) <= 200


def test_reminder_the_day_before_at_nine_paris_time():
    first = dt.datetime(2030, 11, 21, 9, 0, tzinfo=dt.UTC)  # 10:00 in Paris
    now = dt.datetime(2030, 11, 1, tzinfo=dt.UTC)
    due = reminder_due_at(first, 9, "Europe/Paris", now)
    assert due == dt.datetime(2030, 11, 20, 8, 0, tzinfo=dt.UTC)
    # published too late for a reminder: the agenda is enough
    assert (
        reminder_due_at(first, 9, "Europe/Paris", dt.datetime(2030, 11, 20, 10, tzinfo=dt.UTC))
        is None
    )


def test_smtp_reasons_keep_no_address():
    from services.notifier.domain.emails import SendError

    error = SendError(
        "550 5.1.1 <bob.martin@exemple.org>: Recipient address rejected", permanent=True
    )
    assert "bob" not in error.reason and "exemple.org" not in error.reason
    assert error.reason == "550 5.1.1 <<adresse>>: Recipient address rejected"
