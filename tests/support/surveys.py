"""A surveys service fed by hand: events delivered through its consumer's own path (decode,
dedupe, handler, commit), what it published read from its outbox. For the unit tests (on an
in-memory database) and the integration tests alike."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

from sqlalchemy import select

from services.surveys.adapters.db import outbox_table
from shared.communes import code_for
from shared.events import (
    ClosedSessionKind,
    Event,
    ParticipantCheckedIn,
    ParticipantRegistered,
    RegistrationStatus,
    Role,
    SessionClosed,
    SlotAssigned,
)
from shared.service import ServiceKit

PACKAGE = Path(__file__).resolve().parents[2] / "services" / "surveys"  # its migrations
EDITION = "2026"
DAY_END = dt.datetime(2026, 11, 19, 16, 0, tzinfo=dt.UTC)


def deliver(kit: ServiceKit, *events: Event) -> None:
    for event in events:
        kit.consumer.process(event.stream(kit.settings.bus_prefix), event.model_dump_json())


def published(kit: ServiceKit, event_type: str) -> list[dict]:
    with kit.engine.connect() as conn:
        rows = conn.execute(
            select(outbox_table.c.payload)
            .where(outbox_table.c.event_type == event_type)
            .order_by(outbox_table.c.id)
        ).scalars()
        return [json.loads(r) for r in rows]


def register(
    kit: ServiceKit,
    role: Role = Role.HOLDER,
    legal_form: str = "association",
    stage: str | None = "creation",
    commune: str | None = "Dijon",
    present: bool = True,
    status: RegistrationStatus = RegistrationStatus.REGISTERED,
) -> uuid.UUID:
    pid = uuid.uuid4()
    deliver(
        kit,
        ParticipantRegistered(
            edition_id=EDITION,
            participant_id=pid,
            role=role,
            revision=1,
            status=status,
            legal_form=legal_form,
            stage=stage if role is Role.HOLDER else None,
            commune_code=code_for(commune),  # as registration publishes it
        ),
    )
    if present:
        deliver(
            kit,
            ParticipantCheckedIn(
                edition_id=EDITION, participant_id=pid, role=role, legal_form=legal_form
            ),
        )
    return pid


def meeting(kit: ServiceKit, holder: uuid.UUID, expert: uuid.UUID, hour: int) -> uuid.UUID:
    aid = uuid.uuid4()
    start = dt.datetime(2026, 11, 19, hour - 1, 0, tzinfo=dt.UTC)
    deliver(
        kit,
        SlotAssigned(
            edition_id=EDITION,
            appointment_id=aid,
            holder_id=holder,
            expert_id=expert,
            start=start,
            end=start + dt.timedelta(minutes=30),
            table="T01",
            schedule_version=1,
        ),
    )
    return aid


def close_day(kit: ServiceKit, at: dt.datetime = DAY_END, **figures: int) -> SessionClosed:
    event = SessionClosed(
        edition_id=EDITION,
        session_id="journee",
        kind=ClosedSessionKind.DAY,
        closed_at=at,
        **figures,
    )
    deliver(kit, event)
    return event
