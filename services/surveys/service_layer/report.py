"""Gathers an edition's facts from the service's tables and computes its evaluation report."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from services.surveys.adapters.db import (
    budget_actuals,
    closed_sessions,
    editions,
    meetings,
    participants,
    surveys,
)
from services.surveys.domain.budget import LINE_CODES, budget
from services.surveys.domain.report import (
    ClosedSessionFacts,
    EditionReport,
    Masthead,
    MeetingFacts,
    ParticipantFacts,
    SurveyFacts,
    edition_report,
    survey_order,
)
from services.surveys.service_layer import surveys as uc
from services.surveys.service_layer.quotes import edition_quotes
from shared.communes import label as commune_label
from shared.events import SurveyKind, utc_now

LABELS = {SurveyKind.DAY: "Journée (évaluation à chaud)", SurveyKind.EX_POST: "Suivi (ex-post)"}


def known_editions(session: Session) -> list[str]:
    """Every edition the service has heard of, oldest first."""
    found: set[str] = set()
    for table in (editions, participants, surveys, budget_actuals, meetings):
        found |= set(session.execute(select(table.c.edition_id).distinct()).scalars())
    return sorted(found)


def actuals(session: Session, edition_id: str) -> dict[str, int]:
    rows = session.execute(
        select(budget_actuals.c.line, budget_actuals.c.amount_cents).where(
            budget_actuals.c.edition_id == edition_id
        )
    )
    return {r.line: r.amount_cents for r in rows}


def save_actuals(session: Session, edition_id: str, amounts: dict[str, int | None]) -> None:
    now = utc_now()
    for line, cents in amounts.items():
        if line not in LINE_CODES:
            continue
        session.execute(
            delete(budget_actuals).where(
                budget_actuals.c.edition_id == edition_id, budget_actuals.c.line == line
            )
        )
        if cents is not None:
            session.execute(
                insert(budget_actuals).values(
                    edition_id=edition_id, line=line, amount_cents=cents, updated_at=now
                )
            )


def build_report(
    session: Session, edition_id: str, masthead: Masthead | None = None
) -> EditionReport:
    people = [
        ParticipantFacts(
            r.role, r.status, r.legal_form, r.stage, commune_label(r.commune_code), r.checked_in
        )
        for r in session.execute(
            select(participants).where(participants.c.edition_id == edition_id)
        )
    ]
    slots = [
        MeetingFacts(r.released, r.release_reason)
        for r in session.execute(select(meetings).where(meetings.c.edition_id == edition_id))
    ]
    closed = [
        ClosedSessionFacts(r.session_id, r.kind, r.attendees, r.meetings_held, r.meetings_missed)
        for r in session.execute(
            select(closed_sessions).where(closed_sessions.c.edition_id == edition_id)
        )
    ]
    settings = uc.edition_settings(session, edition_id)
    starts = {s.session_id: s.start for s in settings.sessions}
    facts = []
    # (the report's order, survey id, its name in the report)
    labels: list[tuple[tuple[int, dt.time, str], str, str]] = []
    for survey in uc.list_surveys(session, edition_id):
        invited, answered, anonymous = uc.response_counts(session, survey.survey_id)
        given = uc.answers_with_roles(session, survey.survey_id)
        facts.append(
            SurveyFacts(
                kind=survey.kind,
                title=survey.title,
                session_key=survey.session_key,
                questions=survey.questions,
                answers=tuple(a for _, a in given),
                roles=tuple(r for r, _ in given),
                starts=starts.get(survey.session_key),
                invited=invited,
                answered=answered,
                anonymous=anonymous,
                label=LABELS.get(survey.kind)
                or uc.session_title(session, edition_id, survey.session_key),
            )
        )
        fact = facts[-1]
        order = survey_order(fact.kind, fact.starts, fact.session_key)
        labels.append((order, survey.survey_id, fact.label))
    named = {survey_id: label for _, survey_id, label in sorted(labels)}
    return edition_report(
        edition_id=edition_id,
        title=settings.title,
        date=settings.date,
        people=people,
        slots=slots,
        closed=closed,
        surveys=facts,
        budget=budget(actuals(session, edition_id)),
        venue=settings.venue,
        masthead=masthead,
        quotes=edition_quotes(session, edition_id, named),
    )
