"""Pure rules of the live schedule: meeting reasons, manual edits, what is left of the day."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

from services.scheduler.domain.model import (
    Appointment,
    Expert,
    Holder,
    Person,
    Problem,
    fit,
    refused,
)


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


class CellState(StrEnum):
    """What dropping a meeting on a cell of its expert's row would do."""

    HERE = "ici"  # the meeting's own cell
    MOVE = "deplacer"  # a free cell where both people are free
    SWAP = "echanger"  # another meeting of the same expert, whose slot the two exchange
    REFUSED = "refuse"


class Why(StrEnum):
    """Why a cell is refused, for its look in the grid (the text says it in French)."""

    CONFERENCE = "conference"
    UNAVAILABLE = "indisponible"
    BUSY = "occupe"
    FULL = "complet"
    LOCKED = "verrouille"
    PAST = "passe"
    GONE = "absent"


@dataclass(frozen=True)
class Verdict:
    slot: int
    state: CellState
    reason: str  # French, for the operator
    why: Why | None = None
    table: int | None = None  # the table a move would take
    other: Appointment | None = None  # the meeting a swap would exchange with

    @property
    def allowed(self) -> bool:
        return self.state in (CellState.MOVE, CellState.SWAP)


def _absence(problem: Problem, person: Person, slot: int) -> Why | None:
    s = problem.slots[slot]
    if s.half_day not in person.availability.half_days():
        return Why.UNAVAILABLE
    if s.conference_of & person.conferences:
        return Why.CONFERENCE
    return None


def _label(problem: Problem, slot: int) -> str:
    return problem.slots[slot].start.strftime("%H:%M")


def _away(who: str, why: Why, label: str) -> str:
    if why is Why.CONFERENCE:
        return f"{who} est en conférence à {label}."
    return f"{who} n'est pas disponible à {label} (présent·e l'autre demi-journée seulement)."


def drop_verdict(
    problem: Problem,
    appointments: Iterable[Appointment],
    target: Appointment,
    slot: int,
    *,
    locked: Collection[Appointment] = (),
    first_open: int = 0,
) -> Verdict:
    """What putting `target` at `slot` in its expert's row does: move it there (the cell is
    free for both people and a table), exchange slots with the expert's meeting there, or
    nothing, and why. The grid lights its cells with it and the server refuses with it.
    `first_open`: the first slot still ahead (earlier ones are started or past)."""
    if not 0 <= slot < len(problem.slots):
        return Verdict(slot, CellState.REFUSED, "Ce créneau n'existe pas dans le programme.")
    label = _label(problem, slot)
    if target in locked:
        return Verdict(
            slot,
            CellState.REFUSED,
            "Ce rendez-vous est verrouillé : déverrouillez-le pour le déplacer.",
            Why.LOCKED,
        )
    if slot == target.slot:
        return Verdict(slot, CellState.HERE, f"Créneau actuel de ce rendez-vous ({label}).")
    h = problem.holder_index.get(target.holder_id)
    e = problem.expert_index.get(target.expert_id)
    if h is None or e is None:
        return Verdict(
            slot,
            CellState.REFUSED,
            "Ce rendez-vous concerne une personne absente ou qui n'est plus inscrite.",
            Why.GONE,
        )
    if target.slot < first_open:
        return Verdict(slot, CellState.REFUSED, "Ce rendez-vous a déjà commencé.", Why.PAST)
    if slot < first_open:
        return Verdict(
            slot, CellState.REFUSED, f"Le créneau de {label} est déjà commencé ou passé.", Why.PAST
        )
    holder, expert = problem.holders[h], problem.experts[e]
    for who, person in (("Le porteur", holder), ("L'expert", expert)):
        why = _absence(problem, person, slot)
        if why is not None:
            return Verdict(slot, CellState.REFUSED, _away(who, why, label), why)
    rest = [a for a in appointments if a != target]
    occupant = next((a for a in rest if a.expert_id == expert.id and a.slot == slot), None)
    holder_there = next((a for a in rest if a.holder_id == holder.id and a.slot == slot), None)
    if holder_there is not None and holder_there != occupant:
        return Verdict(
            slot,
            CellState.REFUSED,
            f"Le porteur a déjà un rendez-vous à {label} avec un autre expert.",
            Why.BUSY,
        )
    if occupant is None:
        taken = {a.table for a in rest if a.slot == slot}
        limit = problem.tables
        if limit is not None and len(taken) >= limit:
            return Verdict(
                slot,
                CellState.REFUSED,
                f"Toutes les tables ({limit}) sont prises à {label}.",
                Why.FULL,
            )
        table = (
            target.table
            if target.table not in taken
            else next(n for n in range(1, len(taken) + 2) if n not in taken)
        )
        return Verdict(
            slot, CellState.MOVE, f"Libre : déplacer à {label}, table T{table:02d}.", table=table
        )
    # The expert's meeting there: both exchange slots (and tables).
    back = _label(problem, target.slot)
    if occupant in locked:
        return Verdict(
            slot,
            CellState.REFUSED,
            f"Le rendez-vous de {label} est verrouillé : échange impossible.",
            Why.LOCKED,
        )
    other_h = problem.holder_index.get(occupant.holder_id)
    if other_h is None:
        return Verdict(
            slot,
            CellState.REFUSED,
            f"Le porteur du rendez-vous de {label} est absent ou n'est plus inscrit.",
            Why.GONE,
        )
    why = _absence(problem, problem.holders[other_h], target.slot)
    if why is not None:
        return Verdict(
            slot,
            CellState.REFUSED,
            "Échange impossible : " + _away("l'autre porteur", why, back),
            why,
        )
    if any(a.holder_id == occupant.holder_id and a.slot == target.slot for a in rest):
        return Verdict(
            slot,
            CellState.REFUSED,
            f"Échange impossible : l'autre porteur a déjà un rendez-vous à {back}.",
            Why.BUSY,
        )
    return Verdict(
        slot,
        CellState.SWAP,
        f"Occupé : échanger avec le rendez-vous de {label}.",
        table=occupant.table,
        other=occupant,
    )


def drop_verdicts(
    problem: Problem,
    appointments: Iterable[Appointment],
    target: Appointment,
    *,
    locked: Collection[Appointment] = (),
    first_open: int = 0,
) -> tuple[Verdict, ...]:
    """`drop_verdict` for every slot of the day."""
    appointments = tuple(appointments)
    return tuple(
        drop_verdict(problem, appointments, target, s, locked=locked, first_open=first_open)
        for s in range(len(problem.slots))
    )


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


Pair = tuple[str, str]  # (holder id, expert id): a pair meets at most once a day


@dataclass(frozen=True)
class Reconciliation:
    """What a new plan of the rest of the day does to the meetings already published."""

    kept: tuple[Appointment, ...]  # same slot, same table
    moved: tuple[tuple[Appointment, Appointment], ...]  # (published, planned): other slot or table
    released: tuple[Appointment, ...]  # published, no longer in the plan
    created: tuple[Appointment, ...]  # planned, not published


def reconcile(published: Iterable[Appointment], planned: Iterable[Appointment]) -> Reconciliation:
    """Compare by pair, not by slot: a pair that keeps its meeting keeps its appointment (its
    id, its emails) even when the meeting moves."""
    plan: dict[Pair, Appointment] = {(a.holder_id, a.expert_id): a for a in planned}
    kept: list[Appointment] = []
    moves: list[tuple[Appointment, Appointment]] = []
    released: list[Appointment] = []
    for old in published:
        new = plan.pop((old.holder_id, old.expert_id), None)
        if new is None:
            released.append(old)
        elif (new.slot, new.table) == (old.slot, old.table):
            kept.append(old)
        else:
            moves.append((old, new))
    return Reconciliation(tuple(kept), tuple(moves), tuple(released), tuple(plan.values()))
