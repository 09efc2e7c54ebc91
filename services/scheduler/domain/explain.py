"""Why a wish or a holder's first need got no meeting, in one French sentence each."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from services.scheduler.domain.model import Appointment, Expert, Holder, Person, Problem


class Unmet(StrEnum):
    WISH = "souhait"
    NEED = "besoin"


@dataclass(frozen=True)
class Explanation:
    kind: Unmet
    holder_id: str
    expert_id: str = ""  # the wished expert; empty for a need
    tag: str = ""  # the need's tag code; empty for a wish
    asked_by: str = ""  # "porteur" or "expert" for a wish
    reason: str = ""


def explain(problem: Problem, appointments: Iterable[Appointment]) -> tuple[Explanation, ...]:
    """One explanation per unmet wish (from either side) and per holder whose first need met
    no expert offering it; sorted by holder, then expert."""
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
        holder, expert = problem.holders[h_i], problem.experts[e_i]
        result.extend(
            Explanation(
                kind=Unmet.WISH,
                holder_id=hid,
                expert_id=eid,
                asked_by=side,
                reason=schedule.pair_reason(holder, expert),
            )
            for side in sides
        )
    for holder in problem.holders:
        if not holder.needs:
            continue
        tag = holder.needs[0]
        offering = [e for e in problem.experts if tag in e.expertise]
        if any((holder.id, e.id) in schedule.pairs for e in offering):
            continue
        result.append(
            Explanation(
                kind=Unmet.NEED,
                holder_id=holder.id,
                tag=tag,
                reason=schedule.need_reason(holder, offering),
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

    def pair_reason(self, holder: Holder, expert: Expert) -> str:
        if expert.id in holder.refuses:
            return "refus : le porteur a refusé cet expert"
        if holder.id in expert.refuses:
            return "refus : l'expert a refusé ce porteur"
        common = self.open[holder.id] & self.open[expert.id]
        if not common:
            if not holder.availability.half_days() & expert.availability.half_days():
                return "indisponible : pas de demi-journée de présence commune"
            return "indisponible : les créneaux communs tombent pendant une conférence choisie"
        if self._holder_full(holder):
            return self._holder_cap_reason(holder)
        if self.expert_count[expert.id] >= self.problem.capacity(expert):
            return (
                f"expert complet avec des demandes prioritaires "
                f"({self.expert_count[expert.id]} rendez-vous)"
            )
        free = common - self.busy.get(holder.id, set()) - self.busy.get(expert.id, set())
        if not free:
            return "pas de créneau libre commun"
        return "pas de table libre sur les créneaux communs"

    def need_reason(self, holder: Holder, offering: list[Expert]) -> str:
        if not offering:
            return "aucune expertise correspondante parmi les experts inscrits"
        allowed = [e for e in offering if e.id not in holder.refuses and holder.id not in e.refuses]
        if not allowed:
            return "refus : tous les experts de cette thématique sont refusés"
        present = [e for e in allowed if self.open[holder.id] & self.open[e.id]]
        if not present:
            return "indisponible : aucun expert de cette thématique aux mêmes créneaux"
        if self._holder_full(holder):
            return self._holder_cap_reason(holder)
        if all(self.expert_count[e.id] >= self.problem.capacity(e) for e in present):
            return "experts de cette thématique complets avec des demandes prioritaires"
        return "pas de créneau libre commun avec les experts de cette thématique"
