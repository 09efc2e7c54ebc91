"""Questionnaires: question types, conditional display and validation of a submitted form.

Pure functions over plain data: the HTTP layer passes the form as `{field: [values]}` and gets
back the clean answers or French error messages keyed by question id.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any


class QuestionType(StrEnum):
    RATING = "rating"  # an integer on a scale, 1-5 by default (0-10 for a recommendation)
    SINGLE = "single"
    MULTIPLE = "multiple"
    YES_NO = "yes_no"
    NUMBER = "number"
    TEXT = "text"
    MEETINGS = "meetings"  # one rating per meeting the respondent had


TYPE_LABELS: dict[QuestionType, str] = {
    QuestionType.RATING: "Note",
    QuestionType.SINGLE: "Choix unique",
    QuestionType.MULTIPLE: "Choix multiple",
    QuestionType.YES_NO: "Oui / non",
    QuestionType.NUMBER: "Nombre",
    QuestionType.TEXT: "Texte libre",
    QuestionType.MEETINGS: "Note de chaque rendez-vous",
}

YES, NO = "oui", "non"
MAX_TEXT = 5000
QUESTION_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


class SurveyError(ValueError):
    """A questionnaire that cannot be used as it is; the message is French, for the operator."""


@dataclass(frozen=True)
class Condition:
    """Show a question only when an earlier question's answer is one of `values`."""

    question_id: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    type: QuestionType
    options: tuple[str, ...] = ()
    required: bool = False
    help: str = ""
    scale_min: int = 1
    scale_max: int = 5
    show_if: Condition | None = None

    @property
    def is_satisfaction(self) -> bool:
        """A 1-5 rating: what the satisfaction figures average."""
        return self.type is QuestionType.RATING and (self.scale_min, self.scale_max) == (1, 5)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "text": self.text, "type": self.type.value}
        if self.options:
            data["options"] = list(self.options)
        if self.required:
            data["required"] = True
        if self.help:
            data["help"] = self.help
        if self.type is QuestionType.RATING:
            data["scale_min"], data["scale_max"] = self.scale_min, self.scale_max
        if self.show_if:
            data["show_if"] = {
                "question_id": self.show_if.question_id,
                "values": list(self.show_if.values),
            }
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Question:
        cond = data.get("show_if")
        return cls(
            id=data["id"],
            text=data["text"],
            type=QuestionType(data["type"]),
            options=tuple(data.get("options", ())),
            required=bool(data.get("required", False)),
            help=data.get("help", ""),
            scale_min=int(data.get("scale_min", 1)),
            scale_max=int(data.get("scale_max", 5)),
            show_if=Condition(cond["question_id"], tuple(cond["values"])) if cond else None,
        )


def dump_questions(questions: Iterable[Question]) -> list[dict[str, Any]]:
    return [q.to_dict() for q in questions]


def load_questions(data: Iterable[Mapping[str, Any]]) -> tuple[Question, ...]:
    return tuple(Question.from_dict(d) for d in data)


def check_questionnaire(questions: Sequence[Question]) -> None:
    """Ids unique and well formed, choices with options, conditions on earlier questions."""
    seen: dict[str, Question] = {}
    for q in questions:
        if not QUESTION_ID.match(q.id):
            raise SurveyError(f"Identifiant de question invalide : « {q.id} »")
        if q.id in seen:
            raise SurveyError(f"Deux questions ont l'identifiant « {q.id} »")
        if not q.text.strip():
            raise SurveyError(f"La question « {q.id} » n'a pas de texte")
        if q.type in (QuestionType.SINGLE, QuestionType.MULTIPLE) and len(q.options) < 2:
            raise SurveyError(f"La question « {q.id} » doit proposer au moins deux choix")
        if q.type is QuestionType.RATING and q.scale_min >= q.scale_max:
            raise SurveyError(f"L'échelle de la question « {q.id} » est invalide")
        if q.show_if is not None:
            parent = seen.get(q.show_if.question_id)
            if parent is None:
                raise SurveyError(
                    f"La question « {q.id} » dépend de « {q.show_if.question_id} », "
                    "qui doit la précéder"
                )
            allowed = set(answer_values(parent))
            if allowed and not set(q.show_if.values) <= allowed:
                raise SurveyError(f"La condition de la question « {q.id} » est impossible")
        seen[q.id] = q


def answer_values(q: Question) -> tuple[str, ...]:
    """The values a condition may test for a question (empty: any value)."""
    if q.type is QuestionType.YES_NO:
        return (YES, NO)
    if q.type in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        return q.options
    if q.type is QuestionType.RATING:
        return tuple(str(v) for v in range(q.scale_min, q.scale_max + 1))
    return ()


def _matches(answer: Any, values: tuple[str, ...]) -> bool:
    if answer is None:
        return False
    if isinstance(answer, list):
        return any(str(a) in values for a in answer)
    if isinstance(answer, bool):
        return (YES if answer else NO) in values
    return str(answer) in values


def visible(questions: Sequence[Question], answers: Mapping[str, Any]) -> list[Question]:
    """The questions shown for these answers: a hidden question hides those that depend on it."""
    shown: list[Question] = []
    shown_ids: set[str] = set()
    for q in questions:
        cond = q.show_if
        if cond is None or (
            cond.question_id in shown_ids and _matches(answers.get(cond.question_id), cond.values)
        ):
            shown.append(q)
            shown_ids.add(q.id)
    return shown


@dataclass(frozen=True)
class Meeting:
    """A meeting the respondent can rate: its id, its label, and who was on the other side
    (an id; the label names them only on the form shown, never in what is stored)."""

    meeting_id: str
    label: str
    counterpart_id: str = ""
    when: str = ""  # « Votre rendez-vous de 10 h 00 »


@dataclass
class Validation:
    answers: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def meeting_field(question_id: str, meeting_id: str) -> str:
    return f"{question_id}__{meeting_id}"


def validate(
    questions: Sequence[Question],
    form: Mapping[str, Sequence[str]],
    meetings: Sequence[Meeting] = (),
) -> Validation:
    """Parse a submitted form. Answers to questions hidden by a condition are dropped."""
    result = Validation()
    parsed: dict[str, Any] = {}
    for q in questions:
        raw = [v.strip() for v in form.get(q.id, ()) if v is not None]
        raw = [v for v in raw if v]
        try:
            value = _parse(q, raw, form, meetings)
        except SurveyError as exc:
            result.errors[q.id] = str(exc)
            continue
        if value is not None:
            parsed[q.id] = value
    shown = visible(questions, parsed)
    for q in shown:
        if q.id in parsed:
            result.answers[q.id] = parsed[q.id]
        elif q.required and q.id not in result.errors:
            if q.type is QuestionType.MEETINGS and not meetings:
                continue
            result.errors[q.id] = "Merci de répondre à cette question."
    shown_ids = {q.id for q in shown}
    result.errors = {k: v for k, v in result.errors.items() if k in shown_ids}
    return result


def _parse(
    q: Question,
    raw: list[str],
    form: Mapping[str, Sequence[str]],
    meetings: Sequence[Meeting],
) -> Any:
    if q.type is QuestionType.MEETINGS:
        rated: dict[str, int] = {}
        for m in meetings:
            values = [v for v in form.get(meeting_field(q.id, m.meeting_id), ()) if v]
            if values:
                rated[m.meeting_id] = _integer(values[0], q.scale_min, q.scale_max)
        return rated or None
    if not raw:
        return None
    if q.type is QuestionType.MULTIPLE:
        unknown = [v for v in raw if v not in q.options]
        if unknown:
            raise SurveyError("Choix inconnu.")
        return [o for o in q.options if o in raw]
    value = raw[0]
    if q.type is QuestionType.RATING:
        return _integer(value, q.scale_min, q.scale_max)
    if q.type is QuestionType.SINGLE:
        if value not in q.options:
            raise SurveyError("Choix inconnu.")
        return value
    if q.type is QuestionType.YES_NO:
        if value not in (YES, NO):
            raise SurveyError("Répondez par oui ou par non.")
        return value == YES
    if q.type is QuestionType.NUMBER:
        try:
            number = int(value.replace(" ", "").replace("\u202f", ""))
        except ValueError:
            raise SurveyError("Indiquez un nombre entier.") from None
        if number < 0 or number > 1_000_000:
            raise SurveyError("Indiquez un nombre entre 0 et 1 000 000.")
        return number
    if len(value) > MAX_TEXT:
        raise SurveyError(f"{MAX_TEXT} caractères au plus.")
    return value


def _integer(value: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise SurveyError(f"Choisissez une note de {low} à {high}.") from None
    if not low <= number <= high:
        raise SurveyError(f"Choisissez une note de {low} à {high}.")
    return number


def scores(questions: Sequence[Question], answers: Mapping[str, Any]) -> dict[str, int]:
    """What SurveyAnswered may carry: ratings only, keyed by question (and meeting) id."""
    out: dict[str, int] = {}
    for q in questions:
        value = answers.get(q.id)
        if value is None:
            continue
        if q.type is QuestionType.RATING:
            out[q.id] = int(value)
        elif q.type is QuestionType.MEETINGS:
            for meeting_id, rating in value.items():
                out[f"{q.id}:{meeting_id}"] = int(rating)
    return out


# -- editing ----------------------------------------------------------------------------------
def move(questions: Sequence[Question], question_id: str, offset: int) -> tuple[Question, ...]:
    items = list(questions)
    # An id no question has (removed meanwhile, or not from our page) moves nothing.
    index = next((i for i, q in enumerate(items) if q.id == question_id), None)
    target = -1 if index is None else index + offset
    if index is not None and 0 <= target < len(items):
        items[index], items[target] = items[target], items[index]
    return tuple(items)


def remove(questions: Sequence[Question], question_id: str) -> tuple[Question, ...]:
    """Remove a question and drop conditions that pointed at it."""
    return tuple(
        replace(q, show_if=None) if q.show_if and q.show_if.question_id == question_id else q
        for q in questions
        if q.id != question_id
    )


def new_question_id(questions: Sequence[Question]) -> str:
    taken = {q.id for q in questions}
    n = len(questions) + 1
    while f"q{n}" in taken:
        n += 1
    return f"q{n}"


def form_values(questions: Sequence[Question], answers: Mapping[str, Any]) -> dict[str, list[str]]:
    """Stored answers as form fields, to show a respondent what they answered before."""
    values: dict[str, list[str]] = {}
    for q in questions:
        value = answers.get(q.id)
        if value is None:
            continue
        if q.type is QuestionType.MEETINGS:
            for meeting_id, rating in value.items():
                values[meeting_field(q.id, meeting_id)] = [str(rating)]
        elif isinstance(value, bool):
            values[q.id] = [YES if value else NO]
        elif isinstance(value, list):
            values[q.id] = [str(v) for v in value]
        else:
            values[q.id] = [str(value)]
    return values


def choices(q: Question) -> list[tuple[str, str]]:
    """(value, label) of the radio buttons or boxes of a question."""
    if q.type is QuestionType.YES_NO:
        return [(YES, "Oui"), (NO, "Non")]
    if q.type in (QuestionType.RATING, QuestionType.MEETINGS):
        return [(str(v), str(v)) for v in range(q.scale_min, q.scale_max + 1)]
    return [(o, o) for o in q.options]
