"""Erasure leaves nothing: a whole edition is played (`rencontres demo`'s scenario), a holder
who met experts, was emailed and answered the questionnaires with a free text is erased with
`rencontres registration erase`, then every table of every service, the SQLite files with their
WAL, the streams under the test prefix and the platform's log are searched for them.

Their id may stay only in erasure records: registration's tombstone row and `erasures`, the
read models' tombstones (`erased` set, so that no late event brings them back) and the
`ParticipantErased` event itself. The report's figures are the same before and after.
Databases come from TEST_DATABASE (SQLite or PostgreSQL), one each.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import Engine, create_engine, inspect, select, text, update
from sqlalchemy.orm import Session

from rencontres.demo import Scenario, Step, run_demo
from services.registration.adapters.db import participants as registrations
from services.surveys.adapters.db import responses, surveys
from services.surveys.service_layer.report import build_report
from tests.conftest import TEST_DATABASE
from tests.support.servers import create_test_database, wait_until

SERVICES = ("registration", "scheduler", "notifier", "surveys")
FREE_TEXT = "Merci à Hortense pour son conseil sur le prêt d'honneur, quel accueil !"

pytestmark = pytest.mark.timeout(600)


@pytest.fixture
def databases(tmp_path: Path) -> Iterator[dict[str, str]]:
    made = {name: create_test_database(TEST_DATABASE, tmp_path) for name in SERVICES}
    yield {name: url for name, (url, _drop) in made.items()}
    for _url, drop in made.values():
        drop()


def _figures(engine: Engine, edition_id: str) -> dict[str, Any]:
    """The report's figures (its free texts aside, which the erasure deletes)."""
    with Session(engine) as session:
        report = dataclasses.asdict(build_report(session, edition_id))

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "texts"}
        if isinstance(value, list | tuple):
            return [strip(v) for v in value]
        return value

    return strip(report)


def _holder_with_answers(engines: dict[str, Engine], scenario: Scenario) -> str:
    """A present holder who answered an invitation and met someone: the hardest to forget."""
    with engines["surveys"].connect() as conn:
        answered = set(
            conn.execute(
                select(responses.c.participant_id).where(responses.c.participant_id.is_not(None))
            ).scalars()
        )
        met = set(conn.execute(text("SELECT holder_id FROM meetings")).scalars())
    candidates = [pid for pid in scenario.people.values() if pid in answered and pid in met]
    assert candidates, "no holder both met someone and answered"
    return sorted(candidates)[0]


def _add_free_text(engine: Engine, pid: str) -> None:
    """The demo leaves free texts empty: this person wrote one in each questionnaire."""
    with engine.begin() as conn:
        rows = conn.execute(
            select(responses.c.response_id, responses.c.answers, surveys.c.questions)
            .join(surveys, surveys.c.survey_id == responses.c.survey_id)
            .where(responses.c.participant_id == pid)
        ).all()
        written = 0
        for row in rows:
            texts = [q["id"] for q in row.questions if q["type"] == "text"]
            if texts:
                answers = {**row.answers, texts[0]: FREE_TEXT}
                conn.execute(
                    update(responses)
                    .where(responses.c.response_id == row.response_id)
                    .values(answers=answers)
                )
                written += 1
    assert written


def _table_texts(engine: Engine) -> dict[str, list[tuple[str, str]]]:
    """Every row of every table, as text, by table: (event type or "", row)."""
    out: dict[str, list[tuple[str, str]]] = {}
    with engine.connect() as conn:
        for table in inspect(engine).get_table_names():
            rows = conn.execute(text(f'SELECT * FROM "{table}"')).mappings().all()
            out[table] = [
                (str(r.get("event_type", "")), json.dumps(dict(r), default=str, ensure_ascii=False))
                for r in rows
            ]
    return out


def _erasure_record(service: str, table: str, event_type: str, row: str) -> bool:
    if event_type == "ParticipantErased":
        return True
    if service == "registration" and table == "erasures":
        return True
    if table == "participants":
        record = json.loads(row)
        # The read models' tombstones: registration's row, `erased`, the notifier's status.
        return bool(record.get("erased") or record.get("erased_at")) or (
            record.get("status") == "efface"
        )
    return False


def test_an_erased_holder_leaves_nothing(tmp_path: Path, databases, redis_url, bus_prefix):
    engines = {name: create_engine(url) for name, url in databases.items()}
    seen: dict[str, Any] = {}

    def after(scenario: Scenario, step: Step) -> None:
        if not step.name.startswith("Rapport"):
            return
        pid = _holder_with_answers(engines, scenario)
        _add_free_text(engines["surveys"], pid)
        with engines["registration"].connect() as conn:
            person = conn.execute(
                select(registrations).where(registrations.c.participant_id == pid)
            ).one()
            others = conn.execute(
                select(
                    registrations.c.email,
                    registrations.c.first_name,
                    registrations.c.last_name,
                    registrations.c.organisation,
                    registrations.c.phone,
                ).where(registrations.c.participant_id != pid)
            ).all()
        seen["pid"], seen["person"] = pid, person._asdict()
        # What everyone shares (the demo's last name) tells nothing about this person.
        seen["others"] = " ".join(str(v) for row in others for v in row if v).lower()
        seen["before"] = _figures(engines["surveys"], scenario.edition_id)
        out = scenario.stack.command("registration", "erase", "--email", person.email, "--yes")
        assert "1 inscription(s) effacée(s)" in out

        def forgotten() -> bool:
            with engines["scheduler"].connect() as conn:
                scheduler = conn.execute(
                    text("SELECT erased FROM participants WHERE participant_id = :p"), {"p": pid}
                ).scalar()
            with engines["notifier"].connect() as conn:
                notifier = conn.execute(
                    text("SELECT count(*) FROM emails WHERE participant_id = :p"), {"p": pid}
                ).scalar()
            with engines["surveys"].connect() as conn:
                answers = conn.execute(
                    text("SELECT count(*) FROM responses WHERE participant_id = :p"), {"p": pid}
                ).scalar()
            seen["state"] = (scheduler, notifier, answers)
            return bool(scheduler) and notifier == 0 and answers == 0

        try:
            wait_until(forgotten, timeout=60, what="every service to forget the person")
        except AssertionError:
            log = (scenario.stack.workdir / "up.log").read_text(errors="replace")
            raise AssertionError((seen["state"], log[-3000:])) from None
        scenario.settle()
        seen["after"] = _figures(engines["surveys"], scenario.edition_id)
        seen["workdir"] = scenario.stack.workdir
        client = redis.Redis.from_url(redis_url)
        seen["streams"] = [
            (key.decode(), fields)
            for key in client.scan_iter(match=f"{bus_prefix}*", count=1000)
            if client.type(key) == b"stream"
            for _id, fields in client.xrange(key)
        ]
        client.close()
        seen["tables"] = {name: _table_texts(engine) for name, engine in engines.items()}
        # While the services run, so that each database's WAL is there too; once our own
        # readers are gone, a service's checkpoint after the erasure may take a moment.
        for engine in engines.values():
            engine.dispose()
        email = person.email.lower().encode()

        def files_clean() -> bool:
            seen["files"] = {p.name: p.read_bytes() for p in sorted(tmp_path.rglob("*.db*"))}
            return not any(email in content.lower() for content in seen["files"].values())

        with contextlib.suppress(AssertionError):
            wait_until(files_clean, timeout=15, what="the files to be checkpointed")

    scenario = run_demo(
        tmp_path / "demo",
        redis_url,
        echo=lambda _line: None,
        databases=databases,
        bus_prefix=bus_prefix,
        on_step=after,
    )
    for engine in engines.values():
        engine.dispose()
    assert "pid" in seen, [s.name for s in scenario.steps]
    pid, person = seen["pid"], seen["person"]
    secrets = {
        "email": {person["email"], person["email"].split("@")[0]},
        "first name": {person["first_name"]},
        "last name": {person["last_name"]},
        "organisation": {person["organisation"]},
        "free text": {FREE_TEXT, FREE_TEXT[:30]},
    }
    if person["phone"]:
        secrets["phone"] = {person["phone"]}
    secrets = {
        k: {v for v in values if v and len(v) >= 4 and v.lower() not in seen["others"]}
        for k, values in secrets.items()
    }
    assert secrets["email"] and secrets["first name"] and secrets["free text"]

    places: dict[str, str] = {"the platform's log": (seen["workdir"] / "up.log").read_text()}
    id_outside_records = []
    for service, tables in seen["tables"].items():
        for table, rows in tables.items():
            places[f"{service}.{table}"] = "\n".join(row for _type, row in rows)
            for event_type, row in rows:
                if pid in row and not _erasure_record(service, table, event_type, row):
                    id_outside_records.append(f"{service}.{table}: {row[:200]}")
    for stream, fields in seen["streams"]:
        entry = " ".join(v.decode(errors="replace") for v in fields.values())
        places[f"stream {stream}"] = places.get(f"stream {stream}", "") + "\n" + entry
    if TEST_DATABASE != "postgresql":
        for name, content in seen["files"].items():
            places[f"file {name}"] = content.decode("utf-8", errors="replace")
        assert any(name.endswith(".db-wal") for name in places if name.startswith("file"))

    found = [
        f"{what} in {where}"
        for where, content in places.items()
        for what, values in secrets.items()
        if any(value in content or value.lower() in content.lower() for value in values)
    ]
    assert not found, found
    assert not id_outside_records, sorted({r.split(":")[0] for r in id_outside_records})
    assert seen["after"] == seen["before"]
