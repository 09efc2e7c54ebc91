"""Offline planning: participants rows in, schedule rows and explanations out, no service."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from services.scheduler.domain.explain import Explanation, explain
from services.scheduler.domain.model import Expert, Holder, Problem
from services.scheduler.domain.solver import Plan, plan
from shared.edition import EditionSettings
from shared.formats.participants import ParticipantRow, Role
from shared.formats.schedule import ScheduleRow


@dataclass(frozen=True)
class OfflineResult:
    problem: Problem
    plan: Plan
    schedule: tuple[ScheduleRow, ...]
    explanations: tuple[Explanation, ...]
    seconds: float

    @property
    def holders_with_meeting(self) -> int:
        return len({a.holder_id for a in self.plan.appointments})


def problem_from_rows(edition: EditionSettings, rows: Iterable[ParticipantRow]) -> Problem:
    holders: list[Holder] = []
    experts: list[Expert] = []
    for row in rows:
        if row.role is Role.HOLDER:
            holders.append(
                Holder(
                    id=row.email,
                    needs=row.tags,
                    wants=frozenset(row.wants_emails),
                    refuses=frozenset(row.refuses_emails),
                    availability=row.availability,
                    conferences=row.sessions,
                    max_meetings=(
                        edition.holder_max_meetings
                        if row.max_meetings is None
                        else row.max_meetings
                    ),
                    organisation=row.organisation,
                )
            )
        else:
            experts.append(
                Expert(
                    id=row.email,
                    expertise=frozenset(row.tags),
                    wants=frozenset(row.wants_emails),
                    refuses=frozenset(row.refuses_emails),
                    availability=row.availability,
                    conferences=row.sessions,
                    max_meetings=row.max_meetings,
                    organisation=row.organisation,
                )
            )
    return Problem.for_edition(edition, tuple(holders), tuple(experts))


def plan_offline(edition: EditionSettings, rows: Iterable[ParticipantRow]) -> OfflineResult:
    start = time.perf_counter()
    problem = problem_from_rows(edition, rows)
    result = plan(problem)
    explanations = explain(problem, result.appointments)
    seconds = time.perf_counter() - start
    holders = {h.id: h for h in problem.holders}
    experts = {e.id: e for e in problem.experts}
    schedule = tuple(
        ScheduleRow(
            date=edition.date,
            start=problem.slots[a.slot].start,
            end=problem.slots[a.slot].end,
            table=a.table,
            expert_email=a.expert_id,
            expert_organisation=experts[a.expert_id].organisation,
            holder_email=a.holder_id,
            holder_organisation=holders[a.holder_id].organisation,
        )
        for a in result.appointments
    )
    return OfflineResult(
        problem=problem,
        plan=result,
        schedule=schedule,
        explanations=explanations,
        seconds=seconds,
    )
