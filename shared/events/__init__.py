"""The public event contract: every event other applications may subscribe to."""

from shared.events.base import Event, utc_now
from shared.events.notifier import EmailFailed, EmailSent
from shared.events.registration import (
    Audience,
    Availability,
    MessageRequested,
    ParticipantCancelled,
    ParticipantCheckedIn,
    ParticipantErased,
    ParticipantLinkRequested,
    ParticipantRegistered,
    ParticipantUpdated,
    RegistrationStatus,
    Role,
)
from shared.events.scheduler import (
    ClosedSessionKind,
    EditionUpdated,
    ReleaseReason,
    SchedulePublished,
    SessionClosed,
    SlotAssigned,
    SlotReleased,
)
from shared.events.surveys import (
    SurveyAnswered,
    SurveyInvitationRequested,
    SurveyKind,
    SurveyOpened,
)

ALL_EVENTS: tuple[type[Event], ...] = (
    ParticipantRegistered,
    ParticipantUpdated,
    ParticipantCancelled,
    ParticipantCheckedIn,
    ParticipantErased,
    ParticipantLinkRequested,
    MessageRequested,
    EditionUpdated,
    SlotAssigned,
    SlotReleased,
    SchedulePublished,
    SessionClosed,
    EmailSent,
    EmailFailed,
    SurveyOpened,
    SurveyAnswered,
    SurveyInvitationRequested,
)

EVENTS_BY_TYPE: dict[str, type[Event]] = {cls.__name__: cls for cls in ALL_EVENTS}

__all__ = [
    "ALL_EVENTS",
    "EVENTS_BY_TYPE",
    "Audience",
    "Availability",
    "ClosedSessionKind",
    "EditionUpdated",
    "EmailFailed",
    "EmailSent",
    "Event",
    "MessageRequested",
    "ParticipantCancelled",
    "ParticipantCheckedIn",
    "ParticipantErased",
    "ParticipantLinkRequested",
    "ParticipantRegistered",
    "ParticipantUpdated",
    "RegistrationStatus",
    "ReleaseReason",
    "Role",
    "SchedulePublished",
    "SessionClosed",
    "SlotAssigned",
    "SlotReleased",
    "SurveyAnswered",
    "SurveyInvitationRequested",
    "SurveyKind",
    "SurveyOpened",
    "utc_now",
]
