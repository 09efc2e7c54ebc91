"""Exact slot placement by CP-SAT (OR-Tools): the pairs chosen, give them slots.

The model: one Boolean per (meeting, slot it may take); each meeting takes exactly one slot;
nobody is in two meetings at once; at most `tables` meetings at a time; the meetings that stay
where they are (published, fixed) only take their slots away. It serves twice:

- `place_exactly`: can these meetings (the organiser's required pairs) all be placed at all?
- `optimise_gaps`: the fewest idle slots between a person's meetings within each half-day.
  For each person and half-day, `started[s]` (a meeting at or before s) and `pending[s]` (a
  meeting at or after s) are monotone Booleans, and an open slot is idle when both hold and
  the person is free then: idle >= started + pending - 1 - busy. The local repair's placement
  is the search's starting point (a hint), and is kept unless CP-SAT finds fewer gaps.

OR-Tools' `cp_model` module imports pandas (0.8 s on these machines, far longer than solving
these models); the model is written on the protocol buffers of its `cp_model_helper` layer.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from services.scheduler.domain.board import Board, Pair, bits

SEED = 21  # CP-SAT's search is deterministic for one worker and a given seed
# Work limit of one neighbourhood, in CP-SAT's deterministic time (machine-independent).
LOCAL_WORK = 0.2
PLACE_WORK = 10.0  # for placing every chosen pair when the local repair could not
MAX_DEPTH = 3  # neighbourhoods reach people this many meetings away at most
MAX_HOOD = 200  # meetings freed at once, at most


class Placement(StrEnum):
    NO_GAPS = "aucun temps mort dès la réparation locale"
    OPTIMAL = "CP-SAT, optimum prouvé"
    TIME_LIMIT = "CP-SAT, arrêté à la limite de temps"
    LOCAL = "réparation locale"


@dataclass(frozen=True)
class GapResult:
    placement: Placement
    gaps: int
    lower_bound: int | None  # proven least idle slots for these pairs; None: not proven


class _Model:
    """The meetings to place, their slot Booleans and the placement's constraints."""

    def __init__(self, board: Board, meetings: Sequence[Pair]) -> None:
        from ortools.sat.python import cp_model_helper as cmh

        self.cmh = cmh
        self.proto = cmh.CpModelProto()
        self.count = 0
        # choice[i]: slot -> Boolean of meeting i; by_person[(side, index)]: slot -> Booleans
        self.choice: list[dict[int, int]] = []
        self.by_person: dict[tuple[str, int], dict[int, list[int]]] = {}
        per_slot: dict[int, list[int]] = {}
        for h, e in meetings:
            options = {slot: self.boolean() for slot in bits(board.free_common(h, e))}
            self.choice.append(options)
            self.linear([(v, 1) for v in options.values()], 1, 1)
            for slot, v in options.items():
                self.by_person.setdefault(("h", h), {}).setdefault(slot, []).append(v)
                self.by_person.setdefault(("e", e), {}).setdefault(slot, []).append(v)
                per_slot.setdefault(slot, []).append(v)
        for slots in self.by_person.values():
            for vs in slots.values():
                self.linear([(v, 1) for v in vs], 0, 1)
        tables = board.problem.tables
        if tables is not None:
            for slot, vs in per_slot.items():
                self.linear([(v, 1) for v in vs], 0, tables - board.in_slot[slot])

    def boolean(self) -> int:
        self.proto.variables.add().domain.extend([0, 1])
        self.count += 1
        return self.count - 1

    def linear(self, terms: list[tuple[int, int]], low: int, high: int) -> None:
        """low <= sum(coeff * var) <= high."""
        c = self.proto.constraints.add().linear
        c.vars.extend([v for v, _ in terms])
        c.coeffs.extend([k for _, k in terms])
        c.domain.extend([low, high])

    def solve(
        self,
        seconds: float,
        workers: int,
        objective: Sequence[int] = (),
        hint: dict[int, int] | None = None,
        work: float | None = None,
    ) -> tuple[str, list[int] | None, float]:
        """(status, slot of each meeting or None, objective's proven lower bound)."""
        cmh = self.cmh
        if objective:
            self.proto.objective.vars.extend(list(objective))
            self.proto.objective.coeffs.extend([1] * len(objective))
        if hint:
            self.proto.solution_hint.vars.extend(list(hint))
            self.proto.solution_hint.values.extend(list(hint.values()))
        parameters = cmh.SatParameters()
        parameters.max_time_in_seconds = seconds
        if work is not None:
            # A small neighbourhood: CP-SAT's deterministic time (the same search whatever the
            # machine's speed), and no probing, symmetry or LP: they cost more than they gain
            # at this size (a neighbourhood solves in about 0.05 s instead of 0.15 s).
            parameters.max_deterministic_time = work
            parameters.cp_model_probing_level = 0
            parameters.symmetry_level = 0
            parameters.linearization_level = 0
        parameters.num_workers = workers
        parameters.random_seed = SEED
        solver = cmh.SolveWrapper()
        solver.set_parameters(parameters)
        response = solver.solve(self.proto)
        if response.status == cmh.INFEASIBLE:
            return "infeasible", None, 0.0
        if response.status not in (cmh.OPTIMAL, cmh.FEASIBLE):
            return "unknown", None, 0.0
        values = response.solution
        slots = [next(s for s, v in options.items() if values[v]) for options in self.choice]
        status = "optimal" if response.status == cmh.OPTIMAL else "feasible"
        return status, slots, response.best_objective_bound


def place_exactly(
    board: Board, meetings: Sequence[Pair], seconds: float, workers: int = 1
) -> list[int] | bool | None:
    """Slots for all `meetings` around what the board holds (they are not on it), None when
    none exist, False when the time ran out before an answer."""
    status, slots, _ = _Model(board, meetings).solve(seconds, workers)
    if status == "infeasible":
        return None
    return slots if slots is not None else False


def place_with(board: Board, extra: list[Pair], seconds: float, workers: int = 1) -> bool:
    """Place `extra` pairs too, moving the meetings that may move for comfort: True when
    CP-SAT finds room for all of them within `seconds` (the board is then changed)."""
    slot_of = {(h, e): s for h, e, s in board.pairs() if _movable(board, h, e)}
    for (h, e), s in slot_of.items():
        board.remove(h, e, s)
    meetings = [*slot_of, *extra]
    model = _Model(board, meetings)
    hint = {
        v: int(slot == slot_of[pair])
        for pair, options in zip(meetings, model.choice, strict=True)
        if pair in slot_of
        for slot, v in options.items()
    }
    _status, placed, _ = model.solve(seconds, workers, hint=hint, work=PLACE_WORK)
    found = placed if placed is not None else list(slot_of.values())
    for (h, e), s in zip(meetings if placed is not None else slot_of, found, strict=True):
        board.add(h, e, s)
    board.journal.clear()
    return placed is not None


def optimise_gaps(board: Board, seconds: float, workers: int = 1) -> GapResult:
    """Re-place the meetings that may move for comfort with the fewest idle gaps; the board is
    left as it is when `seconds` <= 0 or CP-SAT finds nothing better."""
    before = board.total_gaps()
    if before == 0:
        return GapResult(Placement.NO_GAPS, 0, 0)
    if seconds <= 0:
        return GapResult(Placement.LOCAL, before, None)
    deadline = time.monotonic() + seconds
    # Large neighbourhood search: free the meetings of one person with gaps and of everyone
    # they meet (then, when a round gains nothing, of everyone those meet too), solve that
    # small model exactly, keep it when it has fewer gaps.
    depth = 1
    while depth <= MAX_DEPTH and board.total_gaps() and time.monotonic() < deadline:
        improved = False
        for person in _people_with_gaps(board):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            gaps = board.total_gaps()
            hood = _neighbourhood(board, person, depth)
            _improve(board, hood, LOCAL_WORK * depth, left, workers)
            improved |= board.total_gaps() < gaps
        if not improved:
            depth += 1
    after = board.total_gaps()
    if after == 0:
        return GapResult(Placement.OPTIMAL, 0, 0)
    # Then the whole model, from there, for the time left: a better plan or a proof.
    movable = [(h, e) for h, e, _ in board.pairs() if _movable(board, h, e)]
    left = deadline - time.monotonic()
    status, bound = _improve(board, movable, None, left, workers) if left > 0 else ("none", 0)
    after = board.total_gaps()
    lower = None if status == "none" else min(after, bound)
    placement = Placement.OPTIMAL if lower == after else Placement.TIME_LIMIT
    return GapResult(placement, after, lower)


def _movable(board: Board, h: int, e: int) -> bool:
    return board.may_move_for_comfort(h, e) and (h, e) not in board.fixed


def _people_with_gaps(board: Board) -> list[tuple[str, int]]:
    t = board.table
    found = [
        (-board.gaps(board.h_busy[h], t.holder_open[h]), "h", h) for h in range(len(board.h_busy))
    ] + [(-board.gaps(board.e_busy[e], t.expert_open[e]), "e", e) for e in range(len(board.e_busy))]
    return [(side, i) for g, side, i in sorted(found) if g < 0]


def _neighbourhood(board: Board, person: tuple[str, int], depth: int) -> list[Pair]:
    """The movable meetings of `person` and of the people met, `depth` steps away, the
    nearest first, MAX_HOOD at most."""
    side, index = person
    people = {person}
    frontier = [person]
    hood: list[Pair] = []
    for _ in range(depth):
        reached = []
        for side, index in frontier:
            own = (
                [(index, e) for e in board.h_at[index].values()]
                if side == "h"
                else [(h, index) for h in board.e_at[index].values()]
            )
            for h, e in own:
                if (h, e) not in hood:
                    hood.append((h, e))
                other = ("e", e) if side == "h" else ("h", h)
                if other not in people:
                    people.add(other)
                    reached.append(other)
        frontier = reached
    for side, index in frontier:  # the last people reached bring their meetings too
        own = (
            [(index, e) for e in board.h_at[index].values()]
            if side == "h"
            else [(h, index) for h in board.e_at[index].values()]
        )
        hood.extend(p for p in own if p not in hood)
    return sorted(p for p in hood[:MAX_HOOD] if _movable(board, *p))


def _improve(
    board: Board, meetings: list[Pair], work: float | None, seconds: float, workers: int
) -> tuple[str, int]:
    """Re-place `meetings` for the fewest gaps; the board changes only if gaps go down.
    Returns CP-SAT's status and the proven least total gaps (all people) it found."""
    slot_of = {(h, e): s for h, e, s in board.pairs()}
    before = board.total_gaps()
    for h, e in meetings:
        board.remove(h, e, slot_of[(h, e)])
    model = _Model(board, meetings)
    hint = {
        v: int(slot == slot_of[pair])
        for pair, options in zip(meetings, model.choice, strict=True)
        for slot, v in options.items()
    }
    t = board.table
    objective: list[int] = []
    for (side, index), slots in sorted(model.by_person.items()):
        busy = board.h_busy[index] if side == "h" else board.e_busy[index]
        opened = t.holder_open[index] if side == "h" else t.expert_open[index]
        for half in board.half_masks:
            ordered = [s for s in bits(half) if s in slots or busy >> s & 1 or opened >> s & 1]
            if sum(1 for s in ordered if s in slots or busy >> s & 1) >= 2:
                objective.extend(_idle(model, ordered, slots, busy, opened, hint))
    # The gaps of people with no meeting to move do not change.
    constant = sum(
        board.gaps(busy[i], opened[i])
        for side, busy, opened in (
            ("h", board.h_busy, t.holder_open),
            ("e", board.e_busy, t.expert_open),
        )
        for i in range(len(busy))
        if (side, i) not in model.by_person
    )
    status, placed, bound = model.solve(seconds, workers, objective, hint, work)
    found = [slot_of[p] for p in meetings] if placed is None else placed
    for (h, e), s in zip(meetings, found, strict=True):
        board.add(h, e, s)
    if board.total_gaps() >= before and placed is not None:  # keep the board as it was
        for (h, e), s in zip(meetings, found, strict=True):
            board.remove(h, e, s)
        for h, e in meetings:
            board.add(h, e, slot_of[(h, e)])
    board.journal.clear()
    if placed is None:
        return "none", 0
    return status, constant + max(0, -int(-bound // 1))


def _idle(
    model: _Model,
    ordered: list[int],
    slots: dict[int, list[int]],
    busy: int,
    opened: int,
    hint: dict[int, int],
) -> list[int]:
    """Booleans counting one person's idle slots within one half-day (`ordered`: its slots
    where the person is open or busy, in time order)."""
    terms = [[(v, 1) for v in slots.get(s, [])] for s in ordered]
    fixed = [busy >> s & 1 for s in ordered]
    busy_hint = [int(fixed[i] or any(hint[v] for v, _ in terms[i])) for i in range(len(ordered))]
    started = [model.boolean() for _ in ordered]
    pending = [model.boolean() for _ in ordered]
    idle: list[int] = []
    for i in range(len(ordered)):
        minus = [(v, -1) for v, _ in terms[i]]
        model.linear([(started[i], 1), *minus], fixed[i], 1)  # started >= busy
        model.linear([(pending[i], 1), *minus], fixed[i], 1)  # pending >= busy
        if i:
            model.linear([(started[i], 1), (started[i - 1], -1)], 0, 1)
            model.linear([(pending[i - 1], 1), (pending[i], -1)], 0, 1)
        hint[started[i]] = int(any(busy_hint[: i + 1]))
        hint[pending[i]] = int(any(busy_hint[i:]))
    for i, s in enumerate(ordered):
        if not opened >> s & 1 or fixed[i]:
            continue
        v = model.boolean()
        # idle + busy + 1 >= started + pending
        model.linear([(v, 1), *terms[i], (started[i], -1), (pending[i], -1)], -1, 2)
        hint[v] = int(hint[started[i]] and hint[pending[i]] and not busy_hint[i])
        idle.append(v)
    return idle
