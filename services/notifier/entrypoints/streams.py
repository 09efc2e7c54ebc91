"""Events the notifier service consumes, each handled in one transaction with its dedupe row.

Handlers write pending rows of the email log; once the transaction has committed, the rows due
now are handed to the workers. A crash in between loses nothing: the beat finds rows never
enqueued.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from services.notifier.adapters.queue import Dispatcher
from services.notifier.service_layer import intake
from shared.events import (
    EditionUpdated,
    Event,
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
from shared.service import ServiceKit

_PENDING_KEY = "notifier_dispatch"


def dispatch_after_commit(session: Session, ids: list[int], dispatcher: Dispatcher | None) -> None:
    """Enqueue `ids` once `session` commits; nothing if it rolls back."""
    if not ids or dispatcher is None:
        return
    pending: list[int] | None = session.info.get(_PENDING_KEY)
    if pending is None:
        pending = session.info[_PENDING_KEY] = []

        def after_commit(committed: Session) -> None:
            committed.info.pop(_PENDING_KEY, None)
            dispatcher.dispatch(list(pending))

        def after_rollback(rolled_back: Session) -> None:
            rolled_back.info.pop(_PENDING_KEY, None)

        sa_event.listen(session, "after_commit", after_commit, once=True)
        sa_event.listen(session, "after_soft_rollback", after_rollback, once=True)
    pending.extend(ids)


def subscribe(kit: ServiceKit, dispatcher: Dispatcher | None, rules: intake.IntakeRules) -> None:
    """Register the service's handlers on its consumer group."""

    def handle(event_cls: type[Event], use_case: Callable[..., list[int]], *extra: Any) -> None:
        def handler(session: Session, event: Any) -> None:
            dispatch_after_commit(session, use_case(session, event, *extra), dispatcher)

        kit.consumer.on(event_cls)(handler)

    handle(EditionUpdated, intake.on_edition_updated)
    handle(ParticipantRegistered, intake.on_registered)
    handle(ParticipantUpdated, intake.on_updated)
    handle(ParticipantCancelled, intake.on_cancelled)
    handle(ParticipantErased, intake.on_erased)
    handle(ParticipantLinkRequested, intake.on_link_requested)
    handle(MessageRequested, intake.on_message_requested)
    handle(SchedulePublished, intake.on_published, rules)
    handle(SlotAssigned, intake.on_slot_changed, rules)
    handle(SlotReleased, intake.on_slot_changed, rules)
    handle(SurveyInvitationRequested, intake.on_survey_invitation_requested)
    handle(SurveyAnswered, intake.on_survey_answered)
