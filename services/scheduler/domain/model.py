"""What the solver plans: holders, experts, the day's slots and the appointments between them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from shared.edition import Availability, EditionSettings, HalfDay, half_day_of


@dataclass(frozen=True)
class Slot:
    index: int
    start: dt.time
    end: dt.time
    half_day: HalfDay
    # Half-days whose conference overlaps this slot: its attendees cannot meet then.
    conference_of: frozenset[HalfDay] = frozenset()


@dataclass(frozen=True)
class Holder:
    """A project holder; `id` is stable across imports (the normalised email)."""

    id: str
    needs: tuple[str, ...] = ()  # tag codes, most important first
    wants: frozenset[str] = frozenset()  # expert ids
    refuses: frozenset[str] = frozenset()  # expert ids
    availability: Availability = Availability.DAY
    conferences: frozenset[HalfDay] = frozenset()
    max_meetings: int = 4
    organisation: str = ""


@dataclass(frozen=True)
class Expert:
    id: str
    expertise: frozenset[str] = frozenset()
    wants: frozenset[str] = frozenset()  # holder ids
    refuses: frozenset[str] = frozenset()  # holder ids
    availability: Availability = Availability.DAY
    conferences: frozenset[HalfDay] = frozenset()
    max_meetings: int | None = None  # None: as many as the expert has free slots
    organisation: str = ""


Person = Holder | Expert


@dataclass(frozen=True, order=True)
class RequiredPair:
    """A meeting the organiser arranged: it is planned whatever the objective says, in the
    given half-day if there is one."""

    holder_id: str
    expert_id: str
    half_day: HalfDay | None = None


@dataclass(frozen=True, order=True)
class Appointment:
    slot: int
    table: int  # 1-based
    expert_id: str
    holder_id: str


@dataclass(frozen=True)
class Problem:
    """One planning question; holders and experts are kept sorted by id so that the plan never
    depends on the order of the rows it came from."""

    slots: tuple[Slot, ...]
    holders: tuple[Holder, ...]
    experts: tuple[Expert, ...]
    tables: int | None = None  # None: one table per expert
    required: tuple[RequiredPair, ...] = ()
    # Objective order: holders' needs before wishes (an edition setting).
    needs_before_wishes: bool = False
    holder_index: dict[str, int] = field(init=False, repr=False, compare=False)
    expert_index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "holders", tuple(sorted(self.holders, key=lambda h: h.id)))
        object.__setattr__(self, "experts", tuple(sorted(self.experts, key=lambda e: e.id)))
        object.__setattr__(self, "required", tuple(sorted(set(self.required))))
        object.__setattr__(self, "holder_index", {h.id: i for i, h in enumerate(self.holders)})
        object.__setattr__(self, "expert_index", {e.id: i for i, e in enumerate(self.experts)})
        if len(self.holder_index) != len(self.holders):
            raise ValueError("identifiant de porteur en double")
        if len(self.expert_index) != len(self.experts):
            raise ValueError("identifiant d'expert en double")

    @classmethod
    def for_edition(
        cls,
        edition: EditionSettings,
        holders: tuple[Holder, ...],
        experts: tuple[Expert, ...],
        required: tuple[RequiredPair, ...] = (),
    ) -> Problem:
        return cls(
            slots=edition_slots(edition),
            holders=holders,
            experts=experts,
            tables=edition.tables,
            required=required,
            needs_before_wishes=edition.needs_before_wishes,
        )

    def open_slots(self, person: Person) -> frozenset[int]:
        """Slots where the person is present and not at a conference they chose."""
        half_days = person.availability.half_days()
        return frozenset(
            s.index
            for s in self.slots
            if s.half_day in half_days and not (s.conference_of & person.conferences)
        )

    def capacity(self, person: Person) -> int:
        open_count = len(self.open_slots(person))
        if person.max_meetings is None:
            return open_count
        return min(person.max_meetings, open_count)


def edition_slots(edition: EditionSettings) -> tuple[Slot, ...]:
    conferences = [c for c in edition.conferences() if c.half_day is not None]
    return tuple(
        Slot(
            index=i,
            start=r.start,
            end=r.end,
            half_day=half_day_of(r.start),
            conference_of=frozenset(
                c.half_day
                for c in conferences
                if c.half_day and r.start < c.end and c.start < r.end
            ),
        )
        for i, r in enumerate(edition.meeting_slots())
    )


def fit(holder: Holder, expert: Expert) -> int:
    """How well an expert covers a holder's needs; a need outranks all the ones after it, so
    the weights are powers of two by priority."""
    n = len(holder.needs)
    return sum(
        1 << (n - 1 - rank) for rank, tag in enumerate(holder.needs) if tag in expert.expertise
    )


def wishes(holder: Holder, expert: Expert) -> int:
    """Number of sides (0, 1 or 2) that asked for this meeting."""
    return int(expert.id in holder.wants) + int(holder.id in expert.wants)


def refused(holder: Holder, expert: Expert) -> bool:
    return expert.id in holder.refuses or holder.id in expert.refuses
