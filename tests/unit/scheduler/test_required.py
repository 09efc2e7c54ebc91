"""Meetings the organiser arranged: placed first, in their half-day, or a French error."""

from __future__ import annotations

import pytest

from benchmarks.scheduler import generate
from services.scheduler.domain.model import Expert, Holder, Problem, RequiredPair
from services.scheduler.domain.required import RequiredPairError, merge_required
from services.scheduler.domain.solver import plan
from shared.edition import Availability, HalfDay, default_edition
from tests.unit.scheduler.rules import check_hard_rules

EDITION = default_edition()


def with_required(problem: Problem, *pairs: RequiredPair, tables: int | None = None) -> Problem:
    return Problem(
        slots=problem.slots,
        holders=problem.holders,
        experts=problem.experts,
        tables=tables if tables is not None else problem.tables,
        required=pairs,
    )


def test_required_pairs_are_all_placed_in_their_half_day_and_the_rest_planned() -> None:
    base = generate(50, 15)

    def all_day(people: tuple[Holder, ...] | tuple[Expert, ...]) -> list[str]:
        return [p.id for p in people if p.availability is Availability.DAY and not p.conferences]

    h, e = all_day(base.holders), all_day(base.experts)
    # Pairs the planner would not choose by itself, some tied to a half-day.
    pairs = (
        RequiredPair(h[0], e[0], HalfDay.AFTERNOON),
        RequiredPair(h[0], e[1]),
        RequiredPair(h[1], e[0], HalfDay.MORNING),
        RequiredPair(h[2], e[2]),
    )
    problem = with_required(base, *pairs, tables=8)
    result = plan(problem, placement_seconds=1)
    check_hard_rules(problem, result.appointments)
    placed = {(a.holder_id, a.expert_id): a for a in result.appointments}
    for pair in pairs:
        assert (pair.holder_id, pair.expert_id) in placed
        if pair.half_day is not None:
            slot = problem.slots[placed[(pair.holder_id, pair.expert_id)].slot]
            assert slot.half_day is pair.half_day
    assert len(result.appointments) > 2 * len(pairs)  # the rest of the day is planned
    assert result.bound is not None
    assert len(result.appointments) <= result.bound.meetings


def test_a_required_pair_needs_neither_fit_nor_wish() -> None:
    expert = Expert(id="e@x.example", expertise=frozenset({"relation-bancaire"}))
    holder = Holder(id="h@x.example", needs=("mecenat",))
    problem = Problem.for_edition(
        EDITION, (holder,), (expert,), required=(RequiredPair(holder.id, expert.id),)
    )
    assert [(a.holder_id, a.expert_id) for a in plan(problem).appointments] == [
        (holder.id, expert.id)
    ]


def problem_with(*pairs: RequiredPair, **holder: object) -> Problem:
    expert = Expert(id="e@x.example", expertise=frozenset({"mecenat"}))
    others = tuple(Expert(id=f"e{i}@x.example", expertise=frozenset({"mecenat"})) for i in range(4))
    person = Holder(id="h@x.example", needs=("mecenat",), **holder)  # type: ignore[arg-type]
    return Problem.for_edition(EDITION, (person,), (expert, *others), required=pairs)


@pytest.mark.parametrize(
    ("pairs", "holder", "message"),
    [
        (
            (RequiredPair("h@x.example", "e@x.example", HalfDay.MORNING),),
            {"availability": Availability.AFTERNOON},
            "rendez-vous imposé h@x.example – e@x.example : indisponible : "
            "le porteur n'est pas présent le matin",
        ),
        (
            (RequiredPair("h@x.example", "e@x.example"),),
            {"refuses": frozenset({"e@x.example"})},
            "rendez-vous imposé h@x.example – e@x.example : refus : le porteur a refusé cet expert",
        ),
        (
            (
                RequiredPair("h@x.example", "e@x.example"),
                RequiredPair("h@x.example", "e0@x.example"),
            ),
            {"max_meetings": 1},
            "rendez-vous imposé h@x.example – e@x.example : le porteur aurait 2 rendez-vous "
            "pour 1 au plus (rdv_max ou créneaux ouverts)",
        ),
        (
            # Four morning meetings, three morning slots outside the morning conference.
            tuple(
                RequiredPair("h@x.example", e, HalfDay.MORNING)
                for e in ("e@x.example", "e0@x.example", "e1@x.example", "e2@x.example")
            ),
            {"conferences": frozenset({HalfDay.MORNING})},
            # In the order of the pairs (e0, e1, e2, then e): the fourth is named.
            "rendez-vous imposé h@x.example – e@x.example : aucun créneau libre commun "
            "compatible avec les autres rendez-vous imposés",
        ),
        (
            (RequiredPair("h@x.example", "nobody@x.example"),),
            {},
            "nobody@x.example n'est pas un expert planifié",
        ),
    ],
    ids=["absent", "refused", "cap", "together", "unknown"],
)
def test_an_impossible_required_pair_is_named_with_its_reason(
    pairs: tuple[RequiredPair, ...], holder: dict[str, object], message: str
) -> None:
    with pytest.raises(RequiredPairError) as raised:
        plan(problem_with(*pairs, **holder))
    assert message in str(raised.value)


def test_a_pair_required_in_both_half_days_is_refused() -> None:
    with pytest.raises(RequiredPairError, match="à la fois le matin et l'après-midi"):
        merge_required(
            (
                RequiredPair("h@x.example", "e@x.example", HalfDay.MORNING),
                RequiredPair("h@x.example", "e@x.example", HalfDay.AFTERNOON),
            )
        )
    # Without a half-day the pair takes the one given elsewhere.
    assert merge_required(
        (
            RequiredPair("h@x.example", "e@x.example"),
            RequiredPair("h@x.example", "e@x.example", HalfDay.AFTERNOON),
        )
    ) == (RequiredPair("h@x.example", "e@x.example", HalfDay.AFTERNOON),)
