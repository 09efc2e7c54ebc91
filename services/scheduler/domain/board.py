"""The schedule being built: who meets whom when, with bit masks for fast clash checks."""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterator

from services.scheduler.domain.matching import PairTable
from services.scheduler.domain.model import Appointment, Problem

Pair = tuple[int, int]  # (holder index, expert index)


def bits(mask: int) -> Iterator[int]:
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


class Board:
    """Meetings by slot, an undo journal, and what each meeting may do: `fixed` ones neither
    move nor go, `kept` ones (published) move only to make room and never go, `required` ones
    (arranged by the organiser) move freely and never go."""

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
        self.fixed: set[Pair] = set()
        self.kept: set[Pair] = set()
        self.required: set[Pair] = set()
        self.allowed: dict[Pair, int] = {}  # slots a pair is limited to (a required half-day)
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

    def pairs(self) -> Iterator[tuple[int, int, int]]:
        """(holder, expert, slot) of every meeting, by expert then slot."""
        for e, at in enumerate(self.e_at):
            for s, h in sorted(at.items()):
                yield h, e, s

    def served(self) -> tuple[int, ...]:
        """Per holder, the need ranks its meetings serve (bit masks)."""
        t = self.table
        return tuple(
            functools.reduce(operator.or_, (t.served(h, e) for e in at.values()), 0)
            for h, at in enumerate(self.h_at)
        )

    def open_common(self, h: int, e: int) -> int:
        """Slots where both are present, within the pair's required half-day if any."""
        t = self.table
        return t.holder_open[h] & t.expert_open[e] & self.allowed.get((h, e), -1)

    def free_common(self, h: int, e: int) -> int:
        return self.open_common(h, e) & ~self.h_busy[h] & ~self.e_busy[e] & ~self.full_slots

    def may_go(self, h: int, e: int) -> bool:
        return (h, e) not in self.kept and (h, e) not in self.required

    def may_move_for_comfort(self, h: int, e: int) -> bool:
        """Published meetings move only to make room, never for fewer gaps."""
        return (h, e) not in self.kept

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

    def total_gaps(self) -> int:
        t = self.table
        return sum(
            self.gaps(self.h_busy[h], t.holder_open[h]) for h in range(len(self.h_busy))
        ) + sum(self.gaps(self.e_busy[e], t.expert_open[e]) for e in range(len(self.e_busy)))

    def pair_gaps(self, h: int, e: int) -> int:
        t = self.table
        return self.gaps(self.h_busy[h], t.holder_open[h]) + self.gaps(
            self.e_busy[e], t.expert_open[e]
        )

    def best_slot(self, h: int, e: int, candidates: int) -> int:
        """Among candidate slots, the one that adds the fewest idle gaps, earliest first."""
        best, best_cost = -1, 1 << 30
        for s in bits(candidates):
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
        for s in bits(self.open_common(h, e)):
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
