"""A scheduler service for tests: a clock they move, participants fed as real events through the
consumer, the outbox read back, and a small day of three experts and six holders.

The integration tests build it on a migrated database with registration's API served for real
(tests/integration/scheduler/conftest.py); `memory_harness` builds it on an in-memory SQLite
database with an in-memory directory, for unit tests: no server, no Redis.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import Any, Protocol

from sqlalchemy import select

from services.scheduler.adapters.db import metadata, outbox_table
from services.scheduler.adapters.registration import Contact
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

EDITION = "2030"
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
# The default programme of the 2030 edition: the third Thursday of November.
DAY = dt.date(2030, 11, 21)


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(DAY, dt.time(hour, minute), tzinfo=PARIS)


@dataclass
class Clock:
    now: dt.datetime = field(default_factory=lambda: dt.datetime(2030, 11, 1, 9, tzinfo=dt.UTC))

    def __call__(self) -> dt.datetime:
        return self.now


class People(Protocol):
    """Where registration's side of the test keeps each participant, as its API answers them."""

    people: dict[str, dict[str, Any]]


@dataclass
class Harness:
    """The service under test, and what tests use to feed it and look at what it published."""

    app: Scheduler
    clock: Clock
    registration: People
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
        query = select(outbox_table).order_by(outbox_table.c.id)
        if event_type:
            query = query.where(outbox_table.c.event_type == event_type)
        with self.app.kit.factory() as session:
            return [json.loads(r.payload) for r in session.execute(query).all()]

    def outbox_count(self) -> int:
        return len(self.outbox())


class MemoryDirectory:
    """Registration's participants API answered from memory (the scheduler's Directory)."""

    def __init__(self) -> None:
        self.people: dict[str, dict[str, Any]] = {}

    def contact(self, participant_id: str) -> Contact | None:
        person = self.people.get(participant_id)
        if person is None:
            return None
        return Contact(**{f.name: person[f.name] for f in fields(Contact) if f.name in person})

    def contacts(self, participant_ids: Iterable[str]) -> dict[str, Contact]:
        found = {pid: self.contact(pid) for pid in participant_ids}
        return {pid: c for pid, c in found.items() if c is not None}


def memory_harness() -> Harness:
    """The service on a private in-memory SQLite database (one connection, this thread's), its
    tables made from the service's metadata. Redis is given an address where nothing listens:
    a use case that reached for it would fail at once."""
    settings = SchedulerSettings(
        SCHEDULER_DATABASE_URL="sqlite://",
        SCHEDULER_EDITION_ID=EDITION,
        REGISTRATION_INTERNAL_URL="http://127.0.0.1:9",
        SCHEDULER_PUBLIC_URL="http://rencontres.example",
        redis_url="redis://127.0.0.1:9/0",
        bus_prefix="test:",
        service_token="test-service-token",
        secret_key="test-secret-key",
    )
    clock = Clock()
    directory = MemoryDirectory()
    app = bootstrap(settings, clock=clock, directory=directory)
    metadata.create_all(app.kit.engine)
    return Harness(app=app, clock=clock, registration=directory)


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
