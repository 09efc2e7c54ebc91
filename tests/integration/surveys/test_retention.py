"""Retention in surveys: old answers lose their free text (the report's counts hold), old
dedupe rows go; `rencontres surveys retention [--dry-run]`."""

from __future__ import annotations

import datetime as dt
import uuid

from click.testing import CliRunner
from sqlalchemy import func, select

from services.surveys.adapters.db import processed_table, responses
from services.surveys.domain.aggregate import ERASED_TEXT
from services.surveys.service_layer import surveys as uc
from services.surveys.service_layer.retention import SurveysRetention, apply_retention
from services.surveys.service_layer.surveys import SurveyKind, answers_of
from shared.db import retrying
from shared.events import ClosedSessionKind, SessionClosed
from shared.retention import run
from tests.support.surveys import deliver

OLD_DAY = dt.datetime(2024, 11, 21, 16, 0, tzinfo=dt.UTC)


def day_answers(kit, edition: str, closed_at: dt.datetime, comments: list[str]) -> str:
    """The day questionnaire of `edition`, closed at `closed_at` and answered at the venue
    an hour later, once per comment ("" for an answer without one)."""
    deliver(
        kit,
        SessionClosed(
            edition_id=edition,
            session_id="journee",
            kind=ClosedSessionKind.DAY,
            closed_at=closed_at,
        ),
    )
    with kit.factory() as session:
        survey = uc.ensure_survey(session, edition, SurveyKind.DAY)
    for comment in comments:
        form = {
            "organisation": ["4"],
            "qualite_rdv": ["3"],
            "reviendrait": ["oui"],
            "recommandation": ["8"],
            "commentaires": [comment],
        }
        submitted = retrying(
            kit.factory,
            uc.submit_anonymous,
            survey.public_code,
            uuid.uuid4().hex,
            form,
            closed_at + dt.timedelta(hours=1),
        )
        assert submitted.validation.ok, submitted.validation.errors
    return survey.survey_id


def set_up(kit) -> tuple[str, str]:
    now = dt.datetime.now(dt.UTC)
    old = day_answers(kit, "2024", OLD_DAY, ["Trop de bruit", "", "Merci à Camille"])
    recent = day_answers(kit, "2026", now - dt.timedelta(days=10), ["Très bien"])
    with kit.engine.begin() as conn:
        conn.execute(
            processed_table.insert().values(
                consumer="surveys",
                event_id="00000000-0000-4000-8000-000000000002",
                processed_at=now - dt.timedelta(days=400),
            )
        )
    return old, recent


def comments(kit, survey_id: str) -> list[object]:
    with kit.factory() as session:
        return sorted(str(a.get("commentaires")) for a in answers_of(session, survey_id))


def processed(kit) -> int:
    with kit.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(processed_table)).scalar_one())


def test_dry_run_then_apply(kit):
    old, recent = set_up(kit)
    before = processed(kit)
    with kit.engine.connect() as conn:
        updated = sorted(conn.execute(select(responses.c.updated_at)).scalars())

    assert run(kit, apply_retention, dry_run=True)[1] == SurveysRetention(
        answer_texts=2, processed_events=1
    )
    assert comments(kit, old) == ["Merci à Camille", "None", "Trop de bruit"]
    assert processed(kit) == before

    assert run(kit, apply_retention)[1] == SurveysRetention(answer_texts=2, processed_events=1)
    assert comments(kit, old) == ["None", ERASED_TEXT, ERASED_TEXT]
    assert comments(kit, recent) == ["Très bien"]
    assert processed(kit) == before - 1
    # Scores stay, and the answers keep their dates.
    with kit.factory() as session:
        assert [a["organisation"] for a in answers_of(session, old)] == [4, 4, 4]
    with kit.engine.connect() as conn:
        assert sorted(conn.execute(select(responses.c.updated_at)).scalars()) == updated
    assert run(kit, apply_retention)[1].total == 0


def test_the_report_still_counts_the_erased_comments(kit):
    old, _ = set_up(kit)
    from services.surveys.domain.aggregate import results
    from services.surveys.service_layer.surveys import get_survey

    def comment_result(survey_id: str):
        with kit.factory() as session:
            survey = get_survey(session, survey_id)
            answers = answers_of(session, survey_id)
        [q] = [q for q in survey.questions if q.id == "commentaires"]
        [result] = results([q], answers)
        return result

    assert comment_result(old).answered == 2
    run(kit, apply_retention)
    result = comment_result(old)
    assert (result.answered, result.texts) == (2, ())


def test_command_line(kit, database_url, monkeypatch):
    from rencontres.cli import main

    set_up(kit)
    monkeypatch.setenv("SURVEYS_DATABASE_URL", database_url)
    monkeypatch.setenv("BUS_PREFIX", kit.settings.bus_prefix)
    dry = CliRunner().invoke(main, ["surveys", "retention", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert dry.output.splitlines()[1:] == [
        "  réponses libres aux questionnaires (remplacées par « [effacé] ») : 2",
        "  traces d'événements déjà traités : 1",
    ]
    done = CliRunner().invoke(main, ["surveys", "retention"])
    assert done.exit_code == 0 and done.output.startswith("Conservation de 12 mois : effacé")
    assert done.output.splitlines()[1:] == dry.output.splitlines()[1:]
    again = CliRunner().invoke(main, ["surveys", "retention", "--dry-run"])
    assert again.output.splitlines()[1].endswith(" : 0")
