"""Events the scheduler service consumes, each handled in one transaction with its dedupe row.

Registration's participant events feed the read model (and re-plan after publication).
"""

from __future__ import annotations

from services.scheduler.service_layer import participants as readmodel
from services.scheduler.service_layer.context import Scheduler
from shared.bus.consumer import Subscriptions
from shared.events import (
    ParticipantCancelled,
    ParticipantCheckedIn,
    ParticipantErased,
    ParticipantRegistered,
    ParticipantUpdated,
)

SUBSCRIPTIONS: Subscriptions[Scheduler] = {
    ParticipantRegistered: readmodel.on_profile,
    ParticipantUpdated: readmodel.on_profile,
    ParticipantCancelled: readmodel.on_cancelled,
    ParticipantErased: readmodel.on_erased,
    ParticipantCheckedIn: readmodel.on_checked_in,
}
