"""Stage (a) of the planner: choose who meets whom by a min-cost flow, ignoring slot clashes.

The same flow, solved from scratch, is the proven upper bound of `bounds.py`: every feasible
schedule is a b-matching of this network, so no schedule does better than its optimum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow

from services.scheduler.domain.model import Problem

IntMatrix = npt.NDArray[np.int64]
BoolMatrix = npt.NDArray[np.bool_]


class SolverError(Exception):
    """The flow solver did not reach an optimum (a bug or an overflow, never bad input)."""


@dataclass(frozen=True)
class PairTable:
    """Everything the planner needs to know about each (holder, expert) pair, by index."""

    fit: IntMatrix
    wishes: IntMatrix
    eligible: BoolMatrix  # a meeting may be made: no refusal, a common slot, a fit or a wish
    value: IntMatrix  # wishes first, then fit: the lexicographic order as one number
    holder_open: tuple[int, ...]  # bit masks of open slots
    expert_open: tuple[int, ...]
    holder_cap: tuple[int, ...]
    expert_cap: tuple[int, ...]
    total_cap: int | None  # tables x slots when the edition limits tables


def pair_table(problem: Problem) -> PairTable:
    holders, experts = problem.holders, problem.experts
    n_h, n_e = len(holders), len(experts)
    tags = sorted({t for h in holders for t in h.needs} | {t for e in experts for t in e.expertise})
    column = {t: i for i, t in enumerate(tags)}
    need_weight = np.zeros((n_h, len(tags)), dtype=np.int64)
    for i, h in enumerate(holders):
        for rank, tag in enumerate(h.needs):
            need_weight[i, column[tag]] = 1 << (len(h.needs) - 1 - rank)
    expertise = np.zeros((n_e, len(tags)), dtype=np.int64)
    for j, e in enumerate(experts):
        for tag in e.expertise:
            expertise[j, column[tag]] = 1
    fit = need_weight @ expertise.T

    wishes = np.zeros((n_h, n_e), dtype=np.int64)
    refused = np.zeros((n_h, n_e), dtype=np.bool_)
    for i, h in enumerate(holders):
        for eid in h.wants:
            if (col := problem.expert_index.get(eid)) is not None:
                wishes[i, col] += 1
        for eid in h.refuses:
            if (col := problem.expert_index.get(eid)) is not None:
                refused[i, col] = True
    for j, e in enumerate(experts):
        for hid in e.wants:
            if (row := problem.holder_index.get(hid)) is not None:
                wishes[row, j] += 1
        for hid in e.refuses:
            if (row := problem.holder_index.get(hid)) is not None:
                refused[row, j] = True

    holder_open = tuple(_mask(problem.open_slots(h)) for h in holders)
    expert_open = tuple(_mask(problem.open_slots(e)) for e in experts)
    holder_cap = tuple(problem.capacity(h) for h in holders)
    expert_cap = tuple(problem.capacity(e) for e in experts)
    n_s = len(problem.slots)
    h_open = np.array([[m >> s & 1 for s in range(n_s)] for m in holder_open], dtype=np.int64)
    e_open = np.array([[m >> s & 1 for s in range(n_s)] for m in expert_open], dtype=np.int64)
    common = (h_open.reshape(n_h, n_s) @ e_open.reshape(n_e, n_s).T) > 0
    eligible = (
        common
        & ~refused
        & ((fit > 0) | (wishes > 0))
        & (np.array(holder_cap) > 0).reshape(n_h, 1)
        & (np.array(expert_cap) > 0).reshape(1, n_e)
    )
    most_meetings = min(sum(holder_cap), sum(expert_cap))
    max_fit = int(fit.max(initial=0))
    # A wish outweighs any total of fit gains over the whole plan.
    wish_unit = most_meetings * max_fit + 1
    value = wishes * wish_unit + fit
    return PairTable(
        fit=fit,
        wishes=wishes,
        eligible=eligible,
        value=value,
        holder_open=holder_open,
        expert_open=expert_open,
        holder_cap=holder_cap,
        expert_cap=expert_cap,
        total_cap=None if problem.tables is None else problem.tables * len(problem.slots),
    )


def _mask(slots: frozenset[int]) -> int:
    return sum(1 << s for s in slots)


@dataclass(frozen=True)
class Selection:
    pairs: tuple[tuple[int, int], ...]  # (holder index, expert index), sorted
    holder_degree: tuple[int, ...]


def select_pairs(
    table: PairTable,
    holder_have: tuple[int, ...] | None = None,
    expert_have: tuple[int, ...] | None = None,
    usable: BoolMatrix | None = None,
) -> Selection:
    """The fairest, then most wished, then best fitting set of new pairs.

    `holder_have`/`expert_have` count meetings already fixed (re-planning); `usable` narrows the
    eligible pairs (pairs already met, or without a common free slot, are excluded by it).
    """
    n_h, n_e = table.eligible.shape
    h_have = holder_have or (0,) * n_h
    e_have = expert_have or (0,) * n_e
    eligible = table.eligible if usable is None else table.eligible & usable
    h_idx, e_idx = np.nonzero(eligible)  # row-major: deterministic order
    h_room = [max(0, table.holder_cap[i] - h_have[i]) for i in range(n_h)]
    e_room = [max(0, table.expert_cap[j] - e_have[j]) for j in range(n_e)]
    supply = min(sum(h_room), sum(e_room))
    if table.total_cap is not None:
        supply = min(supply, max(0, table.total_cap - sum(e_have)))
    if supply == 0 or len(h_idx) == 0:
        return Selection(pairs=(), holder_degree=tuple(h_have))

    pair_value = table.value[h_idx, e_idx]
    top_level = max(table.holder_cap)
    # Each level of fairness (a holder's k-th meeting) outweighs every pair preference summed
    # over the plan, and is worth more than the level after it: convex cost per extra meeting.
    level_unit = supply * int(pair_value.max()) + 1

    # Experts flow into a "hall" node whose capacity is the room's tables over the day.
    source, hall, sink = 0, n_h + n_e + 1, n_h + n_e + 2
    tails: list[int] = []
    heads: list[int] = []
    caps: list[int] = []
    costs: list[int] = []
    for i in range(n_h):
        for k in range(h_have[i] + 1, table.holder_cap[i] + 1):
            tails.append(source)
            heads.append(1 + i)
            caps.append(1)
            costs.append(-(top_level - k + 1) * level_unit)
    for j in range(n_e):
        if e_room[j]:
            tails.append(1 + n_h + j)
            heads.append(hall)
            caps.append(e_room[j])
            costs.append(0)
    tails.append(hall)
    heads.append(sink)
    caps.append(supply)
    costs.append(0)
    tails.append(source)  # lets the flow leave capacity unused at no gain
    heads.append(sink)
    caps.append(supply)
    costs.append(0)

    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        np.array(tails, dtype=np.int32),
        np.array(heads, dtype=np.int32),
        np.array(caps, dtype=np.int64),
        np.array(costs, dtype=np.int64),
    )
    pair_arcs = flow.add_arcs_with_capacity_and_unit_cost(
        (1 + h_idx).astype(np.int32),
        (1 + n_h + e_idx).astype(np.int32),
        np.ones(len(h_idx), dtype=np.int64),
        -pair_value.astype(np.int64),
    )
    flow.set_nodes_supplies(np.array([source, sink]), np.array([supply, -supply]))
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise SolverError(f"flot non optimal : {status}")
    chosen = flow.flows(pair_arcs) > 0
    pairs = tuple(zip(h_idx[chosen].tolist(), e_idx[chosen].tolist(), strict=True))
    degree = list(h_have)
    for i, _ in pairs:
        degree[i] += 1
    return Selection(pairs=pairs, holder_degree=tuple(degree))
