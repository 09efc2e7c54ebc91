"""The free-text answers the operator quotes in the report, without any name."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from services.surveys.adapters.db import quotes, responses, surveys
from services.surveys.domain.aggregate import ERASED_TEXT
from services.surveys.domain.questions import Question, QuestionType
from services.surveys.domain.report import Quote
from shared.events import utc_now


@dataclass(frozen=True)
class FreeText:
    """One free-text answer on the results page, with what the checkbox posts."""

    response_id: str
    question_id: str
    text: str
    quoted: bool

    @property
    def key(self) -> str:
        return f"{self.response_id}/{self.question_id}"


def shown(value: object) -> str | None:
    """The text as it may be shown: none once erased (erasure, retention) or blank."""
    if not isinstance(value, str) or not value.strip() or value == ERASED_TEXT:
        return None
    return value.strip()


def _text_questions(questions: Iterable[Question]) -> list[Question]:
    return [q for q in questions if q.type is QuestionType.TEXT]


def free_texts(
    session: Session, survey_id: str, questions: Iterable[Question]
) -> dict[str, list[FreeText]]:
    """Each text question's answers that may be shown, in answer order, marked if quoted."""
    ids = [q.id for q in _text_questions(questions)]
    chosen = {
        (r.response_id, r.question_id)
        for r in session.execute(select(quotes).where(quotes.c.survey_id == survey_id))
    }
    found: dict[str, list[FreeText]] = {i: [] for i in ids}
    for row in session.execute(
        select(responses.c.response_id, responses.c.answers)
        .where(responses.c.survey_id == survey_id)
        .order_by(responses.c.created_at, responses.c.response_id)
    ):
        for qid in ids:
            text = shown(row.answers.get(qid))
            if text is not None:
                quoted = (row.response_id, qid) in chosen
                found[qid].append(FreeText(row.response_id, qid, text, quoted))
    return found


def save_quotes(
    session: Session, survey_id: str, questions: Iterable[Question], keys: Iterable[str]
) -> int:
    """The survey's quotes become exactly the ticked answers (`response_id/question_id`);
    a key that names no shown answer of this survey is ignored. Returns how many are quoted."""
    allowed = {
        t.key: t for texts in free_texts(session, survey_id, questions).values() for t in texts
    }
    picked = [allowed[k] for k in dict.fromkeys(keys) if k in allowed]
    session.execute(delete(quotes).where(quotes.c.survey_id == survey_id))
    now = utc_now()
    for t in picked:
        session.execute(
            insert(quotes).values(
                response_id=t.response_id,
                question_id=t.question_id,
                survey_id=survey_id,
                selected_at=now,
            )
        )
    return len(picked)


def forget_quotes(session: Session, response_ids: Iterable[str]) -> None:
    """The answers' texts are gone (erasure, retention): so are their quotes."""
    ids = list(response_ids)
    if ids:
        session.execute(delete(quotes).where(quotes.c.response_id.in_(ids)))


ROLE_OF_QUOTE = {"porteur": "porteur de projet", "expert": "expert ou financeur"}


def edition_quotes(session: Session, edition_id: str, labels: dict[str, str]) -> list[Quote]:
    """The edition's quotes, by questionnaire (`labels`: survey id -> its name in the report,
    in the report's order) then answer order; an answer erased since is never shown."""
    rows = session.execute(
        select(quotes.c.survey_id, quotes.c.question_id, responses.c.answers, responses.c.role)
        .join(responses, responses.c.response_id == quotes.c.response_id)
        .join(surveys, surveys.c.survey_id == quotes.c.survey_id)
        .where(surveys.c.edition_id == edition_id)
        .order_by(responses.c.created_at, responses.c.response_id, quotes.c.question_id)
    ).all()
    order = {survey_id: n for n, survey_id in enumerate(labels)}
    found = []
    for r in rows:
        text = shown(r.answers.get(r.question_id))
        if text is not None and r.survey_id in labels:
            role = ROLE_OF_QUOTE.get(r.role or "", "réponse sur place")
            found.append((order[r.survey_id], Quote(labels[r.survey_id], role, text)))
    return [q for _, q in sorted(found, key=lambda pair: pair[0])]
