"""Retention in the notifier: old emails lose their contents but keep their row (nothing is
sent twice), old dedupe rows go; daily by Celery beat and `rencontres notifier retention`."""

from __future__ import annotations

import datetime as dt
import json

from click.testing import CliRunner
from sqlalchemy import func, select, update

from services.notifier.adapters.db import emails, processed_table
from services.notifier.service_layer.retention import NotifierRetention, apply_retention
from services.notifier.service_layer.sending import Outcome
from shared.retention import run
from tests.integration.notifier.conftest import deliver, registered, rows

LONG_AGO = dt.timedelta(days=400)


def age(notifier, *, email_ids=(), event_ids=()) -> None:
    """Make rows look as if written 400 days ago."""
    then = dt.datetime.now(dt.UTC) - LONG_AGO
    with notifier.kit.engine.begin() as conn:
        conn.execute(
            update(emails)
            .where(emails.c.id.in_(list(email_ids)))
            .values(created_at=then, updated_at=then)
        )
        conn.execute(
            update(processed_table)
            .where(processed_table.c.event_id.in_([str(e) for e in event_ids]))
            .values(processed_at=then)
        )


def set_up(notifier, sender, directory):
    """An old email sent, an old one still pending, a recent one sent."""
    old_event = registered(directory.person(), tags=["mecenat"])
    pending_event = registered(directory.person(), tags=["pret"])
    recent_event = registered(directory.person(), tags=["subvention"])
    for event in (old_event, pending_event, recent_event):
        deliver(notifier, event)
    [old, pending, recent] = rows(notifier)
    assert sender.send(old.id) is Outcome.SENT and sender.send(recent.id) is Outcome.SENT
    age(notifier, email_ids=[old.id, pending.id], event_ids=[old_event.event_id])
    return old_event, old.id, pending.id, recent.id


def contents(notifier) -> dict[int, tuple[str, str]]:
    return {r.id: (json.loads(r.context).get("tags"), r.status) for r in rows(notifier)}


def processed(notifier) -> int:
    with notifier.kit.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(processed_table)).scalar_one()


def test_dry_run_then_apply_keeps_the_rows_so_nothing_is_sent_twice(
    notifier, sender, smtp, directory
):
    old_event, old, pending, recent = set_up(notifier, sender, directory)
    before, processed_before = contents(notifier), processed(notifier)

    counts = run(notifier.kit, apply_retention, dry_run=True)[1]
    assert counts == NotifierRetention(email_contents=1, processed_events=1, caught_messages=0)
    assert contents(notifier) == before and processed(notifier) == processed_before

    assert run(notifier.kit, apply_retention)[1] == counts
    after = contents(notifier)
    assert after[old] == (None, "sent")
    assert after[pending] == before[pending] == (["pret"], "pending")
    assert after[recent] == before[recent] == (["subvention"], "sent")
    [row] = [r for r in rows(notifier) if r.id == old]
    assert (row.context, row.reason, row.template) == ("{}", None, "inscription-porteur")
    assert processed(notifier) == processed_before - 1

    # Its cause delivered again (its dedupe row is gone): the email's row says it was sent.
    sent = len(smtp.messages)
    deliver(notifier, old_event)
    assert len(rows(notifier)) == 3
    assert [sender.send(r.id) for r in rows(notifier, status="pending")] == [Outcome.SENT]
    assert len(smtp.messages) == sent + 1  # the pending one only
    assert run(notifier.kit, apply_retention)[1].total == 0


def test_command_line_and_beat(notifier, sender, directory, env, monkeypatch):
    from rencontres.cli import main
    from services.notifier.adapters.queue import RETENTION_TASK
    from services.notifier.entrypoints.tasks import celery_app

    set_up(notifier, sender, directory)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    dry = CliRunner().invoke(main, ["notifier", "retention", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert dry.output.splitlines()[1:] == [
        "  contenus d'emails du journal (la ligne reste : rien n'est renvoyé) : 1",
        "  traces d'événements déjà traités : 1",
        "  copies d'emails gardées par le serveur d'emails d'essai de rencontres up : 0",
    ]
    done = CliRunner().invoke(main, ["notifier", "retention"])
    assert done.exit_code == 0 and done.output.splitlines()[1:] == dry.output.splitlines()[1:]

    entry = celery_app.conf.beat_schedule["notifier-retention"]
    assert entry["task"] == RETENTION_TASK and RETENTION_TASK in celery_app.tasks
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({3}, {30})
