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
    """The programme of the edition changed: date, windows, sessions, vocabulary..."""

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
    """An appointment is in the published schedule (at publication or by a re-plan).

    Those sent by a publication carry its SchedulePublished's `event_id` as `correlation_id`.
    """


class SlotReleased(_SlotEvent):
    """A published appointment was removed or moved (a moved one is assigned again)."""

    reason: ReleaseReason


class SchedulePublished(_SchedulerEvent):
    """A version of the schedule was published; its SlotAssigned events follow."""

    schedule_version: int
    appointments: int
    holders_with_meeting: int


class ClosedSessionKind(StrEnum):
    CONFERENCE = "conference"
    WINDOW = "window"
    DAY = "day"


class SessionClosed(_SchedulerEvent):
    """A conference, a meeting window or the whole day is over."""

    session_id: str
    kind: ClosedSessionKind
    closed_at: AwareDatetime
    attendee_ids: list[uuid.UUID] = Field(default_factory=list, description="Present at it")
    attendees: int = 0
    meetings_held: int = 0
    meetings_missed: int = 0
