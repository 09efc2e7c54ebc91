"""Pure rules of the live schedule: meeting reasons, manual edits, what is left of the day."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

from services.scheduler.domain.model import Appointment, Expert, Holder, Problem, fit, refused


class SchedulingError(Exception):
    """A manual change that would break a hard rule; the message is for the operator."""


class ReasonKind(StrEnum):
    WISH = "souhait"
    NEED = "besoin"


@dataclass(frozen=True)
class Reason:
    kind: ReasonKind
    text: str


def meeting_reason(holder: Holder, expert: Expert, tag_labels: Mapping[str, str]) -> Reason:
    """Why these two meet: a wish (from whom) first, else the needs the expert covers."""
    sides = []
    if expert.id in holder.wants:
        sides.append("le porteur")
    if holder.id in expert.wants:
        sides.append("l'expert")
    if sides:
        return Reason(ReasonKind.WISH, "Souhaité par " + " et ".join(sides))
    covered = [tag_labels.get(t, t) for t in holder.needs if t in expert.expertise]
    if covered and fit(holder, expert) > 0:
        return Reason(ReasonKind.NEED, "Besoins : " + ", ".join(covered))
    return Reason(ReasonKind.NEED, "Créneau libre")


def check_schedule(problem: Problem, appointments: Iterable[Appointment]) -> None:
    """Raise SchedulingError with a French message at the first hard rule broken."""
    busy: set[tuple[str, int]] = set()
    tables: set[tuple[int, int]] = set()
    pairs: set[tuple[str, str]] = set()
    counts: dict[str, int] = {}
    for a in sorted(appointments):
        h = problem.holder_index.get(a.holder_id)
        e = problem.expert_index.get(a.expert_id)
        if h is None or e is None:
            raise SchedulingError("Ce rendez-vous concerne une personne qui n'est plus inscrite.")
        holder, expert = problem.holders[h], problem.experts[e]
        if not 0 <= a.slot < len(problem.slots):
            raise SchedulingError("Ce créneau n'existe pas dans le programme.")
        label = problem.slots[a.slot].start.strftime("%H:%M")
        if refused(holder, expert):
            raise SchedulingError("L'une des deux personnes a refusé ce rendez-vous.")
        if a.slot not in problem.open_slots(holder):
            raise SchedulingError(
                f"Le porteur n'est pas disponible à {label} (présence ou conférence)."
            )
        if a.slot not in problem.open_slots(expert):
            raise SchedulingError(
                f"L'expert n'est pas disponible à {label} (présence ou conférence)."
            )
        if (a.holder_id, a.slot) in busy:
            raise SchedulingError(f"Le porteur a déjà un rendez-vous à {label}.")
        if (a.expert_id, a.slot) in busy:
            raise SchedulingError(f"L'expert a déjà un rendez-vous à {label}.")
        busy.update({(a.holder_id, a.slot), (a.expert_id, a.slot)})
        # One table per expert: the solver numbers new experts' tables after the kept ones.
        limit = problem.tables if problem.tables is not None else 2 * len(problem.experts)
        if not 1 <= a.table <= max(limit, 1):
            raise SchedulingError(f"La table {a.table} n'existe pas (1 à {limit}).")
        if (a.slot, a.table) in tables:
            raise SchedulingError(f"La table T{a.table:02d} est déjà occupée à {label}.")
        tables.add((a.slot, a.table))
        if (a.holder_id, a.expert_id) in pairs:
            raise SchedulingError("Ces deux personnes se rencontrent déjà.")
        pairs.add((a.holder_id, a.expert_id))
        for pid in (a.holder_id, a.expert_id):
            counts[pid] = counts.get(pid, 0) + 1
        if counts[a.holder_id] > problem.capacity(holder):
            raise SchedulingError("Le porteur dépasserait son nombre maximal de rendez-vous.")
        if counts[a.expert_id] > problem.capacity(expert):
            raise SchedulingError("L'expert dépasserait son nombre maximal de rendez-vous.")


def moved(
    problem: Problem,
    appointments: Iterable[Appointment],
    target: Appointment,
    slot: int,
    table: int | None,
) -> tuple[Appointment, ...]:
    """The schedule with `target` moved to another slot (and table, or its own), checked."""
    rest = [a for a in appointments if a != target]
    changed = replace(target, slot=slot, table=target.table if table is None else table)
    result = (*rest, changed)
    check_schedule(problem, result)
    return tuple(sorted(result))


def swapped(
    problem: Problem, appointments: Iterable[Appointment], first: Appointment, second: Appointment
) -> tuple[Appointment, ...]:
    """The schedule with two meetings exchanging their slots and tables, checked."""
    if first == second:
        raise SchedulingError("Choisissez deux rendez-vous différents.")
    rest = [a for a in appointments if a not in (first, second)]
    result = (
        *rest,
        replace(first, slot=second.slot, table=second.table),
        replace(second, slot=first.slot, table=first.table),
    )
    check_schedule(problem, result)
    return tuple(sorted(result))


@dataclass(frozen=True)
class Remaining:
    """The part of the day still ahead: a problem over the future slots only, in which meetings
    already held count against caps and pairs that met cannot meet again."""

    problem: Problem
    first_slot: int  # index, in the full problem, of the remaining problem's slot 0

    def to_full(self, a: Appointment) -> Appointment:
        return replace(a, slot=a.slot + self.first_slot)

    def to_remaining(self, a: Appointment) -> Appointment:
        return replace(a, slot=a.slot - self.first_slot)


def remaining_day(problem: Problem, past: Iterable[Appointment], first_slot: int) -> Remaining:
    """`past`: meetings in slots before `first_slot` (held or about to be)."""
    past = tuple(past)
    held: dict[str, int] = {}
    met: dict[str, set[str]] = {}
    for a in past:
        held[a.holder_id] = held.get(a.holder_id, 0) + 1
        held[a.expert_id] = held.get(a.expert_id, 0) + 1
        met.setdefault(a.holder_id, set()).add(a.expert_id)
    slots = tuple(
        replace(s, index=s.index - first_slot) for s in problem.slots if s.index >= first_slot
    )
    holders = tuple(
        replace(
            h,
            max_meetings=max(0, h.max_meetings - held.get(h.id, 0)),
            refuses=h.refuses | frozenset(met.get(h.id, ())),
        )
        for h in problem.holders
    )
    experts = tuple(
        e
        if e.max_meetings is None
        else replace(e, max_meetings=max(0, e.max_meetings - held.get(e.id, 0)))
        for e in problem.experts
    )
    return Remaining(
        problem=Problem(
            slots=slots,
            holders=holders,
            experts=experts,
            tables=problem.tables,
            needs_before_wishes=problem.needs_before_wishes,
        ),
        first_slot=first_slot,
    )
