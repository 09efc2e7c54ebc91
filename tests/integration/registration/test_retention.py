"""Retention in registration: past editions' contact details and old dedupe rows, by itself
once a day and from `rencontres registration retention [--dry-run]`."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

from click.testing import CliRunner
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from services.registration.adapters.db import erasures, processed_table
from services.registration.adapters.db import import_jobs as import_jobs_table
from services.registration.entrypoints import import_worker
from services.registration.entrypoints.http import create_app
from services.registration.service_layer.retention import RegistrationRetention, apply_retention
from shared import retention
from shared.edition import default_edition
from shared.events import EditionUpdated
from shared.retention import run, run_daily
from tests.integration.registration.conftest import (
    EDITION,
    holder_form,
    outbox_events,
    participant_rows,
    submit,
    submit_job,
)

OLD = "2024"


def erased_metric(kind: str) -> float:
    value = REGISTRY.get_sample_value(
        "rencontres_retention_erased_total", {"service": "registration", "kind": kind}
    )
    return value or 0.0


def set_up(kit, client) -> None:
    """Two years ago: one person without and one with the accord to be contacted again; this
    year: one person. One dedupe row from two years ago, the others of today."""
    now = dt.datetime.now(dt.UTC)
    stream = EditionUpdated.stream(kit.settings.bus_prefix)

    def programme(day: dt.date) -> None:
        settings = default_edition(day, OLD)
        event = EditionUpdated(edition_id=OLD, settings=settings)
        kit.consumer.process(stream, event.model_dump_json())

    # The forms refuse a day that is past: people register while it is to come, then the
    # edition is moved two years back.
    programme(dt.date.today() + dt.timedelta(days=30))
    submit(client, "porteur", holder_form(email="ancienne@asso.example"), edition=OLD)
    submit(
        client,
        "porteur",
        holder_form(email="fidele@asso.example", consentement_contact="oui"),
        edition=OLD,
    )
    programme(dt.date(2024, 11, 21))
    submit(client, "porteur", holder_form(email="recente@asso.example"), edition=EDITION)
    with kit.engine.begin() as conn:
        conn.execute(
            processed_table.insert().values(
                consumer="registration",
                event_id="00000000-0000-4000-8000-000000000001",
                processed_at=now - dt.timedelta(days=700),
            )
        )
    # Two import results: one past IMPORT_RESULTS_DAYS (erased), one of yesterday (kept).
    for days in (31, 1):
        job_id = submit_job(kit, EDITION, f"il-y-a-{days}-jours.csv", b"x", dry_run=True)
        assert import_worker.run_next(kit)
        with kit.engine.begin() as conn:
            conn.execute(
                import_jobs_table.update()
                .where(import_jobs_table.c.job_id == job_id)
                .values(created_at=now - dt.timedelta(days=days))
            )


def live_emails(kit) -> list[str]:
    return sorted(r.email for r in participant_rows(kit) if r.erased_at is None)


def processed_count(kit) -> int:
    with kit.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(processed_table)).scalar_one())


def test_dry_run_changes_nothing_then_apply_erases_only_the_old(kit, client):
    set_up(kit, client)
    events_before = len(outbox_events(kit))
    processed_before = processed_count(kit)
    metric_before = erased_metric("participants")

    cutoff, counts = run(kit, apply_retention, dry_run=True)
    assert counts == RegistrationRetention(participants=1, processed_events=1, import_jobs=1)
    assert cutoff.date() < dt.date.today() and cutoff.year == dt.date.today().year - 1
    assert live_emails(kit) == [
        "ancienne@asso.example",
        "fidele@asso.example",
        "recente@asso.example",
    ]
    assert len(outbox_events(kit)) == events_before and processed_count(kit) == processed_before
    assert erased_metric("participants") == metric_before

    _, counts = run(kit, apply_retention)
    assert counts == RegistrationRetention(participants=1, processed_events=1, import_jobs=1)
    assert live_emails(kit) == ["fidele@asso.example", "recente@asso.example"]
    [erased] = [r for r in participant_rows(kit) if r.erased_at is not None]
    assert (erased.edition_id, erased.first_name, erased.phone) == (OLD, None, None)
    assert [e["participant_id"] for e in outbox_events(kit, "ParticipantErased")] == [
        erased.participant_id
    ]
    with kit.engine.connect() as conn:
        assert [r.reason for r in conn.execute(select(erasures))] == ["retention"]
    assert processed_count(kit) == processed_before - 1
    assert erased_metric("participants") == metric_before + 1
    with kit.engine.connect() as conn:
        kept = conn.execute(select(import_jobs_table.c.filename)).scalars().all()
    assert kept == ["il-y-a-1-jours.csv"]

    # Applied again: nothing left to erase, nothing published twice.
    assert run(kit, apply_retention)[1].total == 0
    assert len(outbox_events(kit, "ParticipantErased")) == 1


def test_a_longer_retention_keeps_the_edition(make_kit, kit, client):
    set_up(kit, client)
    longer = make_kit(retention_months=36)
    assert run(longer, apply_retention)[1] == RegistrationRetention(
        participants=0, processed_events=0, import_jobs=1
    )
    assert len(live_emails(kit)) == 3


def test_the_service_process_applies_it_by_itself(kit, client, monkeypatch):
    """The app's lifespan runs the step, an hour after the start (here at once)."""
    set_up(kit, client)
    monkeypatch.setattr(retention, "FIRST_DELAY_S", 0.0)
    with TestClient(create_app(kit)):
        for _ in range(200):
            if len(live_emails(kit)) == 2:
                break
            time.sleep(0.05)
    assert live_emails(kit) == ["fidele@asso.example", "recente@asso.example"]


def test_a_failing_run_is_tried_again_the_next_day(kit, client):
    set_up(kit, client)
    runs: list[str] = []

    def step() -> object:
        runs.append("run")
        if len(runs) == 1:
            raise OperationalError("SELECT 1", {}, Exception("database away"))
        return run(kit, apply_retention)

    async def two_days() -> None:
        task = asyncio.create_task(run_daily("registration", step, 0.0, 0.05))
        for _ in range(200):
            await asyncio.sleep(0.05)
            if len(live_emails(kit)) == 2:
                break
        task.cancel()

    asyncio.run(two_days())
    assert len(runs) >= 2 and live_emails(kit) == ["fidele@asso.example", "recente@asso.example"]


def test_command_line(kit, client, database_url, monkeypatch):
    from rencontres.cli import main

    set_up(kit, client)
    monkeypatch.setenv("REGISTRATION_DATABASE_URL", database_url)
    monkeypatch.setenv("BUS_PREFIX", kit.settings.bus_prefix)
    dry = CliRunner().invoke(main, ["registration", "retention", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    lines = dry.output.splitlines()
    assert lines[0].startswith("Essai, rien n'est effacé. Conservation de 12 mois : ")
    assert lines[1:] == [
        "  personnes des éditions passées (sauf accord pour être recontactées) : 1",
        "  traces d'événements déjà traités : 1",
        "  résultats d'imports de fichiers de plus de 30 jours : 1",
    ]
    assert len(live_emails(kit)) == 3

    done = CliRunner().invoke(main, ["registration", "retention"])
    assert done.exit_code == 0, done.output
    assert done.output.startswith("Conservation de 12 mois : effacé ce qui datait d'avant le ")
    assert ": 1\n" in done.output and live_emails(kit) == [
        "fidele@asso.example",
        "recente@asso.example",
    ]
    again = CliRunner().invoke(main, ["registration", "retention", "--dry-run"])
    assert again.output.splitlines()[1:] == [
        "  personnes des éditions passées (sauf accord pour être recontactées) : 0",
        "  traces d'événements déjà traités : 0",
        "  résultats d'imports de fichiers de plus de 30 jours : 0",
    ]


def test_the_notice_states_the_setting(make_kit):
    for months, said in ((12, "un an"), (18, "18 mois"), (24, "deux ans")):
        client = TestClient(create_app(make_kit(retention_months=months)))
        page = client.get(f"/inscription/{EDITION}/porteur").text
        assert f"vos coordonnées sont effacées {said} après la journée" in page
