"""Meetings the organiser arranged: placed before anything else, or a French error naming
the first one that cannot be, with the reason."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from services.scheduler.domain.board import Board, Pair
from services.scheduler.domain.model import Expert, Holder, Problem, RequiredPair, refused
from services.scheduler.domain.placement import place_exactly
from shared.edition import HalfDay

REPAIR_DEPTH = 2
# Deciding that required pairs cannot all be placed together is quick at a day's sizes.
EXACT_SECONDS = 10.0

HALF_DAY_WORDS = {HalfDay.MORNING: "le matin", HalfDay.AFTERNOON: "l'après-midi"}


class RequiredPairError(ValueError):
    """A required meeting that cannot be planned; the message says which and why."""


def merge_required(pairs: Iterable[RequiredPair]) -> tuple[RequiredPair, ...]:
    """One entry per pair: a half-day given anywhere wins over none; two different half-days
    for one pair are an error."""
    merged: dict[tuple[str, str], RequiredPair] = {}
    for pair in sorted(set(pairs), key=lambda p: (p.holder_id, p.expert_id, p.half_day or "")):
        key = (pair.holder_id, pair.expert_id)
        known = merged.get(key)
        if known is None or known.half_day is None:
            merged[key] = pair
        elif pair.half_day is not None and pair.half_day != known.half_day:
            raise RequiredPairError(
                f"{_name(pair)} : imposé à la fois le matin et l'après-midi, choisissez"
            )
    return tuple(sorted(merged.values()))


def _name(pair: RequiredPair) -> str:
    return f"rendez-vous imposé {pair.holder_id} – {pair.expert_id}"


def place_required(board: Board, workers: int = 1) -> None:
    """Put every required pair on the board (as `required`: it may move, never go)."""
    problem = board.problem
    pending: list[tuple[RequiredPair, Pair]] = []
    for pair in merge_required(problem.required):
        h = problem.holder_index.get(pair.holder_id)
        e = problem.expert_index.get(pair.expert_id)
        if h is None:
            raise RequiredPairError(
                f"{_name(pair)} : {pair.holder_id} n'est pas un porteur planifié"
            )
        if e is None:
            raise RequiredPairError(
                f"{_name(pair)} : {pair.expert_id} n'est pas un expert planifié"
            )
        if pair.half_day is not None:
            board.allowed[(h, e)] = sum(
                1 << s.index for s in problem.slots if s.half_day == pair.half_day
            )
        board.required.add((h, e))
        held = board.h_at[h]
        slot = next((s for s, other in held.items() if other == e), None)
        if slot is not None and board.allowed.get((h, e), -1) >> slot & 1:
            continue  # already planned (re-planning)
        if slot is not None:  # published outside the half-day now required: place it again
            board.remove(h, e, slot)
            board.kept.discard((h, e))
            board.fixed.discard((h, e))
        reason = _pair_reason(problem, board, problem.holders[h], problem.experts[e], pair)
        if reason:
            raise RequiredPairError(f"{_name(pair)} : {reason}")
        pending.append((pair, (h, e)))
    _check_counts(board, pending)
    # The tightest first; a chain of moves of the others makes room when needed.
    pending.sort(key=lambda item: (bin(board.free_common(*item[1])).count("1"), item[0]))
    mark = len(board.journal)
    if all(board.place(h, e, REPAIR_DEPTH) for _, (h, e) in pending):
        board.journal.clear()
        return
    board.rollback(mark)
    _place_together(board, pending, workers)
    board.journal.clear()


def _pair_reason(
    problem: Problem, board: Board, holder: Holder, expert: Expert, pair: RequiredPair
) -> str:
    if refused(holder, expert):
        who = (
            "le porteur a refusé cet expert"
            if expert.id in holder.refuses
            else ("l'expert a refusé ce porteur")
        )
        return f"refus : {who}"
    h, e = problem.holder_index[holder.id], problem.expert_index[expert.id]
    if board.open_common(h, e):
        return ""
    if pair.half_day is not None:
        when = HALF_DAY_WORDS[pair.half_day]
        if pair.half_day not in holder.availability.half_days():
            return f"indisponible : le porteur n'est pas présent {when}"
        if pair.half_day not in expert.availability.half_days():
            return f"indisponible : l'expert n'est pas présent {when}"
        return f"indisponible : les créneaux communs {when} tombent pendant une conférence choisie"
    if not holder.availability.half_days() & expert.availability.half_days():
        return "indisponible : pas de demi-journée de présence commune"
    return "indisponible : les créneaux communs tombent pendant une conférence choisie"


def _check_counts(board: Board, pending: list[tuple[RequiredPair, Pair]]) -> None:
    """Nobody gets more required meetings than their cap or their open slots allow."""
    t = board.table
    per_holder: Counter[int] = Counter()
    per_expert: Counter[int] = Counter()
    for pair, (h, e) in pending:
        per_holder[h] += 1
        per_expert[e] += 1
        if board.count_h(h) + per_holder[h] > t.holder_cap[h]:
            raise RequiredPairError(
                f"{_name(pair)} : le porteur aurait {board.count_h(h) + per_holder[h]} "
                f"rendez-vous pour {t.holder_cap[h]} au plus (rdv_max ou créneaux ouverts)"
            )
        if board.count_e(e) + per_expert[e] > t.expert_cap[e]:
            raise RequiredPairError(
                f"{_name(pair)} : l'expert aurait {board.count_e(e) + per_expert[e]} "
                f"rendez-vous pour {t.expert_cap[e]} au plus (rdv_max ou créneaux ouverts)"
            )


def _place_together(board: Board, pending: list[tuple[RequiredPair, Pair]], workers: int) -> None:
    """Exact placement by CP-SAT; when none exists, the first pair (in the sorted order)
    that makes the ones before it impossible is named."""
    ordered = sorted(pending)
    meetings = [hp for _, hp in ordered]
    slots = place_exactly(board, meetings, EXACT_SECONDS, workers)
    if isinstance(slots, list):
        for (h, e), s in zip(meetings, slots, strict=True):
            board.add(h, e, s)
        return
    for size in range(1, len(ordered) + 1):
        if place_exactly(board, meetings[:size], EXACT_SECONDS, workers) is None:
            pair = ordered[size - 1][0]
            raise RequiredPairError(
                f"{_name(pair)} : aucun créneau libre commun compatible avec les autres "
                "rendez-vous imposés (ou déjà publiés) de ces personnes et les tables"
            )
    raise RequiredPairError(
        "rendez-vous imposés : placement non trouvé dans le temps imparti, réessayez"
    )
