"""Surveys' retention step: the free text of old answers, and old dedupe rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.surveys.adapters.db import processed_table, responses, surveys
from services.surveys.domain.aggregate import ERASED_TEXT
from services.surveys.domain.questions import Question, QuestionType
from services.surveys.service_layer.quotes import forget_quotes
from shared.db import truncate_wal_after_commit
from shared.retention import RetentionCounts, cutoff, old_processed_events
from shared.service import ServiceKit


@dataclass(frozen=True)
class SurveysRetention(RetentionCounts):
    answer_texts: int
    processed_events: int


def without_free_text(
    questions: Sequence[Question], answers: Mapping[str, Any]
) -> tuple[dict[str, Any], int]:
    """The answers with each free text given replaced by ERASED_TEXT (still counted as an
    answer, never shown), and how many were replaced; scores and choices stay as they are."""
    types = {q.id: q.type for q in questions}
    kept = dict(answers)
    replaced = 0
    for key, value in answers.items():
        kind = types.get(key)
        is_text = kind is QuestionType.TEXT or (kind is None and isinstance(value, str))
        if is_text and isinstance(value, str) and value.strip() and value != ERASED_TEXT:
            kept[key] = ERASED_TEXT
            replaced += 1
    return kept, replaced


def apply_retention(
    kit: ServiceKit, session: Session, now: dt.datetime, dry_run: bool
) -> SurveysRetention:
    """Free text of the answers last changed before the cutoff: the evaluation report is
    long written by then, and its figures hold (the answer still counts)."""
    before = cutoff(kit, now)
    texts = 0
    rows = session.execute(
        select(responses.c.response_id, responses.c.answers, surveys.c.questions)
        .join(surveys, surveys.c.survey_id == responses.c.survey_id)
        .where(responses.c.updated_at < before)
    ).all()
    for row in rows:
        kept, replaced = without_free_text(
            [Question.from_dict(q) for q in row.questions], row.answers
        )
        texts += replaced
        if replaced and not dry_run:
            truncate_wal_after_commit(session)
            forget_quotes(session, [row.response_id])
            session.execute(
                update(responses)
                .where(responses.c.response_id == row.response_id)
                .values(answers=kept)
            )
    return SurveysRetention(
        answer_texts=texts,
        processed_events=old_processed_events(session, processed_table, before, dry_run),
    )
