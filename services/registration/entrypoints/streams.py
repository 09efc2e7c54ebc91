"""Events the registration service consumes, each handled in one transaction with its dedupe row."""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.registration.service_layer.editions import apply_edition_updated
from shared.events import EditionUpdated
from shared.service import ServiceKit


def subscribe(kit: ServiceKit) -> None:
    """The edition's settings (dates, capacity, vocabulary) come from the scheduler."""

    @kit.consumer.on(EditionUpdated)
    def edition_updated(session: Session, event: EditionUpdated) -> None:
        apply_edition_updated(session, event)
