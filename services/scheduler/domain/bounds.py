"""A proven upper bound on what any schedule can achieve, to judge a plan against."""

from __future__ import annotations

from dataclasses import dataclass

from services.scheduler.domain.matching import PairTable, pair_table, select_pairs
from services.scheduler.domain.model import Problem


@dataclass(frozen=True)
class Bound:
    """Optimum of the pair-selection flow without slot clashes (a max-weight b-matching).

    Its fairness-first objective makes `holders_with_meeting` the most holders any schedule can
    serve, and `meetings` the most meetings.
    """

    meetings: int
    holders_with_meeting: int

    def ratio(self, meetings: int) -> float:
        return 1.0 if self.meetings == 0 else meetings / self.meetings


def upper_bound(problem: Problem, table: PairTable | None = None) -> Bound:
    selection = select_pairs(table or pair_table(problem))
    return Bound(
        meetings=len(selection.pairs),
        holders_with_meeting=sum(1 for d in selection.holder_degree if d > 0),
    )
