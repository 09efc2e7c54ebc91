"""Why a wish or a holder's need got no meeting, in one French sentence each, with its cause
(what the operator could change: a refusal, a presence, a cap, a slot, a table)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from services.scheduler.domain.model import Appointment, Expert, Holder, Person, Problem


class Unmet(StrEnum):
    WISH = "souhait"
    NEED = "besoin"


class Cause(StrEnum):
    REFUSED = "refus"
    ABSENT = "indisponible"  # no common half-day of presence
    CONFERENCE = "conference"  # the common slots fall during a chosen conference
    HOLDER_FULL = "plafond-porteur"
    EXPERT_FULL = "expert-complet"
    NO_FREE_SLOT = "creneau"
    NO_TABLE = "table"
    NO_EXPERTISE = "expertise"


@dataclass(frozen=True)
class Explanation:
    kind: Unmet
    holder_id: str
    expert_id: str = ""  # the wished expert; empty for a need
    tag: str = ""  # the need's tag code; empty for a wish
    asked_by: str = ""  # "porteur" or "expert" for a wish
    reason: str = ""
    cause: Cause = Cause.NO_FREE_SLOT


def explain(problem: Problem, appointments: Iterable[Appointment]) -> tuple[Explanation, ...]:
    """One explanation per unmet wish (from either side), sorted by holder then expert, then
    one per holder's need (most important first) met with no expert offering it."""
    schedule = _Schedule(problem, tuple(appointments))
    result: list[Explanation] = []
    wishes: dict[tuple[str, str], list[str]] = {}
    for h in problem.holders:
        for eid in sorted(h.wants):
            wishes.setdefault((h.id, eid), []).append("porteur")
    for e in problem.experts:
        for hid in sorted(e.wants):
            wishes.setdefault((hid, e.id), []).append("expert")
    for (hid, eid), sides in sorted(wishes.items()):
        h_i, e_i = problem.holder_index.get(hid), problem.expert_index.get(eid)
        if h_i is None or e_i is None or (hid, eid) in schedule.pairs:
            continue
        cause, reason = schedule.pair_reason(problem.holders[h_i], problem.experts[e_i])
        result.extend(
            Explanation(
                kind=Unmet.WISH,
                holder_id=hid,
                expert_id=eid,
                asked_by=side,
                reason=reason,
                cause=cause,
            )
            for side in sides
        )
    for holder in problem.holders:
        for tag in dict.fromkeys(holder.needs):
            offering = [e for e in problem.experts if tag in e.expertise]
            if any((holder.id, e.id) in schedule.pairs for e in offering):
                continue
            cause, reason = schedule.need_reason(holder, offering)
            result.append(
                Explanation(
                    kind=Unmet.NEED, holder_id=holder.id, tag=tag, reason=reason, cause=cause
                )
            )
    return tuple(result)


class _Schedule:
    def __init__(self, problem: Problem, appointments: tuple[Appointment, ...]) -> None:
        self.problem = problem
        self.pairs = {(a.holder_id, a.expert_id) for a in appointments}
        self.holder_count = Counter(a.holder_id for a in appointments)
        self.expert_count = Counter(a.expert_id for a in appointments)
        people: list[Person] = [*problem.holders, *problem.experts]
        self.open = {p.id: problem.open_slots(p) for p in people}
        self.busy: dict[str, set[int]] = {}
        for a in appointments:
            self.busy.setdefault(a.holder_id, set()).add(a.slot)
            self.busy.setdefault(a.expert_id, set()).add(a.slot)

    def _holder_full(self, holder: Holder) -> bool:
        return self.holder_count[holder.id] >= self.problem.capacity(holder)

    def _holder_cap_reason(self, holder: Holder) -> str:
        return (
            f"plafond atteint : le porteur a déjà {self.holder_count[holder.id]} rendez-vous "
            f"(maximum {self.problem.capacity(holder)})"
        )

    def pair_reason(self, holder: Holder, expert: Expert) -> tuple[Cause, str]:
        if expert.id in holder.refuses:
            return Cause.REFUSED, "refus : le porteur a refusé cet expert"
        if holder.id in expert.refuses:
            return Cause.REFUSED, "refus : l'expert a refusé ce porteur"
        common = self.open[holder.id] & self.open[expert.id]
        if not common:
            if not holder.availability.half_days() & expert.availability.half_days():
                return Cause.ABSENT, "indisponible : pas de demi-journée de présence commune"
            return (
                Cause.CONFERENCE,
                "indisponible : les créneaux communs tombent pendant une conférence choisie",
            )
        if self._holder_full(holder):
            return Cause.HOLDER_FULL, self._holder_cap_reason(holder)
        if self.expert_count[expert.id] >= self.problem.capacity(expert):
            return (
                Cause.EXPERT_FULL,
                f"expert complet avec des demandes prioritaires "
                f"({self.expert_count[expert.id]} rendez-vous)",
            )
        free = common - self.busy.get(holder.id, set()) - self.busy.get(expert.id, set())
        if not free:
            return Cause.NO_FREE_SLOT, "pas de créneau libre commun"
        return Cause.NO_TABLE, "pas de table libre sur les créneaux communs"

    def need_reason(self, holder: Holder, offering: list[Expert]) -> tuple[Cause, str]:
        if not offering:
            return (
                Cause.NO_EXPERTISE,
                "aucune expertise correspondante parmi les experts inscrits",
            )
        allowed = [e for e in offering if e.id not in holder.refuses and holder.id not in e.refuses]
        if not allowed:
            return Cause.REFUSED, "refus : tous les experts de cette thématique sont refusés"
        present = [e for e in allowed if self.open[holder.id] & self.open[e.id]]
        if not present:
            return (
                Cause.ABSENT,
                "indisponible : aucun expert de cette thématique aux mêmes créneaux",
            )
        if self._holder_full(holder):
            return Cause.HOLDER_FULL, self._holder_cap_reason(holder)
        if all(self.expert_count[e.id] >= self.problem.capacity(e) for e in present):
            return (
                Cause.EXPERT_FULL,
                "experts de cette thématique complets avec des demandes prioritaires",
            )
        return (
            Cause.NO_FREE_SLOT,
            "pas de créneau libre commun avec les experts de cette thématique",
        )
