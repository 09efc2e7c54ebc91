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


# -- raw answers, one row per response -------------------------------------------------------
# Who answered, as the report groups them; nothing else about the person.
RESPONDENTS = {"porteur": "Porteur", "expert": "Expert"}
VENUE_RESPONDENT = "Sur place (QR code)"


def answer_cell(q: Question, value: Any) -> object:
    """One answer as a spreadsheet cell: numbers stay numbers, choices and meeting ratings
    are joined with `; `, yes/no in French; an erased free text stays its marker."""
    if value is None:
        return None
    if q.type is QuestionType.MEETINGS and isinstance(value, dict):
        # The ratings only: a meeting's id would tell who answered.
        return "; ".join(str(v) for v in value.values())
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if q.type in (QuestionType.RATING, QuestionType.NUMBER) and isinstance(value, int):
        return value
    return str(value)


def answers_table(
    questions: Sequence[Question], answers: Sequence[tuple[str | None, Mapping[str, Any]]]
) -> list[list[object]]:
    """The header (« N° », « Répondant », each question's text) and one row per response, in
    the order they came; `answers` holds each response's role (None: the venue link)."""
    table: list[list[object]] = [["N°", "Répondant", *(q.text for q in questions)]]
    for n, (role, given) in enumerate(answers, start=1):
        who = RESPONDENTS.get(role, role) if role else VENUE_RESPONDENT
        table.append([n, who, *(answer_cell(q, given.get(q.id)) for q in questions)])
    return table
