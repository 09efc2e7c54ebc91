"""Delivery through real Celery workers: retries, permanent failures, crashes, duplicates.

Exact counts are taken at the SMTP server.
"""

from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy import select

from services.notifier.adapters.db import outbox_table
from services.notifier.bootstrap import bootstrap
from shared.events import SlotReleased
from tests.integration.notifier.conftest import (
    agenda_items,
    deliver,
    published,
    registered,
    rows,
    settings_from,
    slot,
)
from tests.support.servers import wait_until


def statuses(notifier) -> list[str]:
    return [r.status for r in rows(notifier)]


def outbox_types(notifier) -> list[str]:
    with notifier.kit.engine.connect() as conn:
        return list(conn.execute(select(outbox_table.c.event_type)).scalars())


def test_temporary_failure_is_retried_and_delivered_once(notifier, smtp, directory, workers):
    smtp.handler.temporary_failures = 1
    workers.start()
    deliver(notifier, registered(directory.person()))
    wait_until(lambda: statuses(notifier) == ["sent"], timeout=45, what="sent after a 451")
    assert len(smtp.messages) == 1
    assert smtp.handler.data_commands == 2
    [row] = rows(notifier)
    assert row.attempts == 2
    wait_until(lambda: outbox_types(notifier) == ["EmailSent"], what="EmailSent in the outbox")


def test_crash_between_commit_and_enqueue_is_caught_by_the_beat(
    notifier, smtp, directory, workers, monkeypatch
):
    monkeypatch.setattr(notifier.dispatcher, "dispatch", lambda ids: [])  # the process died
    deliver(notifier, registered(directory.person()))
    assert rows(notifier)[0].claimed_at is None
    workers.start()
    wait_until(lambda: statuses(notifier) == ["sent"], timeout=45, what="sent by the beat")
    assert len(smtp.messages) == 1


def test_permanent_failure_is_not_retried(notifier, smtp, directory, workers):
    smtp.handler.permanent = True
    workers.start()
    deliver(notifier, registered(directory.person()))
    wait_until(lambda: statuses(notifier) == ["failed"], timeout=45, what="failed on 550")
    time.sleep(1.5)  # longer than any backoff of the test settings
    assert smtp.handler.data_commands == 1
    [row] = rows(notifier)
    assert row.smtp_code == 550 and row.reason.startswith("550 5.1.1")
    assert outbox_types(notifier) == ["EmailFailed"]


@pytest.mark.slow
def test_worker_killed_mid_send_delivers_exactly_once(notifier, smtp, directory, workers):
    smtp.handler.hang_next = True
    first = workers.start()
    deliver(notifier, registered(directory.person()))
    assert smtp.handler.hanging.wait(45), workers.logs()
    assert statuses(notifier) == ["sending"]
    workers.kill(first)
    smtp.handler.release.set()  # the server never accepted: the client died during DATA
    workers.start()
    wait_until(lambda: statuses(notifier) == ["sent"], timeout=45, what="sent after the crash")
    time.sleep(1.0)
    assert len(smtp.messages) == 1
    assert rows(notifier)[0].attempts == 2


@pytest.mark.slow
def test_duplicates_and_redis_restart_send_each_email_once(
    notifier, smtp, directory, workers, redis_server, env
):
    env["REDIS_URL"] = redis_server.url
    # Rebuilt on the private Redis, so dispatching goes through the one restarted.
    app = bootstrap(settings_from(env))
    workers.start()
    people = [directory.person() for _ in range(9)]
    events = [registered(pid) for pid in people]
    for event in events[:3]:
        deliver(app, event)
    redis_server.kill()
    for event in events[3:6]:
        deliver(app, event)  # committed; enqueue fails and is left to the beat
    redis_server.start()
    for event in events[6:]:
        deliver(app, event)
    for event in events:  # every event delivered a second time
        deliver(app, event)
    wait_until(
        lambda: statuses(app) == ["sent"] * 9, timeout=60, what="nine emails sent after restart"
    )
    time.sleep(1.0)
    received = sorted(str(m["To"].addresses[0].addr_spec) for m in smtp.messages)
    assert received == sorted(directory.participants[p]["email"] for p in people)
    app.kit.engine.dispose()


@pytest.mark.slow
def test_with_the_default_windows_a_lost_task_and_a_killed_send_go_within_a_minute(
    notifier, smtp, directory, workers, redis_server, env
):
    # The production windows (EMAIL_CLAIM_STALE_S, EMAIL_SENDING_STALE_S, EMAIL_POLL_INTERVAL_S,
    # SMTP_TIMEOUT_S), not the test suite's short ones.
    for name in ("EMAIL_CLAIM_STALE_S", "EMAIL_SENDING_STALE_S", "EMAIL_POLL_INTERVAL_S"):
        del env[name]
    del env["SMTP_TIMEOUT_S"]
    env["REDIS_URL"] = redis_server.url
    app = bootstrap(settings_from(env))
    # A worker killed during DATA: its row stays "sending".
    smtp.handler.hang_next = True
    first = workers.start()
    interrupted = directory.person()
    deliver(app, registered(interrupted))
    assert smtp.handler.hanging.wait(45), workers.logs()
    workers.kill(first)
    smtp.handler.release.set()
    # Five more enqueued with no worker, then Redis restarts empty: their tasks are lost.
    waiting = [directory.person() for _ in range(5)]
    for pid in waiting:
        deliver(app, registered(pid))
    redis_server.kill()
    for path in redis_server.directory.rglob("*"):
        if path.is_file():
            path.unlink()
    redis_server.start()
    back = time.monotonic()
    workers.start()
    wait_until(lambda: statuses(app) == ["sent"] * 6, timeout=90, what="six emails sent")
    elapsed = time.monotonic() - back
    assert elapsed < 60, f"{elapsed:.0f} s after the platform was back"
    time.sleep(1.0)
    received = sorted(str(m["To"].addresses[0].addr_spec) for m in smtp.messages)
    everyone = [interrupted, *waiting]
    assert received == sorted(directory.participants[p]["email"] for p in everyone)
    app.kit.engine.dispose()


def test_a_burst_of_changes_makes_one_email(notifier, smtp, directory, workers):
    holder = directory.person()
    directory.agenda(holder, [])
    experts = [directory.person(role="expert") for _ in range(10)]
    deliver(notifier, published())  # published before these appointments are made
    changes = []
    for i, expert in enumerate(experts):
        assigned = slot(holder, expert, 9 + i % 6)
        changes.append(assigned)
        deliver(notifier, assigned)
    for assigned in changes[:3]:
        deliver(
            notifier,
            SlotReleased(
                **assigned.model_dump(exclude={"event_id", "event_type", "occurred_at"}),
                reason="manuel",
            ),
        )
    directory.agenda(holder, agenda_items(10))
    workers.start()  # after the burst: on a loaded machine the burst may outlast the window

    def change_rows():
        return rows(notifier, participant_id=holder, template="changement")

    assert len(change_rows()) == 1
    wait_until(lambda: change_rows()[0].status == "sent", timeout=45, what="the change notice")
    to_holder = [
        m
        for m in smtp.messages
        if m["To"].addresses[0].addr_spec == directory.participants[holder]["email"]
    ]
    assert len(to_holder) == 1
    assert "a changé" in to_holder[0]["Subject"]
    text = to_holder[0].get_body(preferencelist=("plain",)).get_content()
    assert "Votre agenda a été modifié" in text
    assert "10 h 00 – 10 h 30" in text and "Fondation Crédit Coopératif" in text
    # a later change opens a new window
    deliver(notifier, slot(holder, experts[0], 15, appointment_id=uuid.uuid4()))
    assert len(change_rows()) == 2


def test_the_worker_logs_no_line_per_task(notifier, smtp, directory, workers, tmp_path):
    workers.start(beat=False)
    for _ in range(3):
        deliver(notifier, registered(directory.person()))
    wait_until(lambda: statuses(notifier) == ["sent"] * 3, timeout=45, what="3 emails sent")
    # Acked once done (late acks), after the task's own "succeeded" line would be written.
    broker = notifier.kit.runtime.sync_redis
    wait_until(
        lambda: not broker.hlen(f"{notifier.settings.bus_prefix}unacked"),
        what="the tasks acknowledged",
    )
    log = (tmp_path / "worker-0.log").read_text()
    assert " ready." in log
    assert "Task notifier.send_email[" not in log  # neither "received" nor "succeeded"
