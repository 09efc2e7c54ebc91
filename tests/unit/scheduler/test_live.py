"""Pure rules of the live schedule: reasons, hard-rule checks of manual edits, the rest of a day."""

from __future__ import annotations

import pytest

from services.scheduler.domain.live import (
    ReasonKind,
    SchedulingError,
    check_schedule,
    meeting_reason,
    moved,
    reconcile,
    remaining_day,
    swapped,
)
from services.scheduler.domain.model import Appointment, Expert, Holder, Problem
from services.scheduler.domain.solver import replan
from shared.edition import Availability, HalfDay, default_edition

LABELS = {"mecenat": "Mécénat", "business-plan": "Business plan"}


def problem() -> Problem:
    holders = (
        Holder(id="h1", needs=("mecenat", "business-plan"), wants=frozenset({"e2"})),
        Holder(id="h2", needs=("business-plan",), availability=Availability.AFTERNOON),
        Holder(id="h3", needs=("mecenat",), conferences=frozenset({HalfDay.MORNING})),
    )
    experts = (
        Expert(id="e1", expertise=frozenset({"mecenat", "business-plan"})),
        Expert(id="e2", expertise=frozenset({"business-plan"}), refuses=frozenset({"h3"})),
    )
    return Problem.for_edition(default_edition(), holders, experts)


def test_reasons_name_the_wish_or_the_needs_covered():
    p = problem()
    h1, h2 = p.holders[0], p.holders[1]
    e1, e2 = p.experts
    assert meeting_reason(h1, e2, LABELS).kind is ReasonKind.WISH
    assert meeting_reason(h1, e2, LABELS).text == "Souhaité par le porteur"
    assert meeting_reason(h1, e1, LABELS).text == "Besoins : Mécénat, Business plan"
    assert meeting_reason(h2, e1, LABELS).text == "Besoins : Business plan"


def test_each_hard_rule_is_refused_in_french():
    p = problem()
    base = (Appointment(0, 1, "e1", "h1"),)
    with pytest.raises(SchedulingError, match="Le porteur n'est pas disponible à 10:00"):
        check_schedule(p, (Appointment(0, 1, "e1", "h2"),))
    with pytest.raises(SchedulingError, match="conférence"):
        check_schedule(p, (Appointment(2, 1, "e1", "h3"),))  # 11:00, h3 at the conference
    with pytest.raises(SchedulingError, match="refusé"):
        check_schedule(p, (Appointment(0, 1, "e2", "h3"),))
    with pytest.raises(SchedulingError, match="L'expert a déjà un rendez-vous à 10:00"):
        check_schedule(p, (*base, Appointment(0, 2, "e1", "h3")))
    with pytest.raises(SchedulingError, match="La table T01 est déjà occupée à 14:30"):
        check_schedule(p, (Appointment(6, 1, "e1", "h1"), Appointment(6, 1, "e2", "h2")))
    with pytest.raises(SchedulingError, match="se rencontrent déjà"):
        check_schedule(p, (*base, Appointment(1, 1, "e1", "h1")))
    check_schedule(p, (*base, Appointment(1, 2, "e2", "h1")))


def test_move_and_swap_return_checked_schedules():
    p = problem()
    a, b = Appointment(0, 1, "e1", "h1"), Appointment(6, 2, "e2", "h2")
    after = moved(p, (a, b), a, 1, None)
    assert Appointment(1, 1, "e1", "h1") in after and b in after
    with pytest.raises(SchedulingError):
        swapped(p, (a, b), a, b)  # h2 is not there in the morning
    c = Appointment(7, 1, "e1", "h1")
    result = swapped(p, (b, c), b, c)
    assert Appointment(7, 1, "e2", "h2") in result and Appointment(6, 2, "e1", "h1") in result


def test_remaining_day_counts_held_meetings_and_forbids_meeting_twice():
    p = problem()
    past = (Appointment(0, 1, "e1", "h1"),)
    rest = remaining_day(p, past, first_slot=3)
    assert len(rest.problem.slots) == len(p.slots) - 3
    assert rest.problem.slots[0].index == 0
    h1 = rest.problem.holders[rest.problem.holder_index["h1"]]
    assert h1.max_meetings == p.holders[0].max_meetings - 1 and "e1" in h1.refuses
    plan = replan(rest.problem, ())
    full = [rest.to_full(a) for a in plan.appointments]
    assert all(a.slot >= 3 for a in full)
    assert ("h1", "e1") not in {(a.holder_id, a.expert_id) for a in full}


def test_reconcile_compares_by_pair_kept_moved_released_created():
    def meet(slot: int, table: int, holder: str, expert: str) -> Appointment:
        return Appointment(slot=slot, table=table, expert_id=expert, holder_id=holder)

    published = [meet(1, 1, "h1", "e1"), meet(2, 1, "h2", "e1"), meet(3, 2, "h3", "e2")]
    planned = [
        meet(1, 1, "h1", "e1"),  # same place: kept
        meet(4, 1, "h2", "e1"),  # same pair, another slot: moved (its appointment stays)
        meet(3, 2, "h1", "e2"),  # h3's place given to another pair: h3-e2 released, h1-e2 new
    ]
    change = reconcile(published, planned)
    assert change.kept == (published[0],)
    assert change.moved == ((published[1], planned[1]),)
    assert change.released == (published[2],)
    assert change.created == (planned[2],)


def test_reconcile_a_table_change_is_a_move_and_nothing_is_lost():
    old = Appointment(slot=1, table=1, expert_id="e1", holder_id="h1")
    new = Appointment(slot=1, table=3, expert_id="e1", holder_id="h1")
    assert reconcile([old], [new]).moved == ((old, new),)
    assert reconcile([], [new]).created == (new,)
    assert reconcile([old], []).released == (old,)
    empty = reconcile([], [])
    assert not (empty.kept or empty.moved or empty.released or empty.created)
