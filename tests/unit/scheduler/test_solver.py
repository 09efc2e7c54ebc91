import random
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.scheduler import generate
from services.scheduler.domain.bounds import upper_bound
from services.scheduler.domain.model import Expert, Holder, Problem
from services.scheduler.domain.solver import plan, replan
from shared.edition import Availability, HalfDay, default_edition
from tests.unit.scheduler.rules import check_hard_rules

TAGS = ("financement-projet", "mecenat", "budget-previsionnel", "business-plan")
EDITION = default_edition()


@st.composite
def problems(draw: st.DrawFn) -> Problem:
    n_h = draw(st.integers(0, 9))
    n_e = draw(st.integers(0, 4))
    hids = [f"h{i}@x.example" for i in range(n_h)]
    eids = [f"e{j}@x.example" for j in range(n_e)]
    some_tags = st.lists(st.sampled_from(TAGS), unique=True, max_size=3)
    availability = st.sampled_from(list(Availability))
    conferences = st.frozensets(st.sampled_from(list(HalfDay)))
    holders = [
        Holder(
            id=hid,
            needs=tuple(draw(some_tags)),
            wants=draw(st.frozensets(st.sampled_from(eids), max_size=2)) if eids else frozenset(),
            refuses=draw(st.frozensets(st.sampled_from(eids), max_size=1)) if eids else frozenset(),
            availability=draw(availability),
            conferences=draw(conferences),
            max_meetings=draw(st.integers(0, 5)),
        )
        for hid in hids
    ]
    experts = [
        Expert(
            id=eid,
            expertise=frozenset(draw(some_tags)),
            wants=draw(st.frozensets(st.sampled_from(hids), max_size=2)) if hids else frozenset(),
            refuses=draw(st.frozensets(st.sampled_from(hids), max_size=2)) if hids else frozenset(),
            availability=draw(availability),
            conferences=draw(conferences),
            max_meetings=draw(st.none() | st.integers(0, 6)),
        )
        for eid in eids
    ]
    tables = draw(st.none() | st.integers(1, 3))
    return Problem.for_edition(
        EDITION.model_copy(update={"tables": tables}), tuple(holders), tuple(experts)
    )


@settings(max_examples=150, deadline=None)
@given(problems())
def test_every_plan_respects_the_hard_rules_and_its_bound(problem: Problem) -> None:
    result = plan(problem)
    check_hard_rules(problem, result.appointments)
    assert result.bound is not None
    assert len(result.appointments) <= result.bound.meetings
    assert len({a.holder_id for a in result.appointments}) <= result.bound.holders_with_meeting
    assert result.bound == upper_bound(problem)


@settings(max_examples=40, deadline=None)
@given(problems(), st.randoms(use_true_random=False))
def test_row_order_never_changes_the_plan(problem: Problem, rng: random.Random) -> None:
    holders, experts = list(problem.holders), list(problem.experts)
    rng.shuffle(holders)
    rng.shuffle(experts)
    shuffled = replace(problem, holders=tuple(holders), experts=tuple(experts))
    assert plan(shuffled).appointments == plan(problem).appointments


def test_realistic_day_reaches_its_bound_and_respects_the_rules() -> None:
    problem = generate(50, 15)
    result = plan(problem)
    check_hard_rules(problem, result.appointments)
    assert result.bound is not None
    assert len(result.appointments) == result.bound.meetings
    met = {a.holder_id for a in result.appointments}
    assert len(met) == result.bound.holders_with_meeting


def test_fairness_comes_before_fit_and_wishes() -> None:
    # One expert, two free slots: a greedy planner would give both to the best fitting holder
    # that also wishes the expert; fairness gives one meeting to each holder.
    expert = Expert(
        id="e@x.example",
        expertise=frozenset({"mecenat", "business-plan"}),
        availability=Availability.MORNING,
        conferences=frozenset({HalfDay.MORNING}),
        max_meetings=2,
    )
    rich = Holder(
        id="a@x.example", needs=("mecenat", "business-plan"), wants=frozenset({expert.id})
    )
    poor = Holder(id="b@x.example", needs=("business-plan",))
    result = plan(Problem.for_edition(EDITION, (rich, poor), (expert,)))
    assert sorted(a.holder_id for a in result.appointments) == [rich.id, poor.id]


def test_wishes_beat_fit_and_no_pair_without_fit_or_wish() -> None:
    e1 = Expert(id="e1@x.example", expertise=frozenset({"mecenat"}))
    e2 = Expert(id="e2@x.example", expertise=frozenset({"business-plan"}))
    stranger = Expert(id="e3@x.example", expertise=frozenset({"relation-bancaire"}))
    # e2 fits h2's first need better, but h2 asked for e1 and has room for one meeting only.
    h2 = Holder(
        id="h2@x.example",
        needs=("business-plan", "mecenat"),
        max_meetings=1,
        wants=frozenset({e1.id}),
    )
    h3 = Holder(id="h3@x.example", needs=("financement-participatif",))
    result = plan(Problem.for_edition(EDITION, (h2, h3), (e1, e2, stranger)))
    pairs = {(a.holder_id, a.expert_id) for a in result.appointments}
    assert pairs == {(h2.id, e1.id)}  # h3's need is covered by nobody: no meeting for it


def test_fit_follows_need_priority() -> None:
    e1 = Expert(id="e1@x.example", expertise=frozenset({"mecenat"}))
    e2 = Expert(id="e2@x.example", expertise=frozenset({"business-plan"}))
    holder = Holder(id="h@x.example", needs=("business-plan", "mecenat"), max_meetings=1)
    result = plan(Problem.for_edition(EDITION, (holder,), (e1, e2)))
    assert [a.expert_id for a in result.appointments] == [e2.id]


def test_conference_attendees_have_no_meeting_during_it() -> None:
    expert = Expert(
        id="e@x.example",
        expertise=frozenset({"mecenat"}),
        conferences=frozenset({HalfDay.MORNING, HalfDay.AFTERNOON}),
    )
    holders = tuple(
        Holder(id=f"h{i}@x.example", needs=("mecenat",), max_meetings=1) for i in range(12)
    )
    problem = Problem.for_edition(EDITION, holders, (expert,))
    result = plan(problem)
    starts = sorted(problem.slots[a.slot].start.strftime("%H:%M") for a in result.appointments)
    assert starts == ["10:00", "10:30", "12:00", "14:00", "14:30", "15:00"]


def test_replan_keeps_published_appointments_and_serves_a_late_holder() -> None:
    problem = generate(50, 15)
    published = plan(problem)
    newcomer = Holder(id="tard@x.example", needs=("mecenat",))
    extra_expert = Expert(id="zz@x.example", expertise=frozenset({"mecenat"}))
    later = replace(
        problem, holders=(*problem.holders, newcomer), experts=(*problem.experts, extra_expert)
    )
    result = replan(later, published.appointments)
    assert set(published.appointments) <= set(result.appointments)
    assert result.moved == 0 and result.dropped == 0 and result.kept == len(published.appointments)
    assert any(a.holder_id == newcomer.id for a in result.appointments)
    check_hard_rules(later, result.appointments)


def test_replan_drops_what_became_impossible_and_refills() -> None:
    problem = generate(50, 15)
    published = plan(problem)
    victim = published.appointments[0]
    holders = tuple(
        replace(h, refuses=h.refuses | {victim.expert_id}) if h.id == victim.holder_id else h
        for h in problem.holders
    )
    later = replace(problem, holders=holders)
    result = replan(later, published.appointments)
    assert result.dropped == 1
    assert victim not in result.appointments
    check_hard_rules(later, result.appointments)
    assert set(published.appointments) - {victim} <= set(result.appointments)


def test_replan_with_moves_never_moves_locked_appointments() -> None:
    problem = generate(50, 15, seed=3)
    published = plan(problem)
    locked = published.appointments[:20]
    newcomer = Holder(id="tard@x.example", needs=("mecenat", "business-plan"))
    later = replace(problem, holders=(*problem.holders, newcomer))
    result = replan(later, published.appointments, locked=locked, allow_moves=True)
    assert set(locked) <= set(result.appointments)
    check_hard_rules(later, result.appointments)
    pairs_before = {(a.holder_id, a.expert_id) for a in published.appointments}
    pairs_after = {(a.holder_id, a.expert_id) for a in result.appointments}
    assert pairs_before <= pairs_after


def test_tables_limit_simultaneous_meetings() -> None:
    problem = replace(generate(50, 15), tables=4)
    result = plan(problem)
    check_hard_rules(problem, result.appointments)
    assert len(result.appointments) <= 4 * len(problem.slots)


def test_replan_moves_a_published_meeting_only_when_it_makes_room() -> None:
    morning_only = {
        "availability": Availability.MORNING,
        "conferences": frozenset({HalfDay.MORNING}),
    }
    holder = Holder(id="h@x.example", needs=("mecenat",), max_meetings=4)
    others = tuple(
        Expert(id=f"e{i}@x.example", expertise=frozenset({"mecenat"}), max_meetings=1)
        for i in range(3)
    )
    problem = Problem.for_edition(EDITION, (holder,), others)
    published = plan(problem).appointments
    # Publish the three meetings in the only slots the late expert will have: 10:00, 10:30, 12:00.
    published = tuple(replace(a, slot=s) for a, s in zip(published, (0, 1, 4), strict=True))
    late = Expert(id="late@x.example", expertise=frozenset({"mecenat"}), **morning_only)
    later = replace(problem, experts=(*others, late))

    frozen = replan(later, published)
    assert set(frozen.appointments) == set(published) and frozen.moved == 0

    flexible = replan(later, published, allow_moves=True)
    check_hard_rules(later, flexible.appointments)
    assert flexible.moved == 1
    assert any(a.expert_id == late.id for a in flexible.appointments)
    assert {(a.holder_id, a.expert_id) for a in published} < {
        (a.holder_id, a.expert_id) for a in flexible.appointments
    }

    locked = replan(later, published, locked=published, allow_moves=True)
    assert set(locked.appointments) == set(published) and locked.moved == 0


def test_replan_of_a_late_expert_moves_nothing_it_does_not_need_to() -> None:
    problem = generate(50, 15)
    published = plan(problem)
    late = Expert(id="zz@x.example", expertise=frozenset({"mecenat", "business-plan"}))
    later = replace(problem, experts=(*problem.experts, late))
    result = replan(later, published.appointments, allow_moves=True)
    assert result.moved == 0
    assert set(published.appointments) <= set(result.appointments)
    assert sum(a.expert_id == late.id for a in result.appointments) > 0


def test_idle_gaps_reach_their_proven_least_on_a_day_of_many_short_slots() -> None:
    from benchmarks.scheduler import many_slots_edition
    from services.scheduler.domain.placement import Placement

    problem = generate(40, 12, edition=many_slots_edition(tables=9))
    local = plan(problem, placement_seconds=0)
    exact = plan(problem, placement_seconds=10)
    for result in (local, exact):
        check_hard_rules(problem, result.appointments)
    assert local.placement is Placement.LOCAL and local.gaps_bound is None
    assert {(a.holder_id, a.expert_id) for a in exact.appointments} == {
        (a.holder_id, a.expert_id) for a in local.appointments
    }
    assert exact.gaps < local.gaps
    assert exact.gaps_bound is not None and exact.gaps - exact.gaps_bound <= 2
    assert exact.bound is not None
    # Nothing lost on the levels the flow solves exactly (up to the first need).
    assert exact.figures.levels()[:4] == exact.bound.levels()[:4]


def test_published_meetings_never_move_for_fewer_gaps() -> None:
    problem = generate(50, 15)
    published = plan(problem, placement_seconds=0).appointments
    late = Holder(id="tard@x.example", needs=("mecenat",))
    later = replace(problem, holders=(*problem.holders, late))
    result = replan(later, published, placement_seconds=5)
    assert set(published) <= set(result.appointments)
