"""Results of a questionnaire from its answers: counts, means and rates, without any name."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.surveys.domain.questions import Question, QuestionType


@dataclass(frozen=True)
class QuestionResult:
    question: Question
    answered: int
    # Rating: value -> count over the whole scale; choice: option -> count; yes/no: oui/non.
    counts: dict[str, int] = field(default_factory=dict)
    mean: float | None = None
    total: int | None = None
    texts: tuple[str, ...] = ()


def _mean(values: Sequence[int]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


# What stays of an erased person's free-text answer: counted as an answer, never shown.
ERASED_TEXT = "[effacé]"


def question_result(q: Question, answers: Sequence[Mapping[str, Any]]) -> QuestionResult:
    given = [a[q.id] for a in answers if a.get(q.id) is not None]
    if q.type is QuestionType.RATING or q.type is QuestionType.MEETINGS:
        values: list[int] = []
        for v in given:
            values.extend(v.values() if isinstance(v, dict) else [v])
        counts = {str(s): 0 for s in range(q.scale_min, q.scale_max + 1)}
        for v in values:
            counts[str(v)] = counts.get(str(v), 0) + 1
        return QuestionResult(q, len(given), counts, _mean(values))
    if q.type in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        counts = {o: 0 for o in q.options}
        for v in given:
            for choice in v if isinstance(v, list) else [v]:
                counts[choice] = counts.get(choice, 0) + 1
        return QuestionResult(q, len(given), counts)
    if q.type is QuestionType.YES_NO:
        yes = sum(1 for v in given if v is True)
        return QuestionResult(q, len(given), {"oui": yes, "non": len(given) - yes})
    if q.type is QuestionType.NUMBER:
        numbers = [int(v) for v in given]
        return QuestionResult(q, len(given), mean=_mean(numbers), total=sum(numbers))
    texts = tuple(str(v) for v in given if v != ERASED_TEXT)
    return QuestionResult(q, len(given), texts=texts)


def results(
    questions: Sequence[Question], answers: Sequence[Mapping[str, Any]]
) -> list[QuestionResult]:
    return [question_result(q, answers) for q in questions]


def satisfaction_values(
    questions: Sequence[Question], answers: Sequence[Mapping[str, Any]]
) -> list[int]:
    """Every 1-5 rating given to the questionnaire's rating questions."""
    return [
        int(a[q.id])
        for q in questions
        if q.is_satisfaction
        for a in answers
        if a.get(q.id) is not None
    ]


def satisfaction(
    questions: Sequence[Question], answers: Sequence[Mapping[str, Any]]
) -> float | None:
    return _mean(satisfaction_values(questions, answers))


def net_promoter(values: Sequence[int]) -> int | None:
    """Share of 9-10 minus share of 0-6, in points (-100 to 100)."""
    if not values:
        return None
    promoters = sum(1 for v in values if v >= 9)
    detractors = sum(1 for v in values if v <= 6)
    return round(100 * (promoters - detractors) / len(values))


def rate(part: int, whole: int) -> float | None:
    """A percentage with one decimal, or None when there is nothing to divide by."""
    return round(100 * part / whole, 1) if whole else None
