"""The planner: pairs chosen by a min-cost flow, then placed in slots and tables, then repaired.

Stage (a) (`matching.select_pairs`) decides who meets whom, fairness first, then wishes, then
fit. Stage (b) gives each pair a slot where both are free, expert by expert, with a bipartite
matching; pairs it cannot place are retried by moving the meetings in the way (a short chain of
moves), and the capacity still free is then filled greedily, holders with the fewest meetings
first. A last pass moves meetings to close idle gaps. Nothing depends on time or on row order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from services.scheduler.domain.bounds import Bound, upper_bound
from services.scheduler.domain.matching import PairTable, Selection, pair_table, select_pairs
from services.scheduler.domain.model import Appointment, Problem

REPAIR_DEPTH = 2
GAP_PASSES = 6


@dataclass(frozen=True)
class Plan:
    appointments: tuple[Appointment, ...]  # sorted by slot, then table
    bound: Bound | None = None
    kept: int = 0  # previous appointments kept (re-planning)
    moved: int = 0  # previous appointments kept but given another slot
    dropped: int = 0  # previous appointments no longer possible


def _bits(mask: int) -> Iterator[int]:
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


class Board:
    """The schedule being built, with bit masks for fast clash checks and an undo journal."""

    def __init__(self, problem: Problem, table: PairTable) -> None:
        self.problem = problem
        self.table = table
        n_h, n_e = len(problem.holders), len(problem.experts)
        self.h_busy = [0] * n_h
        self.e_busy = [0] * n_e
        self.h_at: list[dict[int, int]] = [{} for _ in range(n_h)]  # slot -> expert
        self.e_at: list[dict[int, int]] = [{} for _ in range(n_e)]  # slot -> holder
        self.in_slot = [0] * len(problem.slots)
        self.full_slots = 0  # slots where every table is taken
        self.fixed: set[tuple[int, int]] = set()  # may neither move nor go
        self.kept: set[tuple[int, int]] = set()  # previous pairs: may move, never go
        self.journal: list[tuple[bool, int, int, int]] = []
        # Slots of each half-day, to count idle gaps within it.
        self.half_masks = [
            sum(1 << s.index for s in problem.slots if s.half_day == hd)
            for hd in sorted({s.half_day for s in problem.slots})
        ]

    # -- elementary moves -------------------------------------------------------------------
    def add(self, h: int, e: int, s: int) -> None:
        self.h_busy[h] |= 1 << s
        self.e_busy[e] |= 1 << s
        self.h_at[h][s] = e
        self.e_at[e][s] = h
        self.in_slot[s] += 1
        if self.problem.tables is not None and self.in_slot[s] >= self.problem.tables:
            self.full_slots |= 1 << s
        self.journal.append((True, h, e, s))

    def remove(self, h: int, e: int, s: int) -> None:
        self.h_busy[h] &= ~(1 << s)
        self.e_busy[e] &= ~(1 << s)
        del self.h_at[h][s]
        del self.e_at[e][s]
        self.in_slot[s] -= 1
        self.full_slots &= ~(1 << s)
        self.journal.append((False, h, e, s))

    def rollback(self, mark: int) -> None:
        while len(self.journal) > mark:
            added, h, e, s = self.journal.pop()
            if added:
                self.remove(h, e, s)
            else:
                self.add(h, e, s)
            self.journal.pop()

    def met(self, h: int, e: int) -> bool:
        return e in self.h_at[h].values()

    def count_h(self, h: int) -> int:
        return len(self.h_at[h])

    def count_e(self, e: int) -> int:
        return len(self.e_at[e])

    def free_common(self, h: int, e: int) -> int:
        t = self.table
        return (
            t.holder_open[h]
            & t.expert_open[e]
            & ~self.h_busy[h]
            & ~self.e_busy[e]
            & ~self.full_slots
        )

    # -- idle gaps ----------------------------------------------------------------------------
    def gaps(self, busy: int, open_mask: int) -> int:
        """Open slots left empty between a person's first and last meeting of a half-day."""
        total = 0
        for half in self.half_masks:
            b = busy & half
            if b & (b - 1):  # at least two meetings
                low = (b & -b).bit_length() - 1
                span = ((1 << b.bit_length()) - 1) & ~((1 << low) - 1)
                total += bin(span & open_mask & ~b).count("1")
        return total

    def pair_gaps(self, h: int, e: int) -> int:
        t = self.table
        return self.gaps(self.h_busy[h], t.holder_open[h]) + self.gaps(
            self.e_busy[e], t.expert_open[e]
        )

    def best_slot(self, h: int, e: int, candidates: int) -> int:
        """Among candidate slots, the one that adds the fewest idle gaps, earliest first."""
        best, best_cost = -1, 1 << 30
        for s in _bits(candidates):
            self.h_busy[h] |= 1 << s
            self.e_busy[e] |= 1 << s
            cost = self.pair_gaps(h, e)
            self.h_busy[h] &= ~(1 << s)
            self.e_busy[e] &= ~(1 << s)
            if cost < best_cost:
                best, best_cost = s, cost
        return best

    # -- placing with a chain of moves -------------------------------------------------------
    def place(self, h: int, e: int, depth: int) -> bool:
        """Place (h, e), moving up to `depth` levels of non-fixed meetings out of the way."""
        free = self.free_common(h, e)
        if free:
            self.add(h, e, self.best_slot(h, e, free))
            return True
        if depth == 0:
            return False
        t = self.table
        for s in _bits(t.holder_open[h] & t.expert_open[e]):
            blockers = []
            if (other_e := self.h_at[h].get(s)) is not None:
                blockers.append((h, other_e))
            if (other_h := self.e_at[e].get(s)) is not None:
                blockers.append((other_h, e))
            if not blockers and self.full_slots >> s & 1:
                continue
            if any(b in self.fixed for b in blockers):
                continue
            mark = len(self.journal)
            for bh, be in blockers:
                self.remove(bh, be, s)
            self.add(h, e, s)
            if all(self.place(bh, be, depth - 1) for bh, be in blockers):
                return True
            self.rollback(mark)
        return False

    def appointments(
        self, home_tables: dict[int, int], previous: dict[tuple[int, int], int]
    ) -> tuple[Appointment, ...]:
        """Give every meeting a table: its previous one if still free, else the expert's own
        table, else the lowest free one, so that published tables move as little as possible."""
        problem = self.problem
        result: list[Appointment] = []
        last_table: dict[int, int] = {}
        for s in range(len(problem.slots)):
            taken: set[int] = set()
            pending: list[int] = []
            for e in sorted(e for e in range(len(problem.experts)) if s in self.e_at[e]):
                want = previous.get((e, s)) or home_tables.get(e) or last_table.get(e)
                if (
                    want is not None
                    and want not in taken
                    and (problem.tables is None or want <= problem.tables)
                ):
                    taken.add(want)
                    last_table[e] = want
                    result.append(self._appointment(e, s, want))
                else:
                    pending.append(e)
            for e in pending:
                table = next(n for n in range(1, len(problem.experts) + 2) if n not in taken)
                taken.add(table)
                last_table[e] = table
                result.append(self._appointment(e, s, table))
        return tuple(sorted(result))

    def _appointment(self, e: int, s: int, table: int) -> Appointment:
        return Appointment(
            slot=s,
            table=table,
            expert_id=self.problem.experts[e].id,
            holder_id=self.problem.holders[self.e_at[e][s]].id,
        )


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
            for s in _bits(board.free_common(h, e)):
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


def _fill(board: Board, usable_holders: Iterable[int], depth: int) -> None:
    """Use capacity still free, one meeting at a time to the holders with the fewest, each
    with the most wished then best fitting expert who can still fit them in."""
    t = board.table
    order = np.argsort(-t.value, axis=1, kind="stable")
    holders = sorted(usable_holders)
    stuck: set[int] = set()
    top = max(t.holder_cap, default=0)
    for level in range(top):
        for h in holders:
            if h in stuck or board.count_h(h) != level or level >= t.holder_cap[h]:
                continue
            placed = False
            for e in order[h].tolist():
                if not t.eligible[h, e] or board.met(h, e):
                    continue
                if board.count_e(e) >= t.expert_cap[e]:
                    continue
                if board.place(h, e, depth):
                    placed = True
                    break
            if not placed:
                stuck.add(h)


def _rebalance(board: Board) -> None:
    """Fairness repair after placement: give a holder a meeting taken from a holder with at
    least two more, with the same expert, when it fits in that slot (possibly after a move)."""
    t = board.table
    n_h, n_e = t.eligible.shape
    order = np.argsort(-t.value, axis=1, kind="stable")

    def most_served() -> np.ndarray:
        counts = [
            max((board.count_h(h) for h in board.e_at[e].values()), default=0) for e in range(n_e)
        ]
        return np.array(counts, dtype=np.int64)

    best_count = most_served()
    for _ in range(GAP_PASSES):
        changed = False
        for h in sorted(range(n_h), key=lambda h: (board.count_h(h), h)):
            have = board.count_h(h)
            if have >= t.holder_cap[h]:
                continue
            candidates = t.eligible[h] & (best_count >= have + 2)
            if not candidates.any():
                continue
            for e in order[h].tolist():
                if not candidates[e] or board.met(h, e):
                    continue
                for s, donor in sorted(board.e_at[e].items()):
                    if board.count_h(donor) < have + 2 or (donor, e) in board.kept:
                        continue
                    mark = len(board.journal)
                    board.remove(donor, e, s)
                    if board.place(h, e, 1):
                        changed = True
                        break
                    board.rollback(mark)
                if board.count_h(h) > have:
                    best_count = most_served()
                    break
        if not changed:
            break


def _close_gaps(board: Board) -> None:
    """Hill-climb on idle gaps: move a meeting to another free common slot, or swap the slots
    of two meetings of one person, when it lowers the gaps of everyone involved."""
    t = board.table
    for _ in range(GAP_PASSES):
        improved = False
        for e in range(len(board.e_at)):
            for s, h in sorted(board.e_at[e].items()):
                # Published meetings move only to make room, never for comfort.
                if (h, e) in board.kept:
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
            items = sorted(board.e_at[e].items())
            for a in range(len(items)):
                for b in range(a + 1, len(items)):
                    (s1, h1), (s2, h2) = items[a], items[b]
                    if board.e_at[e].get(s1) != h1 or board.e_at[e].get(s2) != h2:
                        continue
                    if (h1, e) in board.kept or (h2, e) in board.kept:
                        continue
                    if not (
                        t.holder_open[h1] >> s2 & 1
                        and t.holder_open[h2] >> s1 & 1
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
        if not improved:
            break


# -- public entry points -----------------------------------------------------------------------
def plan(problem: Problem) -> Plan:
    """A schedule from scratch, with its proven upper bound."""
    return replan(problem, previous=(), with_bound=True)


def replan(
    problem: Problem,
    previous: Iterable[Appointment],
    locked: Iterable[Appointment] = (),
    allow_moves: bool = False,
    with_bound: bool = False,
) -> Plan:
    """Keep previous appointments that are still possible (pair and slot), then add meetings
    for those who lack some. With `allow_moves`, kept appointments not in `locked` may change
    slot (never partner) to make room; `Plan.moved` counts them."""
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

    usable = _usable_pairs(board)
    selection = select_pairs(
        table,
        holder_have=tuple(board.count_h(h) for h in range(len(problem.holders))),
        expert_have=tuple(board.count_e(e) for e in range(len(problem.experts))),
        usable=usable,
    )
    unplaced = _place_by_expert(board, selection.pairs)
    for h, e in unplaced:
        board.place(h, e, REPAIR_DEPTH)
        board.journal.clear()
    _fill(board, range(len(problem.holders)), depth=1)
    _rebalance(board)
    board.journal.clear()
    _close_gaps(board)
    board.journal.clear()

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
    bound = None
    if with_bound:
        # From scratch, stage (a) already solved the bound's flow: reuse it.
        bound = upper_bound(problem, table) if kept or dropped else _bound_from(selection)
    return Plan(
        appointments=appointments, bound=bound, kept=len(kept), moved=moved, dropped=dropped
    )


def _bound_from(selection: Selection) -> Bound:
    return Bound(
        meetings=len(selection.pairs),
        holders_with_meeting=sum(1 for d in selection.holder_degree if d > 0),
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


def _usable_pairs(board: Board) -> np.ndarray:
    """Pairs stage (a) may still choose: not met yet, and with a slot both have free (fixed
    meetings never move, so their slots are as good as closed)."""
    t = board.table
    n_h, n_e = t.eligible.shape
    h_free = np.array(
        [t.holder_open[h] & ~_fixed_mask(board, h, None) for h in range(n_h)], dtype=np.int64
    )
    e_free = np.array(
        [t.expert_open[e] & ~_fixed_mask(board, None, e) for e in range(n_e)], dtype=np.int64
    )
    usable = (h_free.reshape(n_h, 1) & e_free.reshape(1, n_e)) != 0
    for h in range(n_h):
        for e in board.h_at[h].values():
            usable[h, e] = False
    return usable


def _fixed_mask(board: Board, h: int | None, e: int | None) -> int:
    if h is not None:
        return sum(1 << s for s, other in board.h_at[h].items() if (h, other) in board.fixed)
    assert e is not None
    return sum(1 << s for s, other in board.e_at[e].items() if (other, e) in board.fixed)
