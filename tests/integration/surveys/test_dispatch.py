"""Dispatch, personal links and answers on a real database (SQLite or PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

from sqlalchemy import func, select

from services.surveys.adapters.db import due_jobs, invitations, meetings, responses
from services.surveys.domain.aggregate import ERASED_TEXT
from services.surveys.entrypoints.due import run_due
from services.surveys.service_layer import surveys as uc
from shared.db import retrying, transaction
from shared.events import ClosedSessionKind, ParticipantErased, Role, SessionClosed
from tests.support.surveys import (
    DAY_END,
    EDITION,
    close_day,
    deliver,
    meeting,
    published,
    register,
)

GOOD_DAY = {
    "organisation": ["5"],
    "qualite_rdv": ["4"],
    "reviendrait": ["oui"],
    "recommandation": ["9"],
    "commentaires": ["Merci !"],
}


def link_for(kit, invitation_id: str, now=DAY_END) -> str:
    with transaction(kit.factory) as session:
        view = uc.invitation_view(session, kit.settings, invitation_id, now)
    assert view is not None and view.link is not None
    return view.link


def token_of(link: str) -> str:
    return link.rsplit("/q/", 1)[1]


def invitation_ids(kit, kind: str) -> dict[str, str]:
    return {
        e["participant_id"]: e["invitation_id"]
        for e in published(kit, "SurveyInvitationRequested")
        if e["kind"] == kind
    }


def count(kit, table, *where) -> int:
    with kit.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def test_day_survey_goes_to_everyone_checked_in_once(kit):
    present = [register(kit), register(kit, role=Role.EXPERT, legal_form="banque")]
    register(kit, present=False)
    event = close_day(kit)
    deliver(kit, event)  # redelivered: deduplicated
    deliver(
        kit, event.model_copy(update={"event_id": uuid.uuid4()})
    )  # sent again: no new invitation
    opened = published(kit, "SurveyOpened")
    assert len(opened) == 1
    assert opened[0]["kind"] == "journee" and opened[0]["invited"] == 2
    assert opened[0]["closes_at"] == "2026-12-10T16:00:00Z"  # 21 days
    requested = published(kit, "SurveyInvitationRequested")
    assert sorted(e["participant_id"] for e in requested) == sorted(str(p) for p in present)
    assert all(e["reminder"] is False for e in requested)
    assert "token" not in str(requested) and "http" not in str(requested)
    with kit.engine.connect() as conn:
        job = conn.execute(select(due_jobs).where(due_jobs.c.action == "ex-post")).one()
    assert job.due_at == DAY_END + dt.timedelta(days=42)


def test_conference_survey_goes_to_its_attendees(kit):
    a, b = register(kit), register(kit)
    register(kit)
    deliver(
        kit,
        SessionClosed(
            edition_id=EDITION,
            session_id="conference-matin",
            kind=ClosedSessionKind.CONFERENCE,
            closed_at=DAY_END,
            attendee_ids=[a, b],
        ),
    )
    opened = published(kit, "SurveyOpened")
    assert [(o["kind"], o["session_id"], o["invited"]) for o in opened] == [
        ("conference", "conference-matin", 2)
    ]
    with transaction(kit.factory) as session:
        (survey,) = uc.list_surveys(session, EDITION)
    assert (
        survey.title == "Votre avis sur la conférence : Conférence-débat du matin – Mécénat et RSE"
    )


def test_answer_with_a_personal_link_then_correct_it_until_closing(kit):
    holder = register(kit)
    close_day(kit)
    invitation = invitation_ids(kit, "journee")[str(holder)]
    token = token_of(link_for(kit, invitation))
    assert len(token) >= 43  # 32 random bytes
    later = DAY_END + dt.timedelta(hours=1)
    result = retrying(kit.factory, uc.submit_with_token, kit.outbox, token, GOOD_DAY, later)
    assert result.access is uc.Access.OK and result.validation.ok
    corrected = {**GOOD_DAY, "organisation": ["3"]}
    retrying(kit.factory, uc.submit_with_token, kit.outbox, token, corrected, later)
    assert count(kit, responses) == 1
    answered = published(kit, "SurveyAnswered")
    assert len(answered) == 2 and answered[0]["response_id"] == answered[1]["response_id"]
    assert answered[1]["scores"] == {"organisation": 3, "qualite_rdv": 4, "recommandation": 9}
    assert "Merci" not in str(answered)  # free text never travels
    with transaction(kit.factory) as session:
        opened = uc.resolve_token(session, token, later)
    assert opened.answers["organisation"] == 3


def test_token_reuse_after_close_expiry_and_unknown_token(kit):
    holder = register(kit)
    close_day(kit)
    invitation = invitation_ids(kit, "journee")[str(holder)]
    token = token_of(link_for(kit, invitation))
    # Unknown (or tampered) token.
    with transaction(kit.factory) as session:
        assert uc.resolve_token(session, token[:-2] + "xx", DAY_END).access is uc.Access.UNKNOWN
        assert uc.resolve_token(session, "", DAY_END).access is uc.Access.UNKNOWN
    # Answered, then the questionnaire closes: the same link can no longer change anything.
    retrying(kit.factory, uc.submit_with_token, kit.outbox, token, GOOD_DAY, DAY_END)
    after_close = DAY_END + dt.timedelta(days=21)
    result = retrying(
        kit.factory,
        uc.submit_with_token,
        kit.outbox,
        token,
        {**GOOD_DAY, "organisation": ["1"]},
        after_close,
    )
    assert result.access is uc.Access.CLOSED
    with transaction(kit.factory) as session:
        survey = uc.list_surveys(session, EDITION)[0]
        assert uc.answers_of(session, survey.survey_id)[0]["organisation"] == 5
        # Closing is also what the sender learns: no link is issued any more.
        view = uc.invitation_view(session, kit.settings, invitation, after_close)
        assert view.link is None and view.answered is True and view.open is False
        # Expiry: a token outlives its days only if the questionnaire is kept open.
        uc.set_closing(session, survey.survey_id, None)
    expired = DAY_END + dt.timedelta(days=kit.settings.token_ttl_days)
    with transaction(kit.factory) as session:
        assert uc.resolve_token(session, token, expired).access is uc.Access.EXPIRED
        assert (
            uc.resolve_token(session, token, expired - dt.timedelta(seconds=1)).access
            is uc.Access.OK
        )


def test_each_email_has_its_own_link_and_all_stay_valid(kit):
    holder = register(kit)
    close_day(kit)
    invitation = invitation_ids(kit, "journee")[str(holder)]
    first, second = token_of(link_for(kit, invitation)), token_of(link_for(kit, invitation))
    assert first != second
    with transaction(kit.factory) as session:
        assert uc.resolve_token(session, first, DAY_END).invitation_id == invitation
        assert uc.resolve_token(session, second, DAY_END).invitation_id == invitation


def test_two_concurrent_submissions_make_one_response(kit):
    holder = register(kit)
    close_day(kit)
    invitation = invitation_ids(kit, "journee")[str(holder)]
    tokens = [token_of(link_for(kit, invitation)) for _ in range(2)]
    barrier = threading.Barrier(4)
    outcomes, errors = [], []

    def submit(token: str, mark: str) -> None:
        barrier.wait()
        try:
            form = {**GOOD_DAY, "commentaires": [mark]}
            outcomes.append(
                retrying(kit.factory, uc.submit_with_token, kit.outbox, token, form, DAY_END)
            )
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=submit, args=(tokens[i % 2], f"r{i}")) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(o.validation.ok for o in outcomes) and len(outcomes) == 4
    assert count(kit, responses) == 1
    assert len({e["response_id"] for e in published(kit, "SurveyAnswered")}) == 1


def test_reminders_go_only_to_non_respondents(kit):
    people = [register(kit) for _ in range(3)]
    erased = register(kit)
    close_day(kit)
    ids = invitation_ids(kit, "journee")
    token = token_of(link_for(kit, ids[str(people[0])]))
    retrying(kit.factory, uc.submit_with_token, kit.outbox, token, GOOD_DAY, DAY_END)
    deliver(kit, ParticipantErased(edition_id=EDITION, participant_id=erased, role=Role.HOLDER))
    # The automatic reminder is a due row, 7 days after opening.
    assert run_due(kit.factory, kit.outbox, kit.settings, DAY_END + dt.timedelta(days=6)) == 0
    assert run_due(kit.factory, kit.outbox, kit.settings, DAY_END + dt.timedelta(days=7)) == 1
    reminders = [e for e in published(kit, "SurveyInvitationRequested") if e["reminder"]]
    assert sorted(e["participant_id"] for e in reminders) == sorted(str(p) for p in people[1:])
    assert run_due(kit.factory, kit.outbox, kit.settings, DAY_END + dt.timedelta(days=8)) == 0


def test_ex_post_due_row_fires_once_with_two_runners(kit):
    holders = [register(kit) for _ in range(3)]
    register(kit, role=Role.EXPERT, legal_form="fondation")
    close_day(kit)
    due = DAY_END + dt.timedelta(days=42)
    # Only the day's reminder is due before: the ex-post questionnaire waits for its date.
    assert run_due(kit.factory, kit.outbox, kit.settings, due - dt.timedelta(minutes=1)) == 1
    assert not [e for e in published(kit, "SurveyOpened") if e["kind"] == "ex-post"]
    barrier = threading.Barrier(2)
    done, errors = [], []

    def runner() -> None:
        barrier.wait()
        try:
            done.append(run_due(kit.factory, kit.outbox, kit.settings, due))
        except Exception as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(done) == [0, 1]
    ex_post = [e for e in published(kit, "SurveyOpened") if e["kind"] == "ex-post"]
    assert len(ex_post) == 1 and ex_post[0]["invited"] == 3
    assert sorted(invitation_ids(kit, "ex-post")) == sorted(str(h) for h in holders)
    assert run_due(kit.factory, kit.outbox, kit.settings, due + dt.timedelta(days=1)) == 0


def test_erasure_unlinks_answers_keeps_scores_and_deletes_free_text(kit):
    holder, other = register(kit), register(kit)
    expert = register(kit, role=Role.EXPERT, legal_form="banque")
    aid = meeting(kit, holder, expert, 10)
    close_day(kit)
    ids = invitation_ids(kit, "journee")
    token = token_of(link_for(kit, ids[str(holder)]))
    form = {**GOOD_DAY, f"rdv__{aid}": ["4"]}
    assert retrying(
        kit.factory, uc.submit_with_token, kit.outbox, token, form, DAY_END
    ).validation.ok
    deliver(kit, ParticipantErased(edition_id=EDITION, participant_id=holder, role=Role.HOLDER))
    with transaction(kit.factory) as session:
        survey = uc.list_surveys(session, EDITION)[0]
        answers = uc.answers_of(session, survey.survey_id)
        # The rating stays, under a key that is no appointment id; the free text is gone,
        # counted as answered behind a marker so the report's figures do not move.
        assert answers[0]["rdv"] == {"1": 4}
        assert answers[0]["commentaires"] == ERASED_TEXT and answers[0]["organisation"] == 5
        assert uc.response_counts(session, survey.survey_id) == (3, 1, 0)
        assert uc.resolve_token(session, token, DAY_END).access is uc.Access.UNKNOWN
        assert uc.invitation_view(session, kit.settings, ids[str(holder)], DAY_END) is None
    assert count(kit, responses, responses.c.participant_id.is_not(None)) == 0
    assert count(kit, invitations, invitations.c.participant_id == str(holder)) == 0
    assert count(kit, meetings, meetings.c.holder_id == str(holder)) == 0
    assert str(other) in ids
