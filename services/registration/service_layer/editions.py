"""The service's copy of each edition's settings: the defaults until the scheduler says more."""

from __future__ import annotations

import datetime as dt
import functools
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from services.registration.adapters.db import editions
from services.registration.domain.model import RegistrationError
from shared.edition import TIMEZONE, EditionSettings, default_edition
from shared.events import EditionUpdated, utc_now
from shared.french import local_time

if TYPE_CHECKING:
    from services.registration.service_layer.context import Registration


@functools.lru_cache(maxsize=16)
def _parsed(stored: str) -> EditionSettings:
    """Settings are frozen and change rarely: each stored version is validated once, not on
    every request that reads it."""
    return EditionSettings.model_validate_json(stored)


# Built once: on SQLite, building a statement costs more than running it.
_SETTINGS = select(editions.c.settings).where(editions.c.edition_id == bindparam("eid"))
_SETTINGS_FOR_UPDATE = _SETTINGS.with_for_update()
_TOUCH = (
    update(editions)
    .where(editions.c.edition_id == bindparam("eid"))
    .values(edition_id=editions.c.edition_id)
)


def get_edition(session: Session, edition_id: str, *, lock: bool = False) -> EditionSettings:
    """The stored settings, or the action sheet's defaults for this year's edition.

    `lock` serialises the registrations of one edition: places are counted under it.
    """
    query = _SETTINGS
    if lock:
        query = _SETTINGS_FOR_UPDATE
        if session.get_bind().dialect.name == "sqlite":
            # SQLite ignores FOR UPDATE and reads outside a transaction until the first write:
            # writing first takes the database's write lock for the whole unit of work.
            session.execute(_TOUCH, {"eid": edition_id})
    stored = session.execute(query, {"eid": edition_id}).scalar_one_or_none()
    if stored is not None:
        return _parsed(stored)
    default = default_edition()
    if edition_id != default.edition_id:
        raise RegistrationError("unknown_edition")
    if lock:
        session.execute(
            editions.insert().values(
                edition_id=edition_id, settings=default.model_dump_json(), updated_at=utc_now()
            )
        )
        return get_edition(session, edition_id, lock=True)
    return default


def known_editions(session: Session) -> list[str]:
    stored = list(session.execute(select(editions.c.edition_id)).scalars())
    default = default_edition().edition_id
    return sorted({*stored, default}, reverse=True)


def on_edition_updated(session: Session, app: Registration, event: EditionUpdated) -> None:
    """The handler of the scheduler's EditionUpdated (entrypoints/streams.py)."""
    apply_edition_updated(session, event)


def apply_edition_updated(session: Session, event: EditionUpdated) -> None:
    """Keep the newest settings only: an older EditionUpdated delivered late changes nothing."""
    settings = event.settings
    row = session.execute(
        select(editions.c.updated_at).where(editions.c.edition_id == settings.edition_id)
    ).first()
    values = {"settings": settings.model_dump_json(), "updated_at": event.occurred_at}
    if row is None:
        session.execute(editions.insert().values(edition_id=settings.edition_id, **values))
    elif row.updated_at <= event.occurred_at:
        session.execute(
            editions.update().where(editions.c.edition_id == settings.edition_id).values(**values)
        )


def registration_state(edition: EditionSettings, now: dt.datetime | None = None) -> str:
    """`open`, `not_yet`, `closed` (the closing date is reached) or `past` (the day is over,
    whatever the dates say: nobody registers for a day that has happened)."""
    now = now or utc_now()
    if day_is_past(edition, now):
        return "past"
    if edition.registration_opens and now < _aware(edition.registration_opens):
        return "not_yet"
    if edition.registration_closes and now >= _aware(edition.registration_closes):
        return "closed"
    return "open"


def day_is_past(edition: EditionSettings, now: dt.datetime | None = None) -> bool:
    """From the midnight after the day, in the edition's zone."""
    return edition.date < local_time(now or utc_now(), edition.timezone).date()


def _aware(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=ZoneInfo(TIMEZONE))
    return moment
