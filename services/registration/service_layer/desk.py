"""The welcome desk's view of the day: registration's people with, from the scheduler, each
one's next meeting (time, table, with whom) and their mark (absent, « a prévenu »); who is
still awaited at each slot; the counts, as shared/presence.py defines them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.registration.adapters.db import participants
from services.registration.domain.model import Participant
from shared.db import record
from shared.events import RegistrationStatus
from shared.presence import Person, Presence, Tally, presence_of, tally


@dataclass(frozen=True)
class Meeting:
    start: dt.datetime
    table: str
    with_name: str
    with_organisation: str
    started: bool

    def sentence(self, tz: Any) -> str:
        """« 10:30, table T04, avec Camille Martin (Fondation X) »."""
        who = self.with_name + (f" ({self.with_organisation})" if self.with_organisation else "")
        when = self.start.astimezone(tz).strftime("%H:%M")
        return f"{when}, table {self.table}, avec {who}" + (" (commencé)" if self.started else "")


@dataclass(frozen=True)
class Slot:
    start: dt.datetime
    people: list[Participant]


@dataclass
class DeskDay:
    reachable: bool  # the scheduler answered
    published: bool
    presence: dict[str, Presence] = field(default_factory=dict)
    meetings: dict[str, Meeting] = field(default_factory=dict)
    awaited: list[Slot] = field(default_factory=list)  # not here yet, by their next meeting
    marked: list[Participant] = field(default_factory=list)  # absent or « a prévenu »
    counts: Tally = field(default_factory=Tally)

    def meeting(self, participant_id: str) -> Meeting | None:
        return self.meetings.get(participant_id)


def _parse(value: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None


def desk_day(session: Session, edition_id: str, remote: dict[str, Any] | None) -> DeskDay:
    """`remote`: the scheduler's `/internal/editions/{edition}/desk` answer, None if it did
    not answer (then the marks and meetings are unknown, the check-in still works)."""
    rows = [
        record(Participant, row)
        for row in session.execute(
            select(participants).where(participants.c.edition_id == edition_id)
        ).all()
    ]
    by_id = {r.participant_id: r for r in rows}
    marks_in = (remote or {}).get("marks") or {}
    marks = {pid: Presence(v) for pid, v in marks_in.items() if v in ("absent", "prevenu")}
    day = DeskDay(remote is not None, bool((remote or {}).get("published")))
    for pid, m in ((remote or {}).get("next_meetings") or {}).items():
        start, other = _parse(m.get("start")), by_id.get(str(m.get("counterpart_id")))
        if start is None:
            continue
        name = " ".join(filter(None, [other.first_name, other.last_name])) if other else ""
        day.meetings[pid] = Meeting(
            start,
            str(m.get("table", "")),
            name or "une personne",
            (other.organisation or "") if other else "",
            bool(m.get("started")),
        )
    people = []
    slots: dict[dt.datetime, list[Participant]] = {}
    for r in rows:
        registered = r.status == RegistrationStatus.REGISTERED.value
        mark = marks.get(r.participant_id)
        state = presence_of(r.checked_in_at is not None, mark is not None, mark is Presence.EXCUSED)
        day.presence[r.participant_id] = state
        people.append(
            Person(
                role=r.role,
                checked_in=r.checked_in_at is not None,
                registered=registered,
                erased=r.erased_at is not None,
                absent=mark is not None,
                excused=mark is Presence.EXCUSED,
            )
        )
        if r.erased_at is not None or not registered:
            continue
        if state in (Presence.ABSENT, Presence.EXCUSED):
            day.marked.append(r)
        elif state is Presence.AWAITED and r.participant_id in day.meetings:
            slots.setdefault(day.meetings[r.participant_id].start, []).append(r)
    day.counts = tally(people)
    day.awaited = [
        Slot(start, sorted(group, key=lambda r: (r.last_name or "", r.first_name or "")))
        for start, group in sorted(slots.items())
    ]
    day.marked.sort(key=lambda r: (r.last_name or "", r.first_name or ""))
    return day
