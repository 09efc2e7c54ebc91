"""The planner: required pairs first, then pairs chosen by a lexicographic min-cost flow, placed
in slots and tables, and idle gaps minimised.

1. The organiser's required pairs are placed (`required.py`), or a French error names the one
   that cannot be.
2. Stage (a) (`matching.select_pairs`) decides who meets whom, level by level (holders served,
   meetings, wishes, needs by rank; docs/scheduler.md), around what is already placed.
3. Stage (b) gives each pair a slot where both are free, expert by expert, with a bipartite
   matching; pairs it cannot place are retried by moving the meetings in the way (a short chain
   of moves); if some still do not fit, stage (a) runs again on what is left, and a holder
   still without a meeting may take one from a holder with two more.
4. Idle gaps: a local repair (moves and swaps), then CP-SAT under a time limit
   (`placement.optimise_gaps`) when one is given.

Nothing depends on row order; with CP-SAT, the plan depends on time only when its time limit
stops the search before it proves the optimum (`Plan.placement` says which).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from services.scheduler.domain.board import Board, Pair, bits
from services.scheduler.domain.bounds import Bound, Figures, bound_figures, figures, upper_bound
from services.scheduler.domain.matching import Selection, pair_table, select_pairs
from services.scheduler.domain.model import Appointment, Problem
from services.scheduler.domain.placement import Placement, optimise_gaps, place_with
from services.scheduler.domain.required import place_required

REPAIR_DEPTH = 2
GAP_PASSES = 6
REFILL_ROUNDS = 4
# CP-SAT's time limit for idle gaps when planning a day (`rencontres plan`, « Planifier »).
DEFAULT_PLACEMENT_SECONDS = 5.0


@dataclass(frozen=True)
class Plan:
    appointments: tuple[Appointment, ...]  # sorted by slot, then table
    figures: Figures
    bound: Bound | None = None
    kept: int = 0  # previous appointments kept (re-planning)
    moved: int = 0  # previous appointments kept but given another slot
    dropped: int = 0  # previous appointments no longer possible
    gaps: int = 0  # idle slots between people's meetings, within each half-day
    gaps_bound: int | None = None  # proven least idle slots for these pairs; None: not proven
    placement: Placement = Placement.LOCAL


# -- stage (b) ---------------------------------------------------------------------------------
def _place_by_expert(board: Board, pairs: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Give each expert's new pairs distinct slots by bipartite matching (augmenting paths);
    the tightest experts go first, since they have the fewest ways to be completed."""
    by_expert: dict[int, list[int]] = {}
    for h, e in pairs:
        by_expert.setdefault(e, []).append(h)
    t = board.table

    def slack(e: int) -> tuple[int, int]:
        free = bin(t.expert_open[e] & ~board.e_busy[e]).count("1")
        return (free - len(by_expert[e]), e)

    unplaced: list[tuple[int, int]] = []
    for e in sorted(by_expert, key=slack):
        holders = sorted(by_expert[e], key=lambda h: (bin(board.free_common(h, e)).count("1"), h))
        owner: dict[int, int] = {}  # slot -> holder, for this expert only

        def augment(h: int, seen: set[int], e: int = e, owner: dict[int, int] = owner) -> bool:
            for s in bits(board.free_common(h, e)):
                if s in seen:
                    continue
                seen.add(s)
                if s not in owner or augment(owner[s], seen):
                    owner[s] = h
                    return True
            return False

        for h in holders:
            augment(h, set())
        placed = set(owner.values())
        for s, h in sorted(owner.items()):
            board.add(h, e, s)
        unplaced.extend((h, e) for h in holders if h not in placed)
    return unplaced


def _select_and_place(board: Board, usable: np.ndarray) -> tuple[Selection, list[tuple[int, int]]]:
    """Stage (a) around what the board holds, then stage (b); returns the selection and its
    pairs that could not be placed."""
    problem = board.problem
    selection = select_pairs(
        board.table,
        holder_have=tuple(board.count_h(h) for h in range(len(problem.holders))),
        expert_have=tuple(board.count_e(e) for e in range(len(problem.experts))),
        usable=usable,
        served=board.served(),
    )
    lost = []
    for h, e in _place_by_expert(board, selection.pairs):
        if not board.place(h, e, REPAIR_DEPTH):
            lost.append((h, e))
        board.journal.clear()
    return selection, lost


def _refill(board: Board) -> None:
    """Some pairs did not fit: choose again among pairs with a common slot still free, until
    nothing more fits."""
    for _ in range(REFILL_ROUNDS):
        selection, lost = _select_and_place(board, _usable_pairs(board, around_all=True))
        if len(selection.pairs) == len(lost):
            break


def _rebalance(board: Board) -> None:
    """A holder the placement left without a meeting takes one from a holder with at least
    two: the same expert's meeting, or (tables all taken) any meeting in a slot they could
    use, when the new one then fits (possibly after a move)."""
    t = board.table
    order = np.argsort(-t.value, axis=1, kind="stable")
    for h in range(len(board.h_at)):
        if board.count_h(h) or not t.holder_cap[h]:
            continue
        for e in order[h].tolist():
            if not t.eligible[h, e]:
                continue
            donors = [(d, e, s) for s, d in sorted(board.e_at[e].items())]
            if board.count_e(e) < t.expert_cap[e]:
                full = board.open_common(h, e) & board.full_slots & ~board.e_busy[e]
                donors += [(d, x, s) for d, x, s in board.pairs() if full >> s & 1]
            for donor, x, s in donors:
                if board.count_h(donor) < 2 or not board.may_go(donor, x):
                    continue
                mark = len(board.journal)
                board.remove(donor, x, s)
                if board.place(h, e, 1):
                    break
                board.rollback(mark)
            if board.count_h(h):
                break
        board.journal.clear()


def _close_gaps(board: Board) -> None:
    """Hill-climb on idle gaps: move a meeting to another free common slot, or swap the slots
    of two meetings of one expert, when it lowers the gaps of everyone involved."""
    for _ in range(GAP_PASSES):
        improved = False
        for e in range(len(board.e_at)):
            for s, h in sorted(board.e_at[e].items()):
                if not board.may_move_for_comfort(h, e) or (h, e) in board.fixed:
                    continue
                free = board.free_common(h, e)
                if not free:
                    continue
                before = board.pair_gaps(h, e)
                board.remove(h, e, s)
                target = board.best_slot(h, e, free | 1 << s)
                board.add(h, e, target)
                if target != s and board.pair_gaps(h, e) < before:
                    improved = True
                elif target != s:
                    board.remove(h, e, target)
                    board.add(h, e, s)
        for e in range(len(board.e_at)):
            improved |= _swap_pass(board, e)
        if not improved:
            break
    board.journal.clear()


def _swap_pass(board: Board, e: int) -> bool:
    t = board.table
    improved = False
    items = sorted(board.e_at[e].items())
    for a in range(len(items)):
        for b in range(a + 1, len(items)):
            (s1, h1), (s2, h2) = items[a], items[b]
            if board.e_at[e].get(s1) != h1 or board.e_at[e].get(s2) != h2:
                continue
            if not (board.may_move_for_comfort(h1, e) and board.may_move_for_comfort(h2, e)):
                continue
            if (h1, e) in board.fixed or (h2, e) in board.fixed:
                continue
            if not (
                board.open_common(h1, e) >> s2 & 1
                and board.open_common(h2, e) >> s1 & 1
                and not board.h_busy[h1] >> s2 & 1
                and not board.h_busy[h2] >> s1 & 1
            ):
                continue
            before = board.gaps(board.h_busy[h1], t.holder_open[h1]) + board.gaps(
                board.h_busy[h2], t.holder_open[h2]
            )
            mark = len(board.journal)
            board.remove(h1, e, s1)
            board.remove(h2, e, s2)
            board.add(h1, e, s2)
            board.add(h2, e, s1)
            after = board.gaps(board.h_busy[h1], t.holder_open[h1]) + board.gaps(
                board.h_busy[h2], t.holder_open[h2]
            )
            if after < before:
                improved = True
                items[a], items[b] = (s1, h2), (s2, h1)
            else:
                board.rollback(mark)
    return improved


# -- public entry points -----------------------------------------------------------------------
def plan(
    problem: Problem, placement_seconds: float = DEFAULT_PLACEMENT_SECONDS, workers: int = 1
) -> Plan:
    """A schedule from scratch, with its proven upper bound."""
    return replan(
        problem,
        previous=(),
        with_bound=True,
        placement_seconds=placement_seconds,
        workers=workers,
    )


def replan(
    problem: Problem,
    previous: Iterable[Appointment],
    locked: Iterable[Appointment] = (),
    allow_moves: bool = False,
    with_bound: bool = False,
    placement_seconds: float = 0.0,
    workers: int = 1,
) -> Plan:
    """Keep previous appointments that are still possible (pair and slot), place the required
    pairs, then add meetings around them. With `allow_moves`, kept appointments not in
    `locked` may change slot (never partner) to make room; `Plan.moved` counts them.
    `placement_seconds` > 0 lets CP-SAT minimise idle gaps for that long.

    Raises `RequiredPairError` when a required pair cannot be placed."""
    table = pair_table(problem)
    board = Board(problem, table)
    locked_keys = {(a.holder_id, a.expert_id) for a in locked}
    kept: dict[tuple[int, int], int] = {}
    previous_tables: dict[tuple[int, int], int] = {}
    dropped = 0
    for a in sorted(previous):
        h = problem.holder_index.get(a.holder_id)
        e = problem.expert_index.get(a.expert_id)
        if h is None or e is None or not _still_possible(board, h, e, a.slot):
            dropped += 1
            continue
        board.add(h, e, a.slot)
        kept[(h, e)] = a.slot
        board.kept.add((h, e))
        previous_tables[(e, a.slot)] = a.table
        if not allow_moves or (a.holder_id, a.expert_id) in locked_keys:
            board.fixed.add((h, e))
    board.journal.clear()
    place_required(board, workers)

    before = [(h, e) for h, e, _ in board.pairs()]
    selection, lost = _select_and_place(board, _usable_pairs(board, around_all=False))
    bound = None
    if with_bound and not kept and not dropped:
        # From scratch, stage (a) has just solved the bound's flow (around the required pairs).
        bound = bound_figures(problem, table, before, selection)
    if lost and placement_seconds > 0:
        # The chosen pairs may still all fit: CP-SAT places them, from the board's placement.
        place_with(board, lost, placement_seconds / 2, workers)
        lost = [p for p in lost if not board.met(*p)]
    if lost:
        _refill(board)
        _rebalance(board)
        _refill(board)
    _close_gaps(board)
    gap = optimise_gaps(board, placement_seconds, workers)

    home_tables: dict[int, int] = {}
    if problem.tables is None:
        # One table per expert: keep the table an expert already had, number the others after.
        for (e, _), number in sorted(previous_tables.items()):
            home_tables.setdefault(e, number)
        used = set(home_tables.values())
        free_numbers = (n for n in range(1, len(problem.experts) * 2 + 1) if n not in used)
        for e in range(len(problem.experts)):
            if e not in home_tables:
                home_tables[e] = next(free_numbers)
    appointments = board.appointments(home_tables, previous_tables)
    moved = sum(1 for (h, e), s in kept.items() if board.h_at[h].get(s) != e)
    if with_bound and bound is None:
        bound = upper_bound(problem, table)
    return Plan(
        appointments=appointments,
        figures=figures(problem, ((a.holder_id, a.expert_id) for a in appointments), table),
        bound=bound,
        kept=len(kept),
        moved=moved,
        dropped=dropped,
        gaps=gap.gaps,
        gaps_bound=gap.lower_bound,
        placement=gap.placement,
    )


def _still_possible(board: Board, h: int, e: int, s: int) -> bool:
    t = board.table
    problem = board.problem
    return (
        0 <= s < len(problem.slots)
        and not _refused(board, h, e)
        and t.holder_open[h] >> s & 1 == 1
        and t.expert_open[e] >> s & 1 == 1
        and not board.h_busy[h] >> s & 1
        and not board.e_busy[e] >> s & 1
        and not board.full_slots >> s & 1
        and not board.met(h, e)
        and board.count_h(h) < t.holder_cap[h]
        and board.count_e(e) < t.expert_cap[e]
    )


def _refused(board: Board, h: int, e: int) -> bool:
    holder, expert = board.problem.holders[h], board.problem.experts[e]
    return expert.id in holder.refuses or holder.id in expert.refuses


def _usable_pairs(board: Board, around_all: bool) -> np.ndarray:
    """Pairs stage (a) may still choose: not met yet, and with a slot both have free, around
    the fixed meetings (which never move, so their slots are as good as closed) or, with
    `around_all`, around every meeting on the board (and the slots with no table left)."""
    t = board.table
    n_s = len(board.problem.slots)
    closed = board.full_slots if around_all else 0

    def free(open_mask: int, at: dict[int, int], pair_of: Callable[[int], Pair]) -> list[int]:
        taken = sum(1 << s for s, o in at.items() if around_all or pair_of(o) in board.fixed)
        mask = open_mask & ~taken & ~closed
        return [mask >> s & 1 for s in range(n_s)]

    h_free = np.array(
        [
            free(t.holder_open[h], at, lambda e, h=h: (h, e))  # type: ignore[misc]
            for h, at in enumerate(board.h_at)
        ],
        dtype=np.int64,
    ).reshape(len(board.h_at), n_s)
    e_free = np.array(
        [
            free(t.expert_open[e], at, lambda h, e=e: (h, e))  # type: ignore[misc]
            for e, at in enumerate(board.e_at)
        ],
        dtype=np.int64,
    ).reshape(len(board.e_at), n_s)
    usable = (h_free @ e_free.T) > 0
    for h, at in enumerate(board.h_at):
        for e in at.values():
            usable[h, e] = False
    return usable
