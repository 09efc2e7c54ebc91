"""Claiming rows: two beats or workers never enqueue the same row twice; nothing is forgotten."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

from sqlalchemy import update

from services.notifier.adapters import email_log
from services.notifier.adapters.db import emails
from services.notifier.domain.emails import Template
from shared.db import transaction
from tests.integration.notifier.conftest import EDITION, deliver, published, rows, slot


def add_rows(notifier, count: int) -> list[int]:
    with transaction(notifier.kit.factory) as session:
        return [
            email_log.add_email(
                session,
                cause_id=uuid.uuid4(),
                template=Template.REGISTRATION_HOLDER,
                participant_id=uuid.uuid4(),
                edition_id=EDITION,
            )
            for _ in range(count)
        ]


def test_concurrent_beats_claim_each_row_once(notifier):
    ids = add_rows(notifier, 300)
    claimed: list[list[int]] = []
    lock = threading.Lock()

    def beat() -> None:
        while True:
            got = email_log.claim_due(
                notifier.kit.engine, claim_stale_s=60, sending_stale_s=60, limit=25
            )
            if not got:
                return
            with lock:
                claimed.append(got)

    threads = [threading.Thread(target=beat) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    flat = [i for batch in claimed for i in batch]
    assert sorted(flat) == sorted(ids)  # each row exactly once
    # claimed rows are not claimed again until their claim is stale
    assert (
        email_log.claim_due(notifier.kit.engine, claim_stale_s=60, sending_stale_s=60, limit=500)
        == []
    )
    assert (
        len(
            email_log.claim_due(notifier.kit.engine, claim_stale_s=0, sending_stale_s=60, limit=500)
        )
        == 300
    )


def test_rows_never_enqueued_are_found_and_not_before_due(notifier):
    [now_id, later_id] = add_rows(notifier, 2)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    with notifier.kit.engine.begin() as conn:
        conn.execute(update(emails).where(emails.c.id == later_id).values(due_at=later))
    # the enqueue after commit claims at most once
    assert email_log.claim(notifier.kit.engine, [now_id]) == [now_id]
    assert email_log.claim(notifier.kit.engine, [now_id]) == []
    email_log.unclaim(notifier.kit.engine, [now_id])  # enqueue failed
    assert email_log.claim_due(
        notifier.kit.engine, claim_stale_s=60, sending_stale_s=60, limit=9
    ) == [now_id]


def test_slot_event_read_after_the_publication_it_belongs_to(notifier, directory):
    holder, expert = directory.person(), directory.person(role="expert")
    early = slot(holder, expert, 9)  # occurred before the publication...
    deliver(notifier, published())
    deliver(notifier, early)  # ...but read after it: part of it, not a change
    templates = sorted(r.template for r in rows(notifier, participant_id=holder))
    assert templates == ["agenda", "rappel"]
    deliver(notifier, early)  # twice: nothing more
    assert len(rows(notifier, participant_id=holder)) == 2


def test_slot_events_of_a_publication_read_after_it_are_not_changes(notifier, directory):
    """The scheduler writes SchedulePublished first, then its SlotAssigned (later timestamps,
    same correlation id); read in that order, they make agendas, not change notices."""
    holder, expert = directory.person(), directory.person(role="expert")
    publication = published()
    deliver(notifier, publication)
    assigned = slot(holder, expert, 9).model_copy(
        update={
            "occurred_at": publication.occurred_at + dt.timedelta(milliseconds=5),
            "correlation_id": publication.event_id,
        }
    )
    deliver(notifier, assigned)
    assert sorted(r.template for r in rows(notifier, participant_id=holder)) == ["agenda", "rappel"]
    later = slot(holder, expert, 10)  # a change made after the publication
    deliver(notifier, later)
    assert "changement" in {r.template for r in rows(notifier, participant_id=holder)}


def test_a_new_publication_replaces_waiting_reminders_and_notices(notifier, directory):
    holder, expert = directory.person(), directory.person(role="expert")
    deliver(notifier, slot(holder, expert, 9))
    deliver(notifier, published(1))
    deliver(notifier, slot(holder, expert, 10))  # a change after the first publication
    deliver(notifier, published(2))
    mine = [(r.template, r.status) for r in rows(notifier, participant_id=holder)]
    assert mine == [
        ("agenda", "cancelled"),  # not sent yet: the new one replaces it
        ("rappel", "cancelled"),
        ("changement", "cancelled"),
        ("agenda", "pending"),
        ("rappel", "pending"),
    ]
