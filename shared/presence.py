"""What « présent » means, and each count of presence, for every page and the report.

A person is **présent** once checked in at the welcome desk (registration owns the check-in;
`ParticipantCheckedIn` carries it to the scheduler and the surveys service). Whatever their
status since, and even once erased, they stay counted: the counts are anonymous and the day
happened. Someone not checked in is **attendu** (awaited), **absent** (marked by the team
as a no-show) or **a prévenu** (told the team they will not come); absent and excused people
have their meetings released in the same way, the state only says why.

The desk, the back-office home, the scheduler's day page and grid, and the surveys report all
count with `count_present`, over every row of the edition (erased ones included)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from shared.vocabulary import Role


class Presence(StrEnum):
    PRESENT = "present"
    AWAITED = "attendu"
    ABSENT = "absent"
    EXCUSED = "prevenu"


PRESENCE_LABELS: dict[str, str] = {
    Presence.PRESENT: "présent·e",
    Presence.AWAITED: "attendu·e",
    Presence.ABSENT: "absent·e",
    Presence.EXCUSED: "a prévenu",
}


def presence_of(checked_in: bool, absent: bool = False, excused: bool = False) -> Presence:
    """A check-in wins over a mark: someone marked absent who arrives after all is present."""
    if checked_in:
        return Presence.PRESENT
    if absent:
        return Presence.EXCUSED if excused else Presence.ABSENT
    return Presence.AWAITED


@dataclass(frozen=True)
class Person:
    """What the counts need to know of one participant row."""

    role: str
    checked_in: bool
    registered: bool = True  # status « inscrit » (not waiting, not cancelled)
    erased: bool = False
    absent: bool = False
    excused: bool = False


@dataclass(frozen=True)
class Tally:
    """The day's counts. Present: checked in (erased people included, see above). Absent,
    excused and awaited: registered people, not erased, not checked in, by their mark."""

    present_by_role: dict[str, int] = field(default_factory=dict)
    absent: int = 0
    excused: int = 0
    awaited: int = 0

    @property
    def present(self) -> int:
        return sum(self.present_by_role.values())

    @property
    def holders(self) -> int:
        return self.present_by_role.get(Role.HOLDER.value, 0)

    @property
    def experts(self) -> int:
        return self.present_by_role.get(Role.EXPERT.value, 0)


def tally(people: Iterable[Person]) -> Tally:
    present = {Role.HOLDER.value: 0, Role.EXPERT.value: 0}
    marks = {Presence.ABSENT: 0, Presence.EXCUSED: 0, Presence.AWAITED: 0}
    for p in people:
        state = presence_of(p.checked_in, p.absent, p.excused)
        if state is Presence.PRESENT:
            present[p.role] = present.get(p.role, 0) + 1
        elif p.registered and not p.erased:
            marks[state] += 1
    return Tally(present, marks[Presence.ABSENT], marks[Presence.EXCUSED], marks[Presence.AWAITED])


def count_present(people: Iterable[tuple[str, bool]]) -> Tally:
    """`people`: (role, checked in) for every participant row of the edition, erased included."""
    return tally(Person(role, checked_in, registered=False) for role, checked_in in people)
