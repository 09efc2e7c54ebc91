"""Dates, times and numbers as a French reader expects them, in the edition's time zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from shared.edition import TIMEZONE

MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def local_time(value: dt.datetime, timezone: str = TIMEZONE) -> dt.datetime:
    """A moment in the edition's zone; a naive value is read as UTC (as databases give it)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(ZoneInfo(timezone))


def french_date(value: dt.date | dt.datetime | None, *, weekday: bool = False) -> str:
    """« 19 novembre 2026 », or « jeudi 19 novembre 2026 »."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = local_time(value).date()
    text = f"{value.day} {MONTHS[value.month - 1]} {value.year}"
    return f"{DAYS[value.weekday()]} {text}" if weekday else text


def french_time(value: dt.time | dt.datetime) -> str:
    """« 10 h 30 »."""
    if isinstance(value, dt.datetime):
        value = local_time(value).time()
    return f"{value.hour} h {value.minute:02d}"


def french_datetime(value: dt.datetime | None) -> str:
    """« 19 novembre 2026 à 10 h 30 »."""
    if value is None:
        return ""
    return f"{french_date(value)} à {french_time(value)}"


def french_number(value: float | int | None, digits: int = 1) -> str:
    """« 1 234 » (narrow no-break space between thousands), « 4,5 »; « — » for nothing."""
    if value is None:
        return "—"
    if isinstance(value, int):
        return f"{value:,}".replace(",", "\u202f")
    return f"{value:,.{digits}f}".replace(",", "\u202f").replace(".", ",")
