"""Retention in the scheduler: old dedupe rows; `rencontres scheduler retention`."""

from __future__ import annotations

import datetime as dt

from click.testing import CliRunner
from sqlalchemy import select, update

from services.scheduler.adapters.db import processed_table
from services.scheduler.service_layer.retention import SchedulerRetention, apply_retention
from shared.events import Role
from shared.retention import run


def processed_ids(h) -> list[str]:
    with h.app.kit.engine.connect() as conn:
        return sorted(conn.execute(select(processed_table.c.event_id)).scalars())


def set_up(h) -> str:
    """Two registrations handled, one of them 400 days ago: returns its event id."""
    h.register(Role.HOLDER, "Asso 1", ["mecenat"])
    h.register(Role.EXPERT, "Banque 1", ["mecenat"])
    first = min(processed_ids(h))
    with h.app.kit.engine.begin() as conn:
        conn.execute(
            update(processed_table)
            .where(processed_table.c.event_id == first)
            .values(processed_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=400))
        )
    return first


def test_dry_run_then_apply(harness):
    old = set_up(harness)
    before = processed_ids(harness)
    assert run(harness.app.kit, apply_retention, dry_run=True)[1] == SchedulerRetention(1)
    assert processed_ids(harness) == before
    assert run(harness.app.kit, apply_retention)[1] == SchedulerRetention(1)
    assert processed_ids(harness) == [e for e in before if e != old]
    assert run(harness.app.kit, apply_retention)[1] == SchedulerRetention(0)


def test_command_line(harness, database_url, monkeypatch):
    from rencontres.cli import main

    set_up(harness)
    monkeypatch.setenv("SCHEDULER_DATABASE_URL", database_url)
    monkeypatch.setenv("BUS_PREFIX", harness.app.settings.bus_prefix)
    dry = CliRunner().invoke(main, ["scheduler", "retention", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert dry.output.splitlines()[1:] == ["  traces d'événements déjà traités : 1"]
    done = CliRunner().invoke(main, ["scheduler", "retention"])
    assert done.exit_code == 0 and done.output.splitlines()[1:] == dry.output.splitlines()[1:]
    again = CliRunner().invoke(main, ["scheduler", "retention"])
    assert again.output.splitlines()[1:] == ["  traces d'événements déjà traités : 0"]
