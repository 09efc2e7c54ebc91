"""Events the surveys service consumes, each handled in one transaction with its dedupe row.

Sessions and the day closing open surveys; registration's and the scheduler's events keep the
copy of participants and meetings that the surveys and the report read.
"""

from __future__ import annotations

from services.surveys.service_layer import handlers
from services.surveys.service_layer.context import Surveys
from shared.bus.consumer import Subscriptions
from shared.events import (
    EditionUpdated,
    ParticipantCancelled,
    ParticipantCheckedIn,
    ParticipantErased,
    ParticipantRegistered,
    ParticipantUpdated,
    SessionClosed,
    SlotAssigned,
    SlotReleased,
)

SUBSCRIPTIONS: Subscriptions[Surveys] = {
    EditionUpdated: handlers.edition_updated,
    SessionClosed: handlers.session_closed,
    ParticipantRegistered: handlers.participant_profile,
    ParticipantUpdated: handlers.participant_profile,
    ParticipantCancelled: handlers.participant_cancelled,
    ParticipantCheckedIn: handlers.participant_checked_in,
    ParticipantErased: handlers.participant_erased,
    SlotAssigned: handlers.slot_assigned,
    SlotReleased: handlers.slot_released,
}
