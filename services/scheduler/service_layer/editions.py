"""The edition's programme: created with the action sheet's defaults, edited by the operator,
published as EditionUpdated after every change (and once at creation)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.scheduler.adapters.db import editions
from shared.bus.outbox import Outbox
from shared.edition import (
    EditionSettings,
    default_edition_for,
    next_edition_date,
)
from shared.events import EditionUpdated


class EditionLocked(Exception):
    """A change that would move published meetings; the message is for the operator."""


def default_edition_id(now: dt.datetime) -> str:
    """The year of the edition to come, as registration's default forms name it."""
    return str(next_edition_date(now.date()).year)


def load_edition(session: Session, edition_id: str) -> EditionSettings | None:
    row = session.execute(
        select(editions.c.settings).where(editions.c.edition_id == edition_id)
    ).first()
    return None if row is None else EditionSettings.model_validate(row.settings)


def current_edition(session: Session, edition_id: str) -> EditionSettings:
    """The stored programme, or the defaults it will be created with: reads, never writes
    (the service creates and announces the edition when it starts)."""
    return load_edition(session, edition_id) or default_edition_for(edition_id)


def allow_moves(session: Session, edition_id: str) -> bool:
    value = session.execute(
        select(editions.c.allow_moves).where(editions.c.edition_id == edition_id)
    ).scalar()
    return bool(value)


def ensure_edition(
    session: Session, outbox: Outbox, edition_id: str, now: dt.datetime
) -> EditionSettings:
    """The edition, created with the defaults (and announced) the first time it is needed."""
    found = load_edition(session, edition_id)
    if found is not None:
        return found
    settings = default_edition_for(edition_id)
    session.execute(
        editions.insert().values(
            edition_id=edition_id,
            settings=settings.model_dump(mode="json"),
            allow_moves=False,
            updated_at=now,
        )
    )
    outbox.add(session, EditionUpdated(edition_id=edition_id, settings=settings))
    return settings


def update_edition(
    session: Session, outbox: Outbox, settings: EditionSettings, now: dt.datetime
) -> EditionSettings:
    """Store the operator's programme and publish it; a change with no effect publishes nothing."""
    current = ensure_edition(session, outbox, settings.edition_id, now)
    if current == settings:
        return current
    if _published(session, settings.edition_id) and (
        current.date != settings.date or current.meeting_slots() != settings.meeting_slots()
    ):
        raise EditionLocked(
            "Le planning est publié : la date, les fenêtres et la durée des créneaux ne "
            "peuvent plus changer (les rendez-vous envoyés seraient perdus)."
        )
    session.execute(
        editions.update()
        .where(editions.c.edition_id == settings.edition_id)
        .values(settings=settings.model_dump(mode="json"), updated_at=now)
    )
    outbox.add(session, EditionUpdated(edition_id=settings.edition_id, settings=settings))
    return settings


def _published(session: Session, edition_id: str) -> bool:
    from services.scheduler.adapters.db import schedule_versions

    return (
        session.execute(
            select(schedule_versions.c.id).where(
                schedule_versions.c.edition_id == edition_id,
                schedule_versions.c.status == "published",
            )
        ).first()
        is not None
    )


def set_allow_moves(
    session: Session, outbox: Outbox, edition_id: str, value: bool, now: dt.datetime
) -> None:
    ensure_edition(session, outbox, edition_id, now)
    session.execute(
        editions.update().where(editions.c.edition_id == edition_id).values(allow_moves=value)
    )
