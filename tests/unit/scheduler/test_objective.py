"""The lexicographic objective against an independent exact model (CP-SAT over the whole
schedule, slots included) on small instances, and the objective's order."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

from services.scheduler.domain.bounds import Figures
from services.scheduler.domain.model import Expert, Holder, Problem
from services.scheduler.domain.solver import plan
from shared.edition import Availability, HalfDay, default_edition
from tests.unit.scheduler.rules import check_hard_rules

TAGS = ("financement-projet", "mecenat", "budget-previsionnel", "business-plan")
EDITION = default_edition()


@st.composite
def small_days(draw: st.DrawFn, tables: bool = False) -> Problem:
    n_h, n_e = draw(st.integers(1, 8)), draw(st.integers(1, 3))
    hids = [f"h{i}@x.example" for i in range(n_h)]
    eids = [f"e{j}@x.example" for j in range(n_e)]
    needs = st.lists(st.sampled_from(TAGS), unique=True, min_size=1, max_size=3)
    holders = tuple(
        Holder(
            id=hid,
            needs=tuple(draw(needs)),
            wants=draw(st.frozensets(st.sampled_from(eids), max_size=1)),
            availability=draw(st.sampled_from(list(Availability))),
            conferences=draw(st.frozensets(st.sampled_from(list(HalfDay)))),
            max_meetings=draw(st.integers(1, 3)),
        )
        for hid in hids
    )
    experts = tuple(
        Expert(
            id=eid,
            expertise=frozenset(draw(needs)),
            wants=draw(st.frozensets(st.sampled_from(hids), max_size=2)),
            availability=draw(st.sampled_from(list(Availability))),
            conferences=draw(st.frozensets(st.sampled_from(list(HalfDay)))),
            max_meetings=draw(st.none() | st.integers(1, 5)),
        )
        for eid in eids
    )
    edition = EDITION.model_copy(
        update={
            "tables": draw(st.integers(1, 3)) if tables else None,
            "needs_before_wishes": draw(st.booleans()),
        }
    )
    return Problem.for_edition(edition, holders, experts)


def exact_levels(problem: Problem) -> tuple[int, ...]:
    """Each level's optimum over every schedule, the levels above held at theirs."""
    model = cp_model.CpModel()
    meets: dict[tuple[int, int], list[cp_model.IntVar]] = {}
    by_person: dict[tuple[str, int, int], list[cp_model.IntVar]] = {}
    by_slot: dict[int, list[cp_model.IntVar]] = {}
    for i, h in enumerate(problem.holders):
        for j, e in enumerate(problem.experts):
            relevant = set(h.needs) & e.expertise or e.id in h.wants or h.id in e.wants
            if not relevant or e.id in h.refuses or h.id in e.refuses:
                continue
            for s in sorted(problem.open_slots(h) & problem.open_slots(e)):
                x = model.new_bool_var(f"x{i}_{j}_{s}")
                meets.setdefault((i, j), []).append(x)
                by_person.setdefault(("h", i, s), []).append(x)
                by_person.setdefault(("e", j, s), []).append(x)
                by_slot.setdefault(s, []).append(x)
    for xs in (*meets.values(), *by_person.values()):
        model.add(sum(xs) <= 1)
    if problem.tables is not None:
        for xs in by_slot.values():
            model.add(sum(xs) <= problem.tables)
    pair = {key: sum(xs) for key, xs in meets.items()}
    for i, h in enumerate(problem.holders):
        model.add(sum(v for (a, _), v in pair.items() if a == i) <= problem.capacity(h))
    for j, e in enumerate(problem.experts):
        model.add(sum(v for (_, b), v in pair.items() if b == j) <= problem.capacity(e))

    def served(pairs: list[tuple[int, int]]) -> cp_model.IntVar:
        y = model.new_bool_var("")
        model.add(y <= sum(pair[p] for p in pairs))
        return y

    holders = sum(served([p for p in pair if p[0] == i]) for i in range(len(problem.holders)))
    meetings = sum(pair.values())
    wishes = sum(
        v
        * (
            int(problem.experts[j].id in problem.holders[i].wants)
            + int(problem.holders[i].id in problem.experts[j].wants)
        )
        for (i, j), v in pair.items()
    )
    ranks = max(len(h.needs) for h in problem.holders)
    needs = [
        sum(
            served([p for p in pair if p[0] == i and h.needs[k] in problem.experts[p[1]].expertise])
            for i, h in enumerate(problem.holders)
            if k < len(h.needs)
        )
        for k in range(ranks)
    ]
    middle = [*needs, wishes] if problem.needs_before_wishes else [wishes, *needs]
    optimum = []
    for level in (holders, meetings, *middle):
        model.maximize(level)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        assert solver.solve(model) == cp_model.OPTIMAL
        value = round(solver.objective_value)
        model.add(level == value)
        optimum.append(value)
    return tuple(optimum)


def ordered(figures: Figures, problem: Problem) -> tuple[int, ...]:
    return tuple(v for _, v in figures.levels(problem.needs_before_wishes))


def exact_prefix(problem: Problem) -> int:
    """The levels the flow solves exactly: up to the first need."""
    return 3 if problem.needs_before_wishes else 4


@settings(max_examples=60, deadline=None)
@given(small_days())
def test_levels_up_to_the_first_need_reach_the_exact_optimum_and_their_bound(
    problem: Problem,
) -> None:
    result = plan(problem, placement_seconds=1)
    check_hard_rules(problem, result.appointments)
    exact = exact_levels(problem)
    assert result.bound is not None
    got, bound = ordered(result.figures, problem), ordered(result.bound, problem)
    cut = exact_prefix(problem)
    assert got[:cut] == exact[:cut] == bound[:cut]
    # Later levels: never better than the optimum, which never beats its bound.
    assert got <= exact
    assert all(x <= b for x, b in zip(exact[cut:], bound[cut:], strict=True))


@settings(max_examples=30, deadline=None)
@given(small_days(tables=True))
def test_with_few_tables_the_plan_is_valid_and_never_beats_the_optimum(problem: Problem) -> None:
    result = plan(problem, placement_seconds=1)
    check_hard_rules(problem, result.appointments)
    assert result.bound is not None
    exact = exact_levels(problem)
    assert ordered(result.figures, problem) <= exact <= ordered(result.bound, problem)


def test_a_holder_first_need_before_a_second_meeting_on_it() -> None:
    # Two holders list mécénat first; one expert offers it, another offers only their second
    # need. Summing fits would give both mécénat meetings to whichever fits best overall;
    # one meeting each on mécénat serves both first needs.
    mecenat = Expert(id="m@x.example", expertise=frozenset({"mecenat"}), max_meetings=2)
    plan_b = Expert(
        id="b@x.example", expertise=frozenset({"business-plan", "mecenat"}), max_meetings=2
    )
    a = Holder(id="a@x.example", needs=("mecenat", "business-plan"), max_meetings=2)
    b = Holder(id="b2@x.example", needs=("mecenat",), max_meetings=1)
    result = plan(Problem.for_edition(EDITION, (a, b), (mecenat, plan_b)))
    assert result.figures.needs[0] == 2
    assert result.bound == result.figures


def test_an_edition_may_put_needs_before_wishes() -> None:
    wished = Expert(id="w@x.example", expertise=frozenset({"relation-bancaire"}))
    fitting = Expert(id="f@x.example", expertise=frozenset({"mecenat"}))
    holder = Holder(
        id="h@x.example",
        needs=("mecenat",),
        wants=frozenset({wished.id}),
        max_meetings=1,
    )
    problem = Problem.for_edition(EDITION, (holder,), (wished, fitting))
    assert [a.expert_id for a in plan(problem).appointments] == [wished.id]
    needs_first = replace(problem, needs_before_wishes=True)
    assert [a.expert_id for a in plan(needs_first).appointments] == [fitting.id]
