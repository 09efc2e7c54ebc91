"""The programme of an edition, with the defaults of the PES 21 action sheet.

The scheduler owns it and publishes it in EditionUpdated; the other services keep a copy.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

TIMEZONE = "Europe/Paris"


class SessionKind(StrEnum):
    CONFERENCE = "conference"
    WINDOW = "window"
    LUNCH = "lunch"
    CLOSING = "closing"
    DAY = "day"


class HalfDay(StrEnum):
    MORNING = "matin"
    AFTERNOON = "apres-midi"

    @property
    def label(self) -> str:
        """As people read it: the code has no accent, the French word has one."""
        return "après-midi" if self is HalfDay.AFTERNOON else "matin"


class Availability(StrEnum):
    """When a participant can hold meetings."""

    DAY = "journee"
    MORNING = "matin"
    AFTERNOON = "apres-midi"

    def half_days(self) -> frozenset[HalfDay]:
        if self is Availability.DAY:
            return frozenset(HalfDay)
        return frozenset({HalfDay(self.value)})


# Meeting windows are split into morning and afternoon by the lunch break, which the action
# sheet places between 12:30 and 14:00; any start before 13:00 belongs to the morning.
MIDDAY = dt.time(13, 0)


def half_day_of(start: dt.time) -> HalfDay:
    return HalfDay.MORNING if start < MIDDAY else HalfDay.AFTERNOON


def _minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def _time(minutes: int) -> dt.time:
    return dt.time(minutes // 60, minutes % 60)


class TimeRange(BaseModel):
    model_config = ConfigDict(frozen=True)

    start: dt.time
    end: dt.time

    @model_validator(mode="after")
    def _ordered(self) -> TimeRange:
        if self.end <= self.start:
            raise ValueError("l'heure de fin doit suivre l'heure de début")
        return self

    def minutes(self) -> int:
        return _minutes(self.end) - _minutes(self.start)

    def overlaps(self, start: dt.time, end: dt.time) -> bool:
        return start < self.end and self.start < end


class Session(BaseModel):
    """A timed moment of the day that people attend as a group (conference, lunch, closing)."""

    model_config = ConfigDict(frozen=True)

    session_id: str
    kind: SessionKind
    title: str
    start: dt.time
    end: dt.time
    theme: str = ""
    half_day: HalfDay | None = None


class Tag(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    label: str


DEFAULT_TAGS: tuple[Tag, ...] = (
    Tag(code="financement-projet", label="Financement de projet"),
    Tag(code="mecenat", label="Mécénat"),
    Tag(code="budget-previsionnel", label="Budget prévisionnel"),
    Tag(code="business-plan", label="Business plan"),
    Tag(code="relation-bancaire", label="Mise en relation bancaire"),
    Tag(code="financement-participatif", label="Financement participatif"),
)

DEFAULT_WINDOWS: tuple[TimeRange, ...] = (
    TimeRange(start=dt.time(10, 0), end=dt.time(12, 30)),
    TimeRange(start=dt.time(14, 0), end=dt.time(16, 30)),
)

DEFAULT_SESSIONS: tuple[Session, ...] = (
    Session(
        session_id="conference-matin",
        kind=SessionKind.CONFERENCE,
        title="Conférence-débat du matin",
        theme="Mécénat et RSE",
        start=dt.time(11, 0),
        end=dt.time(12, 0),
        half_day=HalfDay.MORNING,
    ),
    Session(
        session_id="repas",
        kind=SessionKind.LUNCH,
        title="Repas d'affaires et réseautage",
        start=dt.time(12, 30),
        end=dt.time(14, 0),
    ),
    Session(
        session_id="conference-apres-midi",
        kind=SessionKind.CONFERENCE,
        title="Conférence-débat de l'après-midi",
        theme="Financement participatif",
        start=dt.time(15, 30),
        end=dt.time(16, 30),
        half_day=HalfDay.AFTERNOON,
    ),
    Session(
        session_id="cloture",
        kind=SessionKind.CLOSING,
        title="Verre de l'amitié et clôture",
        start=dt.time(17, 0),
        end=dt.time(18, 0),
    ),
)


def normalise_key(text: str) -> str:
    """Lower-case, accents and surrounding spaces removed: how labels and codes are compared."""
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class EditionSettings(BaseModel):
    """Everything the operator can change about a day; the defaults come from the action sheet."""

    model_config = ConfigDict(frozen=True)

    edition_id: str
    title: str = "Rencontres du financement de l'ESS – Mois de l'ESS"
    date: dt.date
    venue: str = "PES 21, 12 avenue Gustave Eiffel, 21000 Dijon"
    timezone: str = TIMEZONE
    slot_minutes: int = Field(default=30, ge=10, le=120)
    windows: tuple[TimeRange, ...] = DEFAULT_WINDOWS
    sessions: tuple[Session, ...] = DEFAULT_SESSIONS
    tags: tuple[Tag, ...] = DEFAULT_TAGS
    tables: int | None = Field(default=None, ge=1, description="None: one table per expert")
    holder_max_meetings: int = Field(default=4, ge=1)
    # The planner's objective: holders' needs served before wishes granted (default: after).
    needs_before_wishes: bool = False
    registration_opens: dt.datetime | None = None
    registration_closes: dt.datetime | None = None
    capacity_holders: int | None = Field(default=50, ge=1)
    capacity_experts: int | None = Field(default=20, ge=1)

    def tag_code(self, text: str) -> str | None:
        """The vocabulary code for a code or a French label, whatever its accents and case."""
        key = normalise_key(text).replace(" ", "-")
        for tag in self.tags:
            if key in (normalise_key(tag.code), normalise_key(tag.label).replace(" ", "-")):
                return tag.code
        return None

    def conferences(self) -> tuple[Session, ...]:
        return tuple(s for s in self.sessions if s.kind is SessionKind.CONFERENCE)

    def meeting_slots(self) -> tuple[TimeRange, ...]:
        """The day's meeting slots in time order; a window's remainder shorter than a slot is
        left unused rather than producing a short meeting."""
        slots: list[TimeRange] = []
        for window in sorted(self.windows, key=lambda w: w.start):
            start = _minutes(window.start)
            while start + self.slot_minutes <= _minutes(window.end):
                slots.append(TimeRange(start=_time(start), end=_time(start + self.slot_minutes)))
                start += self.slot_minutes
        return tuple(slots)


def third_thursday_of_november(year: int) -> dt.date:
    first = dt.date(year, 11, 1)
    return first + dt.timedelta(days=(3 - first.weekday()) % 7 + 14)


def next_edition_date(today: dt.date) -> dt.date:
    """The action sheet's day to come: this year's, or next year's once this year's is past
    (a fresh install in December prepares the coming edition)."""
    date = third_thursday_of_november(today.year)
    return date if date >= today else third_thursday_of_november(today.year + 1)


def default_edition_for(edition_id: str) -> EditionSettings:
    """The action sheet's day for an edition named by its year (« 2027 »: the third Thursday
    of November 2027); any other id (« 0000 », « ٢٠٢٧ », « printemps ») gets the next day."""
    if (
        len(edition_id) == 4
        and edition_id.isascii()
        and edition_id.isdigit()
        and edition_id > "0000"
    ):
        return default_edition(third_thursday_of_november(int(edition_id)), edition_id)
    return default_edition(edition_id=edition_id)


def default_edition(date: dt.date | None = None, edition_id: str | None = None) -> EditionSettings:
    """The action sheet's day, by default the next one."""
    if date is None:
        date = next_edition_date(dt.date.today())
    return EditionSettings(edition_id=edition_id or str(date.year), date=date)
