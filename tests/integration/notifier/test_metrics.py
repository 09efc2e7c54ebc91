"""Metrics of the notifier: by template and outcome, with no personal data in them."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import update

from services.notifier.adapters.db import emails
from services.notifier.entrypoints.http import create_app
from tests.integration.notifier.conftest import deliver, published, registered, rows, slot


def sample(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith(f"{name}{{{wanted}}}") or (not labels and line.startswith(f"{name} ")):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_counts_durations_queue_and_no_personal_data(notifier, sender, smtp, directory):
    client = TestClient(create_app(notifier))
    before = client.get("/metrics").text
    pid = directory.person(first_name="Zoé", last_name="Secret")
    deliver(notifier, registered(pid))
    sender.send(rows(notifier)[0].id)
    expert = directory.person(role="expert")
    deliver(notifier, slot(pid, expert, 9))
    deliver(notifier, published())
    [reminder] = rows(notifier, template="rappel", participant_id=pid)
    overdue = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    with notifier.kit.engine.begin() as conn:
        conn.execute(update(emails).where(emails.c.id == reminder.id).values(due_at=overdue))
    after = client.get("/metrics").text  # the queue gauges are measured when scraped
    sent = dict(template="inscription-porteur", outcome="sent")
    assert (
        sample(after, "rencontres_emails_total", **sent)
        == sample(before, "rencontres_emails_total", **sent) + 1
    )
    assert (
        sample(
            after, "rencontres_email_send_duration_seconds_count", template="inscription-porteur"
        )
        >= 1
    )
    assert sample(after, "rencontres_email_queue_messages") >= 3  # 2 agendas and the reminder
    assert sample(after, "rencontres_email_oldest_due_reminder_age_seconds") >= 290
    for secret in (pid, expert, "Zoé", "Secret", directory.participants[pid]["email"]):
        assert secret not in after
