"""The objective's figures for a plan, and a proven upper bound for each, to judge it against."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from services.scheduler.domain.matching import (
    Goal,
    PairTable,
    Selection,
    pair_table,
    select_pairs,
)
from services.scheduler.domain.model import Problem


@dataclass(frozen=True)
class Figures:
    """What the objective counts, level by level (docs/scheduler.md)."""

    holders_with_meeting: int
    meetings: int
    wishes: int  # wishes granted, one per side that asked
    needs: tuple[int, ...]  # needs[k]: holders with a meeting on their need of rank k + 1

    def levels(self, needs_before_wishes: bool = False) -> tuple[tuple[str, int], ...]:
        """(French label, value) in the objective's order."""
        needs = tuple(
            (f"porteurs servis sur leur besoin n° {k + 1}", n) for k, n in enumerate(self.needs)
        )
        wishes = (("souhaits exaucés", self.wishes),)
        middle = needs + wishes if needs_before_wishes else wishes + needs
        return (
            ("porteurs avec au moins un rendez-vous", self.holders_with_meeting),
            ("rendez-vous", self.meetings),
            *middle,
        )


# The bound of a plan is the figures of the best pair selection, slots ignored.
Bound = Figures


def ratio(value: int, bound: int) -> float:
    return 1.0 if bound == 0 else value / bound


def figures(problem: Problem, pairs: Iterable[tuple[str, str]], table: PairTable) -> Figures:
    """The figures of a set of (holder id, expert id) pairs."""
    degree = [0] * len(problem.holders)
    served = [0] * len(problem.holders)
    wishes = meetings = 0
    for hid, eid in set(pairs):
        h, e = problem.holder_index[hid], problem.expert_index[eid]
        degree[h] += 1
        served[h] |= table.served(h, e)
        wishes += int(table.wishes[h, e])
        meetings += 1
    return Figures(
        holders_with_meeting=sum(1 for d in degree if d),
        meetings=meetings,
        wishes=wishes,
        needs=tuple(sum(s >> k & 1 for s in served) for k in range(table.ranks)),
    )


def bound_figures(
    problem: Problem,
    table: PairTable,
    placed: Iterable[tuple[int, int]],
    selection: Selection,
) -> Bound:
    """The bound of a selection made around `placed` pairs (indices): the figures of all the
    pairs for the levels the flow solves exactly, the selection's own bounds for the others."""
    placed = list(placed)
    ids = [(problem.holders[h].id, problem.experts[e].id) for h, e in (*placed, *selection.pairs)]
    exact = figures(problem, ids, table)
    before = figures(
        problem, [(problem.holders[h].id, problem.experts[e].id) for h, e in placed], table
    )
    needs = list(exact.needs)
    wishes = exact.wishes
    for (goal, rank), most in selection.later.items():
        if goal is Goal.NEED:
            needs[rank] = before.needs[rank] + most
        elif goal is Goal.WISHES:
            wishes = before.wishes + most
    return replace(exact, needs=tuple(needs), wishes=wishes)


def upper_bound(problem: Problem, table: PairTable | None = None) -> Bound:
    """Each level's optimum over pair selections that include the required pairs, with the
    levels above it at their optimum (after the first need: with the levels up to the first
    need at their optimum): no schedule does better, since every schedule's pairs are such a
    selection."""
    table = table or pair_table(problem)
    required = required_indices(problem)
    have_h = [0] * len(problem.holders)
    have_e = [0] * len(problem.experts)
    served = [0] * len(problem.holders)
    usable = table.eligible.copy()
    for h, e in required:
        have_h[h] += 1
        have_e[e] += 1
        served[h] |= table.served(h, e)
        usable[h, e] = False
    selection = select_pairs(table, tuple(have_h), tuple(have_e), usable, tuple(served))
    return bound_figures(problem, table, required, selection)


def required_indices(problem: Problem) -> list[tuple[int, int]]:
    return sorted(
        {
            (problem.holder_index[r.holder_id], problem.expert_index[r.expert_id])
            for r in problem.required
        }
    )
