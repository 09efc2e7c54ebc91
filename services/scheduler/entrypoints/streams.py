"""Events the scheduler service consumes, each handled in one transaction with its dedupe row."""

from __future__ import annotations

from services.scheduler.service_layer import participants as readmodel
from services.scheduler.service_layer.context import Scheduler
from shared.events import (
    ParticipantCancelled,
    ParticipantCheckedIn,
    ParticipantErased,
    ParticipantRegistered,
    ParticipantUpdated,
)


def subscribe(app: Scheduler) -> None:
    """Registration's participant events feed the read model (and re-plan after publication)."""
    on = app.kit.consumer.on
    on(ParticipantRegistered)(lambda session, event: readmodel.on_profile(session, app, event))
    on(ParticipantUpdated)(lambda session, event: readmodel.on_profile(session, app, event))
    on(ParticipantCancelled)(lambda session, event: readmodel.on_cancelled(session, app, event))
    on(ParticipantErased)(lambda session, event: readmodel.on_erased(session, app, event))
    on(ParticipantCheckedIn)(lambda session, event: readmodel.on_checked_in(session, app, event))
