"""Events the surveys service consumes, each handled in one transaction with its dedupe row."""

from __future__ import annotations

from services.surveys.service_layer.handlers import Handlers
from services.surveys.settings import SurveysSettings
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
from shared.service import ServiceKit


def subscribe(kit: ServiceKit) -> Handlers:
    """Register the service's handlers on its consumer group."""
    assert isinstance(kit.settings, SurveysSettings)
    handlers = Handlers(kit.outbox, kit.settings)
    on = kit.consumer.on
    on(EditionUpdated)(handlers.edition_updated)
    on(SessionClosed)(handlers.session_closed)
    on(ParticipantRegistered)(handlers.participant_profile)
    on(ParticipantUpdated)(handlers.participant_profile)
    on(ParticipantCancelled)(handlers.participant_cancelled)
    on(ParticipantCheckedIn)(handlers.participant_checked_in)
    on(ParticipantErased)(handlers.participant_erased)
    on(SlotAssigned)(handlers.slot_assigned)
    on(SlotReleased)(handlers.slot_released)
    return handlers
