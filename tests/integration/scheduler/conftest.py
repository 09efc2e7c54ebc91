"""A scheduler service on a fresh database, a real registration API served by uvicorn, and a
clock the tests move; participants arrive as real events through the consumer."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, Header, HTTPException
from sqlalchemy import select

from services.scheduler.adapters.db import outbox_table
from services.scheduler.bootstrap import bootstrap
from services.scheduler.service_layer.context import Scheduler
from services.scheduler.settings import SchedulerSettings
from shared.events import (
    Availability,
    Event,
    ParticipantCancelled,
    ParticipantCheckedIn,
    ParticipantRegistered,
    RegistrationStatus,
    Role,
)
from shared.migrations import upgrade
from tests.support.servers import free_port, wait_until

PACKAGE = Path(__file__).resolve().parents[3] / "services" / "scheduler"
TOKEN = "test-service-token"
SECRET = "test-secret-key"
EDITION = "2030"
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
# The default programme of the 2030 edition: the third Thursday of November.
DAY = dt.date(2030, 11, 21)


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(DAY, dt.time(hour, minute), tzinfo=PARIS)


class RegistrationAPI:
    """Registration's internal participants API, for real over HTTP (uvicorn on a free port)."""

    def __init__(self) -> None:
        self.people: dict[str, dict[str, Any]] = {}
        self.calls = 0
        api = FastAPI()

        @api.get("/internal/participants/{participant_id}")
        def participant(participant_id: str, authorization: str = Header("")) -> dict[str, Any]:
            self.calls += 1
            if authorization != f"Bearer {TOKEN}":
                raise HTTPException(401)
            if participant_id not in self.people:
                raise HTTPException(404)
            return self.people[participant_id]

        self.port = free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(api, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.thread.start()
        wait_until(lambda: self.server.started, what="registration API to start")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)


@pytest.fixture(scope="session")
def registration_api() -> Iterator[RegistrationAPI]:
    api = RegistrationAPI()
    api.start()
    yield api
    api.stop()


@dataclass
class Clock:
    now: dt.datetime = field(default_factory=lambda: dt.datetime(2030, 11, 1, 9, tzinfo=dt.UTC))

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class Harness:
    """The service under test, and what tests use to feed it and look at what it published."""

    app: Scheduler
    clock: Clock
    registration: RegistrationAPI
    revisions: dict[str, int] = field(default_factory=dict)

    def deliver(self, event: Event) -> str:
        """Through the consumer's single delivery path, as a message body from the stream."""
        stream = type(event).stream(self.app.settings.bus_prefix)
        return self.app.kit.consumer.process(stream, event.model_dump_json())

    def register(
        self,
        role: Role,
        organisation: str,
        tags: list[str],
        *,
        pid: uuid.UUID | None = None,
        wants: list[uuid.UUID] | None = None,
        refuses: list[uuid.UUID] | None = None,
        sessions: list[str] | None = None,
        availability: Availability = Availability.DAY,
        max_meetings: int | None = None,
        lunch: bool = False,
        status: RegistrationStatus = RegistrationStatus.REGISTERED,
    ) -> uuid.UUID:
        pid = pid or uuid.uuid4()
        revision = self.revisions.get(str(pid), 0) + 1
        self.revisions[str(pid)] = revision
        slug = organisation.lower().replace(" ", "-")
        self.registration.people[str(pid)] = {
            "participant_id": str(pid),
            "edition_id": EDITION,
            "role": role.value,
            "status": status.value,
            "first_name": "Camille",
            "last_name": organisation.split()[-1],
            "email": f"{slug}@exemple.fr",
            "phone": "",
            "organisation": organisation,
            "self_service_url": f"http://inscriptions.example/moi/{pid}",
        }
        self.deliver(
            ParticipantRegistered(
                edition_id=EDITION,
                participant_id=pid,
                role=role,
                revision=revision,
                status=status,
                legal_form="association" if role is Role.HOLDER else "banque",
                stage="creation" if role is Role.HOLDER else None,
                commune_code="21231",
                tags=tags,
                wants=wants or [],
                refuses=refuses or [],
                sessions=sessions or [],
                availability=availability,
                max_meetings=max_meetings,
                lunch=lunch,
            )
        )
        return pid

    def cancel(self, pid: uuid.UUID, role: Role) -> None:
        self.deliver(ParticipantCancelled(edition_id=EDITION, participant_id=pid, role=role))

    def check_in(self, pid: uuid.UUID, role: Role, present: bool = True) -> None:
        self.deliver(
            ParticipantCheckedIn(
                edition_id=EDITION, participant_id=pid, role=role, legal_form="x", present=present
            )
        )

    def outbox(self, event_type: str | None = None) -> list[dict[str, Any]]:
        import json

        query = select(outbox_table).order_by(outbox_table.c.id)
        if event_type:
            query = query.where(outbox_table.c.event_type == event_type)
        with self.app.kit.factory() as session:
            return [json.loads(r.payload) for r in session.execute(query).all()]

    def outbox_count(self) -> int:
        return len(self.outbox())


def make_harness(
    database_url: str, redis_url: str, bus_prefix: str, registration: RegistrationAPI
) -> Harness:
    settings = SchedulerSettings(
        SCHEDULER_DATABASE_URL=database_url,
        SCHEDULER_EDITION_ID=EDITION,
        REGISTRATION_INTERNAL_URL=registration.url,
        SCHEDULER_PUBLIC_URL="http://rencontres.example",
        redis_url=redis_url,
        bus_prefix=bus_prefix,
        service_token=TOKEN,
        secret_key=SECRET,
        tick_interval_s=3600,
    )
    upgrade(PACKAGE, database_url)
    clock = Clock()
    return Harness(app=bootstrap(settings, clock=clock), clock=clock, registration=registration)


@pytest.fixture
def harness(
    database_url: str, redis_url: str, bus_prefix: str, registration_api: RegistrationAPI
) -> Iterator[Harness]:
    h = make_harness(database_url, redis_url, bus_prefix, registration_api)
    yield h
    h.app.kit.engine.dispose()


HOLDER_NEEDS = (
    ["mecenat", "business-plan"],
    ["financement-projet"],
    ["budget-previsionnel", "mecenat"],
    ["relation-bancaire"],
    ["financement-participatif", "mecenat"],
    ["business-plan"],
)
EXPERT_TAGS = (
    ["mecenat", "financement-participatif"],
    ["financement-projet", "relation-bancaire", "business-plan"],
    ["budget-previsionnel", "business-plan", "mecenat"],
)


@dataclass
class SmallDay:
    holders: list[uuid.UUID]
    experts: list[uuid.UUID]


def small_day(h: Harness) -> SmallDay:
    """Three experts, six holders: enough to fill a grid, small enough to reason about."""
    experts = [
        h.register(Role.EXPERT, f"Banque {i + 1}", tags) for i, tags in enumerate(EXPERT_TAGS)
    ]
    holders = [
        h.register(Role.HOLDER, f"Asso {i + 1}", needs, max_meetings=2)
        for i, needs in enumerate(HOLDER_NEEDS)
    ]
    return SmallDay(holders=holders, experts=experts)


def timed(fn, *args: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - started
