"""Offline planning: participants rows in, schedule rows and explanations out, no service."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from services.scheduler.domain.explain import Explanation, explain
from services.scheduler.domain.model import Expert, Holder, Problem, RequiredPair
from services.scheduler.domain.required import merge_required
from services.scheduler.domain.solver import DEFAULT_PLACEMENT_SECONDS, Plan, plan
from shared.edition import EditionSettings
from shared.formats.pairs import RequiredMeeting
from shared.formats.participants import ParticipantRow
from shared.formats.schedule import ScheduleRow
from shared.vocabulary import Role


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


def problem_from_rows(
    edition: EditionSettings,
    rows: Iterable[ParticipantRow],
    pairs: Iterable[RequiredMeeting] = (),
) -> Problem:
    """The planning question of a participants file (and a required meetings file).

    Raises `RequiredPairError` when a pair is required in both half-days."""
    holders: list[Holder] = []
    experts: list[Expert] = []
    required = [RequiredPair(p.holder_email, p.expert_email, p.half_day) for p in pairs]
    for row in rows:
        if row.role is Role.HOLDER:
            required.extend(RequiredPair(row.email, other) for other in row.required_emails)
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
            required.extend(RequiredPair(other, row.email) for other in row.required_emails)
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
    return Problem.for_edition(edition, tuple(holders), tuple(experts), merge_required(required))


def plan_offline(
    edition: EditionSettings,
    rows: Iterable[ParticipantRow],
    pairs: Iterable[RequiredMeeting] = (),
    placement_seconds: float = DEFAULT_PLACEMENT_SECONDS,
) -> OfflineResult:
    """Raises `RequiredPairError` when a required meeting cannot be planned."""
    start = time.perf_counter()
    problem = problem_from_rows(edition, rows, pairs)
    result = plan(problem, placement_seconds=placement_seconds)
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
