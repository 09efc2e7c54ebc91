"""A min-cost flow with a lexicographic objective, solved exactly with OR-Tools.

Each level rewards some arcs (an integer per unit of flow on the arc). Levels that fit
together in 64-bit costs are solved as one flow with weights such that each level outweighs
everything below it; between such groups the network is cut down to the *optimal face* of the
group just solved: with dual potentials (shortest distances in the residual network), an arc
of positive reduced cost carries no flow in any optimal solution, an arc of negative reduced
cost is full in every one, and the others are free. Any flow on what is left is optimal for
the levels above, so the next group only has to optimise its own levels there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow

IntArray = npt.NDArray[np.int64]


class FlowError(Exception):
    """The flow solver did not reach an optimum (a bug or an overflow, never bad input)."""


@dataclass(frozen=True)
class Level:
    """Rewards per unit of flow on each arc, and the most this level can total (its range)."""

    reward: IntArray
    most: int


@dataclass(frozen=True)
class Face:
    """Flows optimal for the levels solved so far: arcs out of `active` carry `fixed`."""

    active: npt.NDArray[np.bool_]
    fixed: IntArray


@dataclass(frozen=True)
class LexResult:
    flow: IntArray  # per arc
    values: tuple[int, ...]  # each level's optimum, the levels above held at theirs
    face: Face  # the optimal face of all the levels


def _weights(levels: list[Level]) -> list[int]:
    """Weights making each level of a group outweigh the sum of all the ones after it."""
    weights = [1] * len(levels)
    for i in range(len(levels) - 2, -1, -1):
        weights[i] = weights[i + 1] * (levels[i + 1].most + 1)
    return weights


def _groups(levels: list[Level], limit: int) -> list[list[int]]:
    """Consecutive levels whose weighted total stays under `limit`."""
    groups: list[list[int]] = []
    for i, level in enumerate(levels):
        if groups:
            candidate = [*groups[-1], i]
            chosen = [levels[j] for j in candidate]
            top = _weights(chosen)[0] * (chosen[0].most + 1)
            biggest = max(int(np.abs(lv.reward).max(initial=0)) for lv in chosen)
            if top * max(1, biggest) <= limit:
                groups[-1] = candidate
                continue
        if level.most + 1 > limit:
            raise FlowError("niveau d'objectif trop grand pour des coûts entiers")
        groups.append([i])
    return groups


def solve_lexicographic(
    n_nodes: int,
    tails: IntArray,
    heads: IntArray,
    caps: IntArray,
    supplies: IntArray,
    levels: list[Level],
    start: Face | None = None,
) -> LexResult:
    """Levels in order, from the optimal face `start` of earlier ones (default: every flow)."""
    m = len(tails)
    # OR-Tools scales costs by the number of nodes; keep a wide margin below 2**63.
    limit = (1 << 60) // (n_nodes + 2)
    active = np.ones(m, dtype=np.bool_) if start is None else start.active.copy()
    fixed = np.zeros(m, dtype=np.int64) if start is None else start.fixed.copy()
    flow = fixed.copy()
    values: list[int] = []
    groups = _groups(levels, limit)
    for group in groups:
        chosen = [levels[j] for j in group]
        weights = _weights(chosen)
        cost = np.zeros(m, dtype=np.int64)
        for w, level in zip(weights, chosen, strict=True):
            cost -= w * level.reward
        idx = np.nonzero(active)[0]
        balance = supplies.astype(np.int64).copy()
        np.subtract.at(balance, tails, fixed)
        np.add.at(balance, heads, fixed)
        solver = min_cost_flow.SimpleMinCostFlow()
        if len(idx):
            solver.add_arcs_with_capacity_and_unit_cost(
                tails[idx].astype(np.int32),
                heads[idx].astype(np.int32),
                caps[idx],
                cost[idx],
            )
        nodes = np.arange(n_nodes, dtype=np.int32)
        if n_nodes:
            # Arcs first: OR-Tools sizes its node table from the arcs and supplies it is given.
            solver.set_nodes_supplies(nodes, balance)
        status = solver.solve()
        if status != solver.OPTIMAL:
            raise FlowError(f"flot non optimal : {status}")
        flow = fixed.copy()
        if len(idx):
            flow[idx] = solver.flows(np.arange(len(idx), dtype=np.int32))
        values.extend(int(level.reward @ flow) for level in chosen)
        potential = _potentials(n_nodes, tails[idx], heads[idx], caps[idx], cost[idx], flow[idx])
        reduced = cost[idx] + potential[tails[idx]] - potential[heads[idx]]
        full = idx[reduced < 0]
        fixed[full] = caps[full]
        active[idx[reduced != 0]] = False
    return LexResult(flow=flow, values=tuple(values), face=Face(active, fixed))


def _potentials(
    n_nodes: int, tails: IntArray, heads: IntArray, caps: IntArray, cost: IntArray, flow: IntArray
) -> IntArray:
    """Shortest distances in the residual network from a root joined to every node (Bellman-
    Ford, each round vectorised); an optimal flow leaves no negative cycle, so they exist."""
    forward = flow < caps
    backward = flow > 0
    r_tail = np.concatenate([tails[forward], heads[backward]])
    r_head = np.concatenate([heads[forward], tails[backward]])
    r_cost = np.concatenate([cost[forward], -cost[backward]])
    order = np.argsort(r_head, kind="stable")
    r_tail, r_head, r_cost = r_tail[order], r_head[order], r_cost[order]
    targets, starts = np.unique(r_head, return_index=True)
    distance = np.zeros(n_nodes, dtype=np.int64)
    for _ in range(n_nodes + 1):
        if len(targets) == 0:
            break
        best = np.minimum.reduceat(distance[r_tail] + r_cost, starts)
        better = best < distance[targets]
        if not better.any():
            return distance
        distance[targets[better]] = best[better]
    else:
        raise FlowError("cycle négatif dans le flot résiduel")
    return distance
