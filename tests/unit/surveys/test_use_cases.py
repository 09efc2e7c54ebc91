"""The surveys service's use cases on an in-memory SQLite database, with no server.

The service is built by its own `bootstrap` (engine, outbox, consumer and its subscriptions)
on `sqlite://` with the tables of its metadata. Its Redis address is a port where nothing
listens: nothing here may need it. Data comes in as in production, through the consumer's
path (decode, dedupe row, handler, commit), and answers go through `shared.db.retrying` as the
routes send them. The limits the routes add on top (one venue answer per device by a signed
cookie, so many per address and hour in Redis) are tested in tests/integration/surveys.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from services.surveys.adapters.db import invitations, metadata, responses, surveys
from services.surveys.bootstrap import bootstrap
from services.surveys.domain.aggregate import ERASED_TEXT
from services.surveys.domain.questions import SurveyError
from services.surveys.service_layer import report as reports
from services.surveys.service_layer import surveys as uc
from services.surveys.service_layer.quotes import free_texts, save_quotes
from services.surveys.service_layer.retention import apply_retention
from services.surveys.settings import SurveysSettings
from shared import retention
from shared.bus.consumer import Outcome
from shared.db import retrying, transaction
from shared.events import (
    ClosedSessionKind,
    ParticipantErased,
    Role,
    SessionClosed,
    SurveyKind,
)
from shared.service import ServiceKit
from tests.support.surveys import (
    DAY_END,
    EDITION,
    close_day,
    deliver,
    published,
    register,
)

NO_REDIS = "redis://127.0.0.1:1/0"
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
Form = dict[str, list[str]]


@pytest.fixture
def kit() -> Iterator[ServiceKit]:
    settings = SurveysSettings(
        database_url="sqlite://",
        redis_url=NO_REDIS,
        surveys_public_url="http://testserver",
        environment="test",
    )
    kit = bootstrap(settings).kit
    # `sqlite://` gets one connection per thread from SQLAlchemy: the test's sessions and the
    # consumer's all use the one in-memory database, which goes with the engine.
    metadata.create_all(kit.engine)
    yield kit
    kit.engine.dispose()


# -- helpers: what a participant and the scheduler do ---------------------------------------
def conference_closed(session_id: str, *present: uuid.UUID) -> SessionClosed:
    return SessionClosed(
        edition_id=EDITION,
        session_id=session_id,
        kind=ClosedSessionKind.CONFERENCE,
        closed_at=DAY_END - 3 * HOUR,
        attendee_ids=list(present),
    )


def day_form(**changes: str) -> Form:
    values = {
        "organisation": "4",
        "qualite_rdv": "3",
        "reviendrait": "oui",
        "recommandation": "8",
        "commentaires": "",
    }
    return {key: [value] for key, value in {**values, **changes}.items()}


def day_form_answers() -> dict[str, object]:
    """`day_form()` as stored: numbers, the yes as true, no empty comment."""
    return {"organisation": 4, "qualite_rdv": 3, "reviendrait": True, "recommandation": 8}


def conference_form(**changes: str) -> Form:
    values = {"interet": "5", "intervenants": "4", "utilite": "3", **changes}
    return {key: [value] for key, value in values.items()}


def the_survey(kit: ServiceKit, kind: SurveyKind, session_key: str = "") -> uc.Survey:
    with kit.factory() as session:
        (found,) = [
            s
            for s in uc.list_surveys(session, EDITION)
            if (s.kind, s.session_key) == (kind, session_key)
        ]
    return found


def link_token(
    kit: ServiceKit,
    participant: uuid.UUID,
    now: dt.datetime,
    kind: SurveyKind = SurveyKind.DAY,
    session_key: str = "",
) -> str:
    """The token of a fresh personal link, as the email sender asks for it."""
    survey = the_survey(kit, kind, session_key)
    with transaction(kit.factory) as session:
        invitation_id = session.execute(
            select(invitations.c.invitation_id).where(
                invitations.c.survey_id == survey.survey_id,
                invitations.c.participant_id == str(participant),
            )
        ).scalar_one()
        view = uc.invitation_view(session, kit.settings, invitation_id, now)
    assert view is not None and view.link is not None
    return view.link.rsplit("/", 1)[1]


def by_token(kit: ServiceKit, token: str, form: Form, now: dt.datetime) -> uc.Submitted:
    return retrying(kit.factory, uc.submit_with_token, kit.outbox, token, form, now)


def at_venue(
    kit: ServiceKit, code: str, submission: str, form: Form, now: dt.datetime
) -> uc.Submitted:
    return retrying(kit.factory, uc.submit_anonymous, code, submission, form, now)


def answer(kit: ServiceKit, participant: uuid.UUID, form: Form, now: dt.datetime, **survey) -> None:
    result = by_token(kit, link_token(kit, participant, now, **survey), form, now)
    assert result.validation is not None and result.validation.ok, result.validation


def stored(kit: ServiceKit) -> list:
    with kit.factory() as session:
        return session.execute(
            select(responses).order_by(responses.c.created_at, responses.c.submission_id)
        ).all()


def invited(kit: ServiceKit) -> dict[tuple[str, str], set[tuple[str, str | None]]]:
    """(kind, session) -> {(participant id, role)} of every invitation."""
    found: dict[tuple[str, str], set[tuple[str, str | None]]] = {}
    with kit.factory() as session:
        for row in session.execute(
            select(
                surveys.c.kind,
                surveys.c.session_key,
                invitations.c.participant_id,
                invitations.c.role,
            ).join(invitations, invitations.c.survey_id == surveys.c.survey_id)
        ):
            found.setdefault((row.kind, row.session_key), set()).add((row.participant_id, row.role))
    return found


# -- questionnaires -------------------------------------------------------------------------
def test_a_questionnaire_is_copied_from_the_defaults_once(kit):
    with transaction(kit.factory) as session:
        day = uc.ensure_survey(session, EDITION, SurveyKind.DAY, now=DAY_END)
        again = uc.ensure_survey(session, EDITION, SurveyKind.DAY, now=DAY_END + DAY)
        uc.save_questions(session, day.survey_id, "  ", day.questions[:2])
    assert again == day
    assert [q.id for q in day.questions][:2] == ["organisation", "qualite_rdv"]
    assert day.public_code and len(day.public_code) == 6
    assert set(day.public_code) <= set(uc.CODE_ALPHABET)
    edited = the_survey(kit, SurveyKind.DAY)
    assert (edited.title, len(edited.questions)) == ("Questionnaire", 2)
    with transaction(kit.factory) as session:
        uc.reset_questions(session, day.survey_id)
    assert the_survey(kit, SurveyKind.DAY).questions == day.questions


# -- invitations when a session closes ------------------------------------------------------
def test_a_closed_conference_invites_each_attendee_once(kit):
    holder, expert = register(kit), register(kit, Role.EXPERT, legal_form="banque")
    closed = conference_closed("c1", holder, expert)
    deliver(kit, closed)
    assert invited(kit) == {
        ("conference", "c1"): {(str(holder), "porteur"), (str(expert), "expert")}
    }
    # The same event delivered again: the consumer's dedupe row skips it.
    body = closed.model_dump_json()
    assert kit.consumer.process(closed.stream(kit.settings.bus_prefix), body) is Outcome.DUPLICATE
    # Closed again by a new event with one more attendee: only the newcomer is invited.
    late = register(kit)
    deliver(kit, conference_closed("c1", holder, expert, late))
    assert len(invited(kit)["conference", "c1"]) == 3
    opened = published(kit, "SurveyOpened")
    assert [(o["session_id"], o["invited"]) for o in opened] == [("c1", 2)]
    requests = published(kit, "SurveyInvitationRequested")
    assert sorted(r["participant_id"] for r in requests) == sorted(map(str, (holder, expert, late)))
    assert not any(r["reminder"] for r in requests)


def test_the_day_invites_those_present_once_per_questionnaire(kit):
    holder, expert = register(kit), register(kit, Role.EXPERT, legal_form="banque")
    absent = register(kit, present=False)
    deliver(kit, conference_closed("c1", holder), conference_closed("c2", holder, expert))
    close_day(kit)
    close_day(kit, at=DAY_END + HOUR)  # closed again: nobody new, the dates stay
    both = {(str(holder), "porteur"), (str(expert), "expert")}
    assert invited(kit) == {
        ("conference", "c1"): {(str(holder), "porteur")},
        ("conference", "c2"): both,
        ("journee", ""): both,
    }
    requests = published(kit, "SurveyInvitationRequested")
    assert len(requests) == 5 and str(absent) not in {r["participant_id"] for r in requests}
    assert [o["kind"] for o in published(kit, "SurveyOpened")] == ["conference"] * 2 + ["journee"]
    day = the_survey(kit, SurveyKind.DAY)
    assert (day.opened_at, day.closes_at) == (DAY_END, DAY_END + 21 * DAY)
    with kit.factory() as session:
        follow_up = uc.ex_post_date(session, EDITION)
    assert follow_up == uc.ExPostDate(DAY_END + 42 * DAY, None)


# -- answers by the personal link -----------------------------------------------------------
def test_a_personal_link_stores_one_answer_which_a_second_sending_corrects(kit):
    holder = register(kit)
    close_day(kit)
    now = DAY_END + HOUR
    first = by_token(kit, link_token(kit, holder, now), day_form(commentaires="Bien"), now)
    assert first.access is uc.Access.OK and first.validation.ok
    # Sent again, from the reminder's link (another token of the same invitation).
    later = now + HOUR
    second = by_token(kit, link_token(kit, holder, later), day_form(organisation="2"), later)
    assert second.validation.ok
    (row,) = stored(kit)
    assert row.answers == {**day_form_answers(), "organisation": 2}  # no comment any more
    assert (row.participant_id, row.role) == (str(holder), "porteur")
    assert (row.created_at, row.updated_at) == (now, later)
    with kit.factory() as session:
        assert uc.response_counts(session, row.survey_id) == (1, 1, 0)
        assert uc.non_respondents(session, row.survey_id) == []
    answered = published(kit, "SurveyAnswered")
    assert [a["response_id"] for a in answered] == [row.response_id] * 2
    assert answered[-1]["scores"] == {"organisation": 2, "qualite_rdv": 3, "recommandation": 8}


def test_an_unknown_expired_or_closed_link_stores_nothing(kit):
    holder = register(kit)
    close_day(kit)
    token = link_token(kit, holder, DAY_END)
    assert by_token(kit, "pas-un-jeton", day_form(), DAY_END).access is uc.Access.UNKNOWN
    closed = by_token(kit, token, day_form(), DAY_END + 21 * DAY)
    assert (closed.access, closed.validation) == (uc.Access.CLOSED, None)
    assert stored(kit) == [] and published(kit, "SurveyAnswered") == []
    # Kept open by the operator: the link itself expires after its 90 days.
    day = the_survey(kit, SurveyKind.DAY)
    with transaction(kit.factory) as session:
        uc.set_closing(session, day.survey_id, None)
    last_day = DAY_END + 89 * DAY
    assert by_token(kit, token, day_form(), last_day).access is uc.Access.OK
    expired = by_token(kit, token, day_form(organisation="1"), DAY_END + 90 * DAY)
    assert expired.access is uc.Access.EXPIRED
    assert [(r.answers["organisation"], r.updated_at) for r in stored(kit)] == [(4, last_day)]


def test_a_rating_out_of_its_scale_is_refused_in_french_and_stores_nothing(kit):
    holder = register(kit)
    close_day(kit)
    now = DAY_END + HOUR
    counted = ("rencontres_survey_answers_total", {"kind": "journee", "channel": "personal"})
    before = REGISTRY.get_sample_value(*counted) or 0
    token = link_token(kit, holder, now)
    refused = by_token(kit, token, day_form(organisation="6", recommandation="11"), now)
    assert refused.access is uc.Access.OK and not refused.validation.ok
    assert refused.validation.errors == {
        "organisation": "Choisissez une note de 1 à 5.",
        "recommandation": "Choisissez une note de 0 à 10.",
    }
    uc.count_answer(refused, "personal")  # as the route does after the commit
    code = the_survey(kit, SurveyKind.DAY).public_code
    venue = at_venue(kit, code, "formulaire-1", day_form(qualite_rdv="0"), now)
    assert venue.validation.errors == {"qualite_rdv": "Choisissez une note de 1 à 5."}
    assert stored(kit) == []
    assert published(kit, "SurveyAnswered") == []
    assert (REGISTRY.get_sample_value(*counted) or 0) == before
    uc.count_answer(by_token(kit, token, day_form(), now), "personal")
    assert REGISTRY.get_sample_value(*counted) == before + 1  # only a saved answer counts


# -- answers by the venue link --------------------------------------------------------------
def test_the_venue_link_keeps_one_answer_per_form_shown(kit):
    close_day(kit)
    day = the_survey(kit, SurveyKind.DAY)
    code, now = day.public_code, DAY_END + HOUR
    assert at_venue(kit, f" {code.lower()} ", "formulaire-1", day_form(), now).validation.ok
    # The same form sent twice (a double tap) is one answer, as last sent.
    at_venue(kit, code, "formulaire-1", day_form(organisation="5"), now + HOUR)
    at_venue(kit, code, "formulaire-2", day_form(organisation="1"), now)
    # No form id, a made-up one too long, a code that is none, a closed questionnaire.
    assert at_venue(kit, code, "", day_form(), now).access is uc.Access.UNKNOWN
    assert at_venue(kit, code, "x" * 65, day_form(), now).access is uc.Access.UNKNOWN
    assert at_venue(kit, "000000", "formulaire-3", day_form(), now).access is uc.Access.UNKNOWN
    late = at_venue(kit, code, "formulaire-4", day_form(), day.closes_at)
    assert late.access is uc.Access.CLOSED
    rows = stored(kit)
    assert [(r.submission_id, r.answers["organisation"]) for r in rows] == [
        ("formulaire-1", 5),
        ("formulaire-2", 1),
    ]
    assert {(r.participant_id, r.role, r.invitation_id) for r in rows} == {(None, None, None)}
    with kit.factory() as session:
        assert uc.response_counts(session, day.survey_id) == (0, 0, 2)
    assert published(kit, "SurveyAnswered") == []  # that event names a participant


# -- due jobs: the reminder and the follow-up questionnaire ---------------------------------
def test_due_jobs_come_on_their_date_and_are_done_once(kit):
    holder, other = register(kit), register(kit)
    expert = register(kit, Role.EXPERT, legal_form="banque")
    close_day(kit)
    answer(kit, holder, day_form(), DAY_END + HOUR)
    remind, follow_up = f"remind:{the_survey(kit, SurveyKind.DAY).survey_id}", "ex-post:2026"

    def due(now: dt.datetime) -> list[str]:
        with kit.factory() as session:
            return uc.due_job_keys(session, now)

    def do(key: str, now: dt.datetime) -> bool:
        with transaction(kit.factory) as session:
            return uc.do_due_job(session, kit.outbox, kit.settings, key, now)

    week = DAY_END + 7 * DAY
    assert due(week - dt.timedelta(seconds=1)) == []
    assert due(DAY_END + 42 * DAY) == [remind, follow_up]  # oldest first
    assert due(week) == [remind]
    assert do(remind, week) is True
    assert do(remind, week) is False
    reminded = [r for r in published(kit, "SurveyInvitationRequested") if r["reminder"]]
    assert sorted(r["participant_id"] for r in reminded) == sorted(map(str, (other, expert)))
    assert due(week) == []

    sent = DAY_END + 42 * DAY
    assert due(sent) == [follow_up]
    assert do(follow_up, sent) is True
    assert do(follow_up, sent) is False
    # The follow-up goes to the project holders who came, once; its own reminder is due later.
    assert invited(kit)[("ex-post", "")] == {(str(holder), "porteur"), (str(other), "porteur")}
    assert [o["kind"] for o in published(kit, "SurveyOpened")] == ["journee", "ex-post"]
    ex_post = the_survey(kit, SurveyKind.EX_POST)
    assert due(sent + 7 * DAY) == [f"remind:{ex_post.survey_id}"]
    with kit.factory() as session:
        assert uc.ex_post_date(session, EDITION) == uc.ExPostDate(sent, sent)
        with pytest.raises(SurveyError, match="déjà été envoyé"):
            uc.send_ex_post_now(session, kit.outbox, kit.settings, EDITION, sent)


def test_the_follow_up_cannot_be_sent_before_the_day_closes(kit):
    register(kit)
    with kit.factory() as session, pytest.raises(SurveyError, match="pas encore close"):
        uc.send_ex_post_now(session, kit.outbox, kit.settings, EDITION, DAY_END)
    assert invited(kit) == {}


# -- the evaluation report ------------------------------------------------------------------
def test_the_report_counts_the_answers_by_role_with_their_rates(kit):
    holder = register(kit)
    register(kit)  # present, invited, never answers
    expert = register(kit, Role.EXPERT, legal_form="banque")
    register(kit, present=False)
    deliver(kit, conference_closed("c1", holder, expert))
    close_day(kit)
    now = DAY_END + HOUR
    answer(kit, holder, conference_form(), now, kind=SurveyKind.CONFERENCE, session_key="c1")
    answer(kit, holder, day_form(organisation="4", qualite_rdv="5", recommandation="9"), now)
    answer(
        kit,
        expert,
        day_form(organisation="2", qualite_rdv="3", reviendrait="non", recommandation="6"),
        now,
    )
    code = the_survey(kit, SurveyKind.DAY).public_code
    at_venue(kit, code, "formulaire-1", day_form(organisation="5", recommandation="10"), now)

    with kit.factory() as session:
        report = reports.build_report(session, EDITION)
    conference, day = report.sessions
    assert (conference.invited, conference.answered, conference.response_rate) == (2, 1, 50.0)
    assert (day.invited, day.answered, day.anonymous, day.response_rate) == (3, 2, 1, 66.7)
    assert report.overall_response_rate == 60.0  # 3 answers for 5 invitations
    assert [(g.label, g.answered) for g in day.groups] == [
        ("Porteurs", 1),
        ("Experts", 1),
        ("Sur place", 1),
        ("Ensemble", 3),
    ]
    ids = {q.text: q.id for q in the_survey(kit, SurveyKind.DAY).questions}
    lines = {(ids[line.question], line.detail): line.values for line in day.lines}
    assert lines["organisation", "Moyenne (1 à 5)"] == (4.0, 2.0, 5.0, 3.67)
    assert lines["reviendrait", "Oui"] == (1, 0, 1, 2)
    assert lines["reviendrait", "Non"] == (0, 1, 0, 1)
    assert day.satisfaction == 3.67  # 4, 5, 2, 3, 5, 3
    assert day.net_promoter == 33  # 9 and 10 promote, 6 detracts
    assert report.participants.registered == {"porteur": 3, "expert": 1}
    assert report.participants.present == {"porteur": 2, "expert": 1}


# -- what is forgotten: retention and erasure -----------------------------------------------
def test_retention_empties_free_text_after_its_period_and_keeps_the_counts(kit):
    holder = register(kit)
    close_day(kit)
    now = DAY_END + HOUR
    answer(kit, holder, day_form(commentaires="Merci à Camille"), now)
    code = the_survey(kit, SurveyKind.DAY).public_code
    at_venue(kit, code, "formulaire-1", day_form(commentaires="Trop de bruit"), now + HOUR)
    at_venue(kit, code, "formulaire-2", day_form(organisation="2"), now + 2 * HOUR)
    day = the_survey(kit, SurveyKind.DAY)
    with transaction(kit.factory) as session:
        (texts,) = free_texts(session, day.survey_id, day.questions).values()
        assert save_quotes(session, day.survey_id, day.questions, [texts[0].key]) == 1

    def figures():
        with kit.factory() as session:
            report = reports.build_report(session, EDITION)
        (survey,) = report.sessions
        (comments,) = [r for r in survey.results if r.question.id == "commentaires"]
        return survey, comments, report.quotes

    def retain(at: dt.datetime, dry_run: bool = False) -> int:
        """The free texts emptied (or, in a dry run, rolled back), as every entrypoint runs it."""
        return retention.run(kit, apply_retention, dry_run=dry_run, now=at)[1].answer_texts

    survey, comments, quotes = figures()
    assert comments.texts == ("Merci à Camille", "Trop de bruit") and len(quotes) == 1
    assert retain(DAY_END + 365 * DAY - HOUR) == 0  # twelve months have not passed
    assert retain(DAY_END + 366 * DAY, dry_run=True) == 2
    assert figures()[1].texts == comments.texts
    assert retain(DAY_END + 366 * DAY) == 2
    assert [r.answers.get("commentaires") for r in stored(kit)] == [ERASED_TEXT, ERASED_TEXT, None]
    after, kept, quotes = figures()
    assert (after.invited, after.answered, after.anonymous) == (1, 1, 2)
    assert (after.satisfaction, after.lines) == (survey.satisfaction, survey.lines)
    assert (kept.answered, kept.texts, quotes) == (2, (), [])
    assert retain(DAY_END + 366 * DAY) == 0


def test_an_erased_participant_leaves_an_anonymous_answer(kit):
    holder = register(kit)
    close_day(kit)
    now = DAY_END + HOUR
    token = link_token(kit, holder, now)
    by_token(kit, token, day_form(commentaires="Je suis Camille, de Quetigny"), now)
    deliver(kit, ParticipantErased(edition_id=EDITION, participant_id=holder, role=Role.HOLDER))
    (row,) = stored(kit)
    assert row.participant_id is None
    assert row.answers == {**day_form_answers(), "commentaires": ERASED_TEXT}
    assert invited(kit) == {("journee", ""): {(None, "porteur")}}
    assert by_token(kit, token, day_form(), now).access is uc.Access.UNKNOWN
    with kit.factory() as session:
        assert uc.response_counts(session, row.survey_id) == (1, 1, 0)
