"""The notifier against real servers: its database, Redis, an SMTP sink, the directory API."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from services.notifier.adapters.db import emails
from services.notifier.bootstrap import Notifier, bootstrap
from services.notifier.entrypoints.sender import Sender
from services.notifier.entrypoints.tasks import make_sender
from services.notifier.settings import NotifierSettings
from shared.events import (
    Event,
    ParticipantRegistered,
    RegistrationStatus,
    Role,
    SchedulePublished,
    SlotAssigned,
)
from shared.migrations import upgrade
from tests.support.notifier import TOKEN, Directory, HttpServer, SmtpSink, Workers

PACKAGE = Path(__file__).resolve().parents[3] / "services" / "notifier"
EDITION = "2026"
DAY = dt.datetime(2030, 11, 21, tzinfo=dt.UTC)  # far ahead: reminders stay in the future


@pytest.fixture
def smtp(request: pytest.FixtureRequest) -> Iterator[SmtpSink]:
    """The SMTP sink; a test parametrizes it indirectly with True to have it offer SMTPUTF8."""
    sink = SmtpSink(smtputf8=getattr(request, "param", False))
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def directory() -> Iterator[Directory]:
    data = Directory()
    server = HttpServer(data.app())
    server.start()
    data.url = server.url  # type: ignore[attr-defined]
    yield data
    server.stop()


@pytest.fixture
def env(database_url, redis_url, bus_prefix, smtp, directory) -> dict[str, str]:
    """The environment of every notifier process of the test (in-process and workers)."""
    return {
        "ENVIRONMENT": "test",
        "NOTIFIER_DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "BUS_PREFIX": bus_prefix,
        "SERVICE_TOKEN": TOKEN,
        "REGISTRATION_INTERNAL_URL": directory.url,
        "SCHEDULER_INTERNAL_URL": directory.url,
        "SURVEYS_INTERNAL_URL": directory.url,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp.port),
        "SMTP_TIMEOUT_S": "5",
        "MAIL_FROM": "Rencontres ESS <rencontres@pes21.example>",
        "EMAIL_RETRY_BASE_S": "0.2",
        "EMAIL_RETRY_MAX_S": "1",
        "EMAIL_MAX_ATTEMPTS": "5",
        "EMAIL_CHANGE_WINDOW_S": "1.5",
        "EMAIL_POLL_INTERVAL_S": "0.3",
        "EMAIL_CLAIM_STALE_S": "30",
        "EMAIL_SENDING_STALE_S": "6",
    }


def settings_from(env: dict[str, str]) -> NotifierSettings:
    values = {k.lower(): v for k, v in env.items() if k != "NOTIFIER_DATABASE_URL"}
    return NotifierSettings(database_url=env["NOTIFIER_DATABASE_URL"], **values)


@pytest.fixture
def notifier(env) -> Iterator[Notifier]:
    settings = settings_from(env)
    upgrade(PACKAGE, settings.database_url)
    app = bootstrap(settings)
    yield app
    app.kit.engine.dispose()


@pytest.fixture
def sender(notifier) -> Sender:
    return make_sender(notifier)


@pytest.fixture
def workers(env, tmp_path) -> Iterator[Workers]:
    procs = Workers(env, tmp_path)
    yield procs
    procs.stop_all()


# -- helpers ----------------------------------------------------------------------------------


def deliver(app: Notifier, event: Event) -> Any:
    """What the stream subscriber does with one message."""
    return app.kit.consumer.process(
        type(event).stream(app.settings.bus_prefix), event.model_dump_json()
    )


def rows(app: Notifier, **where: Any) -> list[Any]:
    query = select(emails).order_by(emails.c.id)
    for name, value in where.items():
        query = query.where(emails.c[name] == str(value))
    with app.kit.engine.connect() as conn:
        return list(conn.execute(query).all())


def registered(pid: str, *, role: Role = Role.HOLDER, status=RegistrationStatus.REGISTERED, **kw):
    return ParticipantRegistered(
        edition_id=EDITION,
        participant_id=uuid.UUID(pid),
        role=role,
        revision=kw.pop("revision", 1),
        status=status,
        legal_form="association",
        **kw,
    )


def slot(holder: str, expert: str, hour: int, *, table: str = "T1", **kw) -> SlotAssigned:
    start = DAY.replace(hour=hour)
    return SlotAssigned(
        edition_id=EDITION,
        appointment_id=kw.pop("appointment_id", uuid.uuid4()),
        holder_id=uuid.UUID(holder),
        expert_id=uuid.UUID(expert),
        start=start,
        end=start + dt.timedelta(minutes=30),
        table=table,
        schedule_version=kw.pop("schedule_version", 1),
        **kw,
    )


def published(version: int = 1, **kw) -> SchedulePublished:
    return SchedulePublished(
        edition_id=EDITION, schedule_version=version, appointments=1, holders_with_meeting=1, **kw
    )


ICS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Rencontres//FR\r
BEGIN:VEVENT\r
UID:rdv-1@rencontres\r
DTSTAMP:20301101T090000Z\r
DTSTART:20301121T090000Z\r
DTEND:20301121T093000Z\r
SUMMARY:Rendez-vous avec la Fondation Crédit Coopératif\r
LOCATION:Table 3\r
END:VEVENT\r
END:VCALENDAR\r
"""


def agenda_items(hour: int = 10, organisation: str = "Fondation Crédit Coopératif") -> list[dict]:
    start = DAY.replace(hour=hour - 1)  # 10:00 Paris is 09:00 UTC in November
    return [
        {
            "start": start.isoformat(),
            "end": (start + dt.timedelta(minutes=30)).isoformat(),
            "title": "Rendez-vous",
            "table": "3",
            "counterpart_organisation": organisation,
        }
    ]
