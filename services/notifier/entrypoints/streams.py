"""Events the notifier service consumes, each handled in one transaction with its dedupe row.

Handlers write pending rows of the email log; once the transaction has committed, the rows due
now are handed to the workers (`intake.dispatched`).
"""

from __future__ import annotations

from services.notifier.service_layer import intake
from services.notifier.service_layer.context import Notifier
from shared.bus.consumer import Subscriptions
from shared.events import (
    EditionUpdated,
    MessageRequested,
    ParticipantCancelled,
    ParticipantErased,
    ParticipantLinkRequested,
    ParticipantRegistered,
    ParticipantUpdated,
    SchedulePublished,
    SlotAssigned,
    SlotReleased,
    SurveyAnswered,
    SurveyInvitationRequested,
)

SUBSCRIPTIONS: Subscriptions[Notifier] = {
    EditionUpdated: intake.on_edition_updated,
    ParticipantRegistered: intake.on_registered,
    ParticipantUpdated: intake.on_updated,
    ParticipantCancelled: intake.on_cancelled,
    ParticipantErased: intake.on_erased,
    ParticipantLinkRequested: intake.on_link_requested,
    MessageRequested: intake.on_message_requested,
    SchedulePublished: intake.on_published,
    SlotAssigned: intake.on_slot_changed,
    SlotReleased: intake.on_slot_changed,
    SurveyInvitationRequested: intake.on_survey_invitation_requested,
    SurveyAnswered: intake.on_survey_answered,
}
