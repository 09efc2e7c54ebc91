"""Events of the scheduler service: the programme, the appointments, the sessions."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, Field

from shared.edition import EditionSettings
from shared.events.base import Event


class _SchedulerEvent(Event):
    producer: ClassVar[str] = "scheduler"


class EditionUpdated(_SchedulerEvent):
    settings: EditionSettings


class ReleaseReason(StrEnum):
    CANCELLED = "annulation"
    NO_SHOW = "absence"
    MOVED = "deplacement"
    MANUAL = "manuel"


class _SlotEvent(_SchedulerEvent):
    appointment_id: uuid.UUID
    holder_id: uuid.UUID
    expert_id: uuid.UUID
    start: AwareDatetime
    end: AwareDatetime
    table: str
    schedule_version: int


class SlotAssigned(_SlotEvent):
    pass


class SlotReleased(_SlotEvent):
    reason: ReleaseReason


class SchedulePublished(_SchedulerEvent):
    schedule_version: int
    appointments: int
    holders_with_meeting: int


class ClosedSessionKind(StrEnum):
    CONFERENCE = "conference"
    WINDOW = "window"
    DAY = "day"


class SessionClosed(_SchedulerEvent):
    session_id: str
    kind: ClosedSessionKind
    closed_at: AwareDatetime
    attendee_ids: list[uuid.UUID] = Field(default_factory=list, description="Present at it")
    attendees: int = 0
    meetings_held: int = 0
    meetings_missed: int = 0
