"""A whole edition, played by `rencontres demo`'s scenario on every process of the platform,
checked at each step: emails received once, events on their streams once, the report's figures
equal to the scenario's. Databases come from TEST_DATABASE (SQLite or PostgreSQL), one each."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from rencontres.demo import LEGAL_FORMS, Figures, Scenario, run_demo
from services.notifier.adapters.db import emails
from services.surveys.service_layer.report import build_report
from shared.events import Role
from tests.conftest import TEST_DATABASE
from tests.support.servers import create_test_database

SERVICES = ("registration", "scheduler", "notifier", "surveys")

# A whole edition: about 100 s on 2 cores, more when the machine is slow.
pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def databases(tmp_path: Path) -> Iterator[dict[str, str]]:
    made = {name: create_test_database(TEST_DATABASE, tmp_path) for name in SERVICES}
    yield {name: url for name, (url, _drop) in made.items()}
    for _url, drop in made.values():
        drop()


@pytest.fixture
def edition(tmp_path: Path, databases: dict[str, str], redis_url: str, bus_prefix: str) -> Scenario:
    return run_demo(
        tmp_path / "demo",
        redis_url,
        echo=lambda _line: None,
        databases=databases,
        bus_prefix=bus_prefix,
    )


def _step(scenario: Scenario, name: str) -> dict[str, int]:
    return next(s.counts for s in scenario.steps if s.name.startswith(name))


def test_a_whole_edition(
    edition: Scenario, databases: dict[str, str], redis_url: str, bus_prefix: str
):
    f: Figures = edition.figures
    registered = f.experts + f.holders

    # -- each step did what the scenario says
    assert _step(edition, "Inscriptions par les formulaires")["emails_de_confirmation"] == (
        f.experts + f.holders_on_time
    )
    planned = _step(edition, "Planification")
    assert planned["porteurs_avec_rendez_vous"] == f.holders_on_time
    assert planned["rendez_vous"] <= planned["borne"]
    # Everyone planned receives the agenda, and nothing else, when the schedule is published.
    assert _step(edition, "Publication et agendas")["agendas_envoyes"] == (
        f.experts + f.holders_on_time
    )
    assert _step(edition, "Absents")["absents"] == f.no_shows
    assert _step(edition, "Absents")["rendez_vous_liberes"] > 0
    assert _step(edition, "Clôture")["sessions"] == 5
    assert _step(edition, "Réponses aux questionnaires")["journee"] == f.day_answers
    ex_post = _step(edition, "Questionnaire de suivi")
    assert ex_post == {"invitations": f.holders_present, "reponses": f.ex_post_answers}
    assert all(p.stat().st_size > 1000 for p in edition.report_paths)

    # -- every email received once: one message per sent row of the log, no Message-ID twice
    received = edition.sink.messages
    assert len({m.message_id for m in received}) == len(received)
    engine = create_engine(databases["notifier"])
    with engine.connect() as conn:
        rows = conn.execute(select(emails.c.participant_id, emails.c.template, emails.c.status))
        sent = [(r.participant_id, r.template) for r in rows if r.status == "sent"]
    engine.dispose()
    assert len(sent) == len(received)
    by_email = {pid: email for email, pid in edition.people.items()}
    assert len(by_email) == registered
    per_person = Counter(pid for pid, _template in sent)
    for pid, email in by_email.items():
        assert sum(1 for m in received if m.to == email) == per_person[pid], email
    templates = Counter(template for _pid, template in sent)
    assert templates["inscription-porteur"] == f.holders
    assert templates["inscription-expert"] == f.experts
    assert templates["agenda"] == f.experts + f.holders_on_time
    assert templates["annulation"] == f.cancelled
    per_template = Counter(sent)
    once = {"inscription-porteur", "inscription-expert", "annulation"}
    assert all(n == 1 for (_pid, t), n in per_template.items() if t in once)

    # -- every event on its stream once
    client = redis.Redis.from_url(redis_url)
    streams = [
        k.decode()
        for k in client.scan_iter(match=f"{bus_prefix}*", count=1000)
        if client.type(k) == b"stream" and not k.endswith(b".dlq")
    ]
    counts: dict[str, int] = {}
    for stream in streams:
        ids = [json.loads(f[b"__data__"])["event_id"] for _id, f in client.xrange(stream)]
        assert len(ids) == len(set(ids)), stream
        counts[stream.removeprefix(bus_prefix)] = len(ids)
    assert not any(client.xlen(k) for k in client.scan_iter(match=f"{bus_prefix}*.dlq"))
    client.close()

    def stream(suffix: str) -> int:
        return sum(n for name, n in counts.items() if name.endswith(suffix))

    assert stream("participant-registered") == registered
    assert stream("participant-cancelled") == f.cancelled
    assert stream("participant-checked-in") == f.holders_present + f.experts
    assert stream("session-closed") == 5
    assert stream("schedule-published") == 1

    # -- the report's figures are the scenario's
    engine = create_engine(databases["surveys"])
    with Session(engine) as session:
        report = build_report(session, edition.edition_id)
    engine.dispose()
    people = report.participants
    assert people.registered == {Role.HOLDER: f.holders_registered, Role.EXPERT: f.experts}
    assert people.present == {Role.HOLDER: f.holders_present, Role.EXPERT: f.experts}
    present_holders = [int(e[7:9]) for e in edition.present_holders()]
    assert len(present_holders) == f.holders_present
    assert people.associations_present == sum(
        1 for i in present_holders if LEGAL_FORMS[i % len(LEGAL_FORMS)] == "association"
    )
    held = _step(edition, "Clôture")["rendez_vous_tenus"]
    assert report.meetings.held == held
    assert report.meetings.missed == _step(edition, "Absents")["rendez_vous_liberes"]
    day = next(s for s in report.sessions if s.kind == "journee")
    assert (day.invited, day.answered) == (f.holders_present + f.experts, f.day_answers)
    conferences = [s for s in report.sessions if s.kind == "conference"]
    assert (
        sum(s.answered for s in conferences)
        == _step(edition, "Réponses aux questionnaires")["conferences"]
    )
    assert report.ex_post is not None
    assert (report.ex_post.invited, report.ex_post.answered) == (
        f.holders_present,
        f.ex_post_answers,
    )
    assert report.ex_post.response_rate == pytest.approx(
        100 * f.ex_post_answers / f.holders_present
    )
