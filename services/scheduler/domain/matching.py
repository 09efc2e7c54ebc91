"""Stage (a) of the planner: choose who meets whom by a min-cost flow, ignoring slot clashes.

The objective is lexicographic (docs/scheduler.md): holders with at least one meeting, then
meetings, then wishes granted, then holders whose first need is served, then their second
need, and so on (an edition may put the needs before the wishes); ties are broken by an even
spread of meetings over holders, then by fit. Every level is a reward on arcs of one network,
solved exactly level by level (`lexflow.py`):

    source -> holder -> expert -> hall -> sink

- the arcs source -> holder are one per possible meeting of the holder; the first carries the
  "holder served" reward, and a decreasing "spread" reward orders the others;
- "the holder's k-th need served" is a concave reward (once per holder, whatever the number of
  meetings on that need): a unit-capacity arc holder -> rank node (h, k), which only pairs
  whose expert offers that need may use. Since one expert may offer several of a holder's
  needs, pair arcs leave from a node per set of ranks covered (h, S), fed by the holder and by
  the rank nodes of S: each pair still has exactly one arc, of capacity 1;
- hall -> sink carries the meeting reward and the room's capacity (tables x slots).

The same flow, solved from scratch, is the proven upper bound of `bounds.py`: every feasible
schedule is a b-matching of this network, so no schedule does better on any level, the levels
above it held at their optimum.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from services.scheduler.domain.lexflow import (
    Face,
    FlowError,
    Level,
    LexResult,
    solve_lexicographic,
)
from services.scheduler.domain.model import Problem

IntMatrix = npt.NDArray[np.int64]
BoolMatrix = npt.NDArray[np.bool_]

# Needs ranked beyond this many are still served, but only through the fit tie-break.
MAX_RANKS = 30

SolverError = FlowError  # the name the rest of the planner raises and catches


class Goal(StrEnum):
    REQUIRED = "required"
    HOLDERS = "holders"
    MEETINGS = "meetings"
    WISHES = "wishes"
    NEED = "need"  # one level per rank
    SPREAD = "spread"
    FIT = "fit"


@dataclass(frozen=True)
class PairTable:
    """Everything the planner needs to know about each (holder, expert) pair, by index."""

    fit: IntMatrix
    wishes: IntMatrix
    covered: IntMatrix  # bit k: the expert offers the holder's need of rank k (0: the first)
    eligible: BoolMatrix  # a meeting may be made: no refusal, a common slot, a fit or a wish
    value: IntMatrix  # the objective's order of pairs as one number, for greedy steps
    holder_open: tuple[int, ...]  # bit masks of open slots
    expert_open: tuple[int, ...]
    holder_cap: tuple[int, ...]
    expert_cap: tuple[int, ...]
    total_cap: int | None  # tables x slots when the edition limits tables
    ranks: int  # length of the longest needs list
    # Slot masks of the day's segments: runs of slots alike for everyone (same half-day, same
    # conferences overlapping), so that each person's open slots are a union of segments.
    segments: tuple[int, ...] = ()
    tables: int | None = None  # meetings at a time; None: one table per expert
    slots: int = 0
    needs_before_wishes: bool = False

    def served(self, h: int, e: int) -> int:
        """Ranks of the holder's needs that a meeting with this expert serves."""
        return int(self.covered[h, e])


def pair_table(problem: Problem) -> PairTable:
    holders, experts = problem.holders, problem.experts
    n_h, n_e = len(holders), len(experts)
    tags = sorted({t for h in holders for t in h.needs} | {t for e in experts for t in e.expertise})
    column = {t: i for i, t in enumerate(tags)}
    expertise = np.zeros((n_e, len(tags)), dtype=np.int64)
    for j, e in enumerate(experts):
        for tag in e.expertise:
            expertise[j, column[tag]] = 1
    ranks = max((len(h.needs) for h in holders), default=0)
    fit = np.zeros((n_h, n_e), dtype=np.int64)
    covered = np.zeros((n_h, n_e), dtype=np.int64)
    for k in range(ranks):
        need = np.zeros((n_h, len(tags)), dtype=np.int64)
        weight = np.zeros((n_h, 1), dtype=np.int64)
        for i, h in enumerate(holders):
            if k < len(h.needs):
                need[i, column[h.needs[k]]] = 1
                weight[i, 0] = 1 << (len(h.needs) - 1 - k)  # a need outranks all after it
        offers = (need @ expertise.T) > 0
        fit += offers * weight
        if k < MAX_RANKS:
            covered |= offers.astype(np.int64) << k

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
    # Greedy steps only need an order: the first criterion outweighs the second.
    if problem.needs_before_wishes:
        value = fit * 3 + wishes
    else:
        value = wishes * (int(fit.max(initial=0)) + 1) + fit
    return PairTable(
        fit=fit,
        wishes=wishes,
        covered=covered,
        eligible=eligible,
        value=value,
        holder_open=holder_open,
        expert_open=expert_open,
        holder_cap=holder_cap,
        expert_cap=expert_cap,
        total_cap=None if problem.tables is None else problem.tables * len(problem.slots),
        ranks=min(ranks, MAX_RANKS),
        segments=day_segments(problem),
        tables=problem.tables,
        slots=len(problem.slots),
        needs_before_wishes=problem.needs_before_wishes,
    )


def _mask(slots: frozenset[int]) -> int:
    return sum(1 << s for s in slots)


def _count(mask: int) -> int:
    return bin(mask).count("1")


def day_segments(problem: Problem) -> tuple[int, ...]:
    kinds: dict[tuple[object, ...], int] = {}
    for s in problem.slots:
        key = (s.half_day, tuple(sorted(s.conference_of)))
        kinds[key] = kinds.get(key, 0) | 1 << s.index
    return tuple(kinds.values())


Key = tuple[Goal, int]  # a level: its goal and, for a need, its rank (0: the first)


@dataclass(frozen=True)
class Selection:
    pairs: tuple[tuple[int, int], ...]  # (holder index, expert index), sorted
    holder_degree: tuple[int, ...]
    # Upper bounds of the levels after the first need (needs of later ranks, and wishes when
    # needs come first), for the new pairs: each level's optimum alone, the levels up to the
    # first need held at their optimum (see `select_pairs`).
    later: dict[Key, int] = field(default_factory=dict)


class _Network:
    """Arcs as parallel lists, with a reward per level on each."""

    def __init__(self, goals: list[Key]) -> None:
        self.goals = goals
        self.tails: list[npt.NDArray[np.int64]] = []
        self.heads: list[npt.NDArray[np.int64]] = []
        self.caps: list[npt.NDArray[np.int64]] = []
        self.rewards: dict[Key, list[npt.NDArray[np.int64]]] = {g: [] for g in goals}
        self.size = 0

    def add(
        self,
        tails: npt.ArrayLike,
        heads: npt.ArrayLike,
        caps: npt.ArrayLike,
        **rewards: npt.ArrayLike,
    ) -> slice:
        shape = np.broadcast_shapes(np.shape(tails), np.shape(heads), (1,))

        def column(values: npt.ArrayLike) -> npt.NDArray[np.int64]:
            return np.array(np.broadcast_to(np.asarray(values, dtype=np.int64), shape))

        self.tails.append(column(tails))
        self.heads.append(column(heads))
        self.caps.append(column(caps))
        for goal in self.goals:
            key = goal[0].value if goal[0] is not Goal.NEED else f"need{goal[1]}"
            self.rewards[goal].append(column(rewards.get(key, 0)))
        start = self.size
        self.size += shape[0]
        return slice(start, self.size)

    def arrays(self) -> tuple[npt.NDArray[np.int64], ...]:
        return (
            np.concatenate(self.tails),
            np.concatenate(self.heads),
            np.concatenate(self.caps),
        )

    def reward(self, goal: Key) -> npt.NDArray[np.int64]:
        return np.concatenate(self.rewards[goal]).astype(np.int64)


def goal_order(table: PairTable, required: bool = False) -> list[Key]:
    needs = [(Goal.NEED, k) for k in range(table.ranks)]
    wishes = [(Goal.WISHES, 0)]
    middle = needs + wishes if table.needs_before_wishes else wishes + needs
    first = [(Goal.REQUIRED, 0)] if required else []
    return [
        *first,
        (Goal.HOLDERS, 0),
        (Goal.MEETINGS, 0),
        *middle,
        (Goal.SPREAD, 0),
        (Goal.FIT, 0),
    ]


def exact_levels(goals: list[Key]) -> int:
    """How many levels the flow solves exactly: up to the first need. A meeting that serves
    several of a holder's needs is one unit of flow and collects one need's reward; for the
    first need that loses nothing (any unit on it may take that reward), for later ones the
    flow optimises a count that may miss such a meeting."""
    first_need = next((i for i, g in enumerate(goals) if g == (Goal.NEED, 0)), None)
    if first_need is None:
        return next(i for i, g in enumerate(goals) if g[0] is Goal.SPREAD)
    return first_need + 1


@dataclass(frozen=True)
class _Pairs:
    """The new pairs a selection may choose, and the room left around what is placed."""

    table: PairTable
    h_idx: npt.NDArray[np.int64]
    e_idx: npt.NDArray[np.int64]
    must: npt.NDArray[np.bool_]  # per pair: required
    h_have: tuple[int, ...]
    h_room: npt.NDArray[np.int64]
    e_room: npt.NDArray[np.int64]
    h_served: npt.NDArray[np.int64]
    h_slots: tuple[int, ...]
    e_slots: tuple[int, ...]
    supply: int
    slot_room: tuple[int, ...] | None  # tables still free per slot; None: one per expert


def _network(pairs: _Pairs, goals: list[Key], ranks: list[int]) -> tuple[_Network, int, slice, int]:
    """The flow network, its number of nodes, its pair arcs and the number of arcs that do not
    depend on `ranks` (the need ranks routed through rank nodes): the same in every variant."""
    table, h_idx, e_idx = pairs.table, pairs.h_idx, pairs.e_idx
    n_h, n_e = table.eligible.shape
    net = _Network(goals)
    source, sink, hall = 0, 1, 2
    holder_node = 3 + np.arange(n_h, dtype=np.int64)
    expert_node = 3 + n_h + np.arange(n_e, dtype=np.int64)
    n_nodes = 3 + n_h + n_e

    # One unit arc per possible meeting of each holder: the first serves the holder, the
    # later ones are worth less and less (an even spread of meetings over holders).
    top = max(table.holder_cap)
    h_room = pairs.h_room
    units_h = np.repeat(np.arange(n_h), h_room)
    have = pairs.h_have
    unit = np.concatenate(
        [np.arange(have[i] + 1, have[i] + 1 + h_room[i]) for i in range(n_h)]
    ).astype(np.int64)
    net.add(
        source,
        holder_node[units_h],
        1,
        holders=(unit == 1).astype(np.int64),
        spread=top - unit + 1,
    )
    net.add(hall, sink, pairs.supply, meetings=1)
    net.add(source, sink, pairs.supply)  # capacity left unused, at no gain

    # Pairs arrive at the expert through the segment of the day they meet in: within a
    # segment all slots are alike for everyone, so the expert's meetings there are bounded by
    # its slots there. Holders with the same slots form one class at each expert.
    e_slots = pairs.e_slots
    class_index: dict[int, int] = {}
    holder_class = np.array([class_index.setdefault(m, len(class_index)) for m in pairs.h_slots])
    classes = list(class_index)
    arrival_keys, arrival_of = np.unique(
        e_idx * len(classes) + holder_class[h_idx], return_inverse=True
    )
    arrival = n_nodes + np.arange(len(arrival_keys), dtype=np.int64)
    n_nodes += len(arrival_keys)
    segments = table.segments
    slot_node = n_nodes + np.arange(n_e * len(segments), dtype=np.int64).reshape(n_e, -1)
    n_nodes += n_e * len(segments)
    seg_tails, seg_heads, seg_caps = [], [], []
    for key, node in zip(arrival_keys.tolist(), arrival.tolist(), strict=True):
        e, c = divmod(key, len(classes))
        for g, segment in enumerate(segments):
            shared = _count(segment & e_slots[e] & classes[c])
            if shared:
                seg_tails.append(node)
                seg_heads.append(slot_node[e, g])
                seg_caps.append(shared)
    net.add(seg_tails, seg_heads, seg_caps)
    # With fewer tables than experts, a segment's meetings are bounded by its tables too: the
    # experts whose own cap does not bind (it is their slots) go through the segment's node;
    # the others keep their cap and are not counted against the segment's tables (a relaxation).
    free = np.array([_count(e_slots[e]) for e in range(n_e)], dtype=np.int64)
    by_segment = pairs.slot_room is not None
    own_cap = pairs.e_room < free if by_segment else np.ones(n_e, dtype=np.bool_)
    segment_node = n_nodes + np.arange(len(segments), dtype=np.int64)
    n_nodes += len(segments)
    for g, segment in enumerate(segments):
        there = np.array([_count(segment & e_slots[e]) for e in range(n_e)], dtype=np.int64)
        present = there > 0
        capped = present & own_cap
        net.add(slot_node[capped, g], expert_node[capped], there[capped])
        if by_segment:
            assert pairs.slot_room is not None
            pooled = present & ~own_cap
            net.add(slot_node[pooled, g], segment_node[g], there[pooled])
            tables = sum(
                pairs.slot_room[s] for s in range(len(pairs.slot_room)) if segment >> s & 1
            )
            net.add(segment_node[g], hall, tables)
    live = (pairs.e_room > 0) & own_cap
    net.add(expert_node[live], hall, pairs.e_room[live])

    # Pairs leave from the holder, or from the node of the set of routed need ranks they
    # serve, fed by the holder and by one unit-capacity arc per rank (the need's reward).
    routed = sum(1 << k for k in ranks)
    width = max(ranks, default=0) + 1
    mask = table.covered[h_idx, e_idx] & ~pairs.h_served[h_idx] & routed
    from_node = holder_node[h_idx].copy()
    with_needs = mask > 0
    group_keys, group_of = np.unique(
        h_idx[with_needs] * (1 << width) + mask[with_needs], return_inverse=True
    )
    group_node = n_nodes + np.arange(len(group_keys), dtype=np.int64)
    n_nodes += len(group_keys)
    from_node[with_needs] = group_node[group_of]
    pair_arcs = net.add(
        from_node,
        arrival[arrival_of],
        1,
        required=pairs.must.astype(np.int64),
        wishes=table.wishes[h_idx, e_idx],
        fit=table.fit[h_idx, e_idx],
    )
    common = net.size
    group_holder = group_keys >> width
    group_mask = group_keys & ((1 << width) - 1)
    net.add(holder_node[group_holder], group_node, h_room[group_holder])
    for k in ranks:
        has = (group_mask >> k & 1).astype(np.bool_)
        if not has.any():
            continue
        rank_holders = np.unique(group_holder[has])
        rank_node = n_nodes + np.arange(len(rank_holders), dtype=np.int64)
        n_nodes += len(rank_holders)
        net.add(holder_node[rank_holders], rank_node, 1, **{f"need{k}": 1})
        position = np.searchsorted(rank_holders, group_holder[has])
        net.add(rank_node[position], group_node[has], 1)
    return net, n_nodes, pair_arcs, common


def _levels(net: _Network, caps: npt.NDArray[np.int64], pairs: _Pairs) -> list[Level]:
    top = max(pairs.table.holder_cap)
    levels = []
    for goal in net.goals:
        reward = net.reward(goal)
        total = int(reward @ caps)
        most = {
            Goal.MEETINGS: pairs.supply,
            Goal.WISHES: min(total, 2 * pairs.supply),
            Goal.SPREAD: min(total, top * pairs.supply),
            Goal.FIT: min(total, int(pairs.table.fit.max(initial=0)) * pairs.supply),
        }.get(goal[0], total)
        levels.append(Level(reward=reward, most=most))
    return levels


def _solve(
    net: _Network, n_nodes: int, pairs: _Pairs, levels: list[Level], start: Face | None = None
) -> LexResult:
    tails, heads, caps = net.arrays()
    supplies = np.zeros(n_nodes, dtype=np.int64)
    supplies[0], supplies[1] = pairs.supply, -pairs.supply
    return solve_lexicographic(n_nodes, tails, heads, caps, supplies, levels, start)


def select_pairs(
    table: PairTable,
    holder_have: tuple[int, ...] | None = None,
    expert_have: tuple[int, ...] | None = None,
    usable: BoolMatrix | None = None,
    served: tuple[int, ...] | None = None,
    holder_slots: tuple[int, ...] | None = None,
    expert_slots: tuple[int, ...] | None = None,
    required: tuple[tuple[int, int], ...] = (),
    slot_room: tuple[int, ...] | None = None,
) -> Selection:
    """The best set of new pairs, level by level.

    `holder_have`/`expert_have` count meetings already placed (re-planning) and `served` the
    need ranks those meetings already serve (bit masks, per holder); `usable` narrows the
    eligible pairs (pairs already met, or without a common free slot, are excluded by it);
    `holder_slots`/`expert_slots` are the slots each person still has (default: their open
    slots); `required` pairs are chosen first, eligible or not; `slot_room` is the number of
    tables still free in each slot (default: all of them).

    The levels up to the first need are exact. Each later one is optimised on their optimal
    face, and bounded by the same face in a network routing that need's rank alone (exact for
    it), which drops the constraints of the levels in between: a proven upper bound.
    """
    n_h, n_e = table.eligible.shape
    h_have = holder_have or (0,) * n_h
    e_have = expert_have or (0,) * n_e
    eligible = table.eligible if usable is None else table.eligible & usable
    must = np.zeros_like(eligible)
    for h, e in required:
        must[h, e] = True
    eligible = eligible | must
    h_room = np.array([max(0, table.holder_cap[i] - h_have[i]) for i in range(n_h)], np.int64)
    e_room = np.array([max(0, table.expert_cap[j] - e_have[j]) for j in range(n_e)], np.int64)
    eligible = eligible & (h_room > 0).reshape(n_h, 1) & (e_room > 0).reshape(1, n_e)
    supply = min(int(h_room.sum()), int(e_room.sum()))
    if table.total_cap is not None:
        supply = min(supply, max(0, table.total_cap - sum(e_have)))
    h_idx, e_idx = np.nonzero(eligible)  # row-major: deterministic order
    if supply == 0 or len(h_idx) == 0:
        return Selection(pairs=(), holder_degree=tuple(h_have))
    pairs = _Pairs(
        table=table,
        h_idx=h_idx.astype(np.int64),
        e_idx=e_idx.astype(np.int64),
        must=must[h_idx, e_idx],
        h_have=tuple(h_have),
        h_room=h_room,
        e_room=e_room,
        h_served=np.array(served or (0,) * n_h, dtype=np.int64),
        h_slots=holder_slots or table.holder_open,
        e_slots=expert_slots or table.expert_open,
        supply=supply,
        slot_room=(None if table.tables is None else slot_room or (table.tables,) * table.slots),
    )

    goals = goal_order(table, required=bool(required))
    cut = exact_levels(goals)
    net, n_nodes, pair_arcs, common = _network(pairs, goals, list(range(table.ranks)))
    levels = _levels(net, net.arrays()[2], pairs)
    exact = _solve(net, n_nodes, pairs, levels[:cut])
    result = _solve(net, n_nodes, pairs, levels[cut:], exact.face)
    chosen = result.flow[pair_arcs] > 0

    later: dict[Key, int] = {}
    for goal in goals[cut:]:
        if goal[0] not in (Goal.NEED, Goal.WISHES):
            continue
        ranks = [goal[1]] if goal[0] is Goal.NEED else []
        alone, alone_nodes, _, alone_common = _network(pairs, [goal], ranks)
        assert alone_common == common
        extra = alone.size - common
        face = Face(
            active=np.concatenate([exact.face.active[:common], np.ones(extra, np.bool_)]),
            fixed=np.concatenate([exact.face.fixed[:common], np.zeros(extra, np.int64)]),
        )
        bound = _solve(alone, alone_nodes, pairs, _levels(alone, alone.arrays()[2], pairs), face)
        later[goal] = bound.values[0]

    selected = tuple(zip(h_idx[chosen].tolist(), e_idx[chosen].tolist(), strict=True))
    degree = list(h_have)
    for i, _ in selected:
        degree[i] += 1
    return Selection(pairs=selected, holder_degree=tuple(degree), later=later)
