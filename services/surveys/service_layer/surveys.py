"""Use cases of the questionnaires: create from defaults, open, remind, links, answers, erasure.

Each function works inside the caller's transaction (`session`), and writes its events to the
outbox in that same transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, and_, delete, func, insert, select, update
from sqlalchemy.orm import Session

from services.surveys.adapters.db import (
    due_jobs,
    editions,
    invitation_tokens,
    invitations,
    meetings,
    participants,
    responses,
    surveys,
)
from services.surveys.adapters.registration import Directory
from services.surveys.domain.aggregate import ERASED_TEXT
from services.surveys.domain.defaults import DEFAULT_QUESTIONS, default_title
from services.surveys.domain.questions import (
    Meeting,
    Question,
    QuestionType,
    SurveyError,
    Validation,
    check_questionnaire,
    dump_questions,
    load_questions,
    scores,
    validate,
)
from services.surveys.metrics import ANSWERS
from services.surveys.service_layer.quotes import forget_quotes
from services.surveys.settings import SurveysSettings
from shared.bus.outbox import Outbox
from shared.db import truncate_wal_after_commit
from shared.edition import TIMEZONE, EditionSettings, default_edition_for
from shared.events import (
    SurveyAnswered,
    SurveyInvitationRequested,
    SurveyKind,
    SurveyOpened,
    utc_now,
)
from shared.french import french_time, local_time

# Short codes of the venue link: no 0/O, 1/I/L, easy to type from a screen.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


@dataclass(frozen=True)
class Survey:
    survey_id: str
    edition_id: str
    kind: SurveyKind
    session_key: str
    title: str
    questions: tuple[Question, ...]
    public_code: str | None
    opened_at: dt.datetime | None
    closes_at: dt.datetime | None

    def accepts_answers(self, now: dt.datetime) -> bool:
        return self.closes_at is None or now < self.closes_at

    def is_open(self, now: dt.datetime) -> bool:
        return self.opened_at is not None and self.accepts_answers(now)


def _survey(row: Any) -> Survey:
    return Survey(
        survey_id=row.survey_id,
        edition_id=row.edition_id,
        kind=SurveyKind(row.kind),
        session_key=row.session_key,
        title=row.title,
        questions=load_questions(row.questions),
        public_code=row.public_code,
        opened_at=row.opened_at,
        closes_at=row.closes_at,
    )


def get_survey(session: Session, survey_id: str) -> Survey | None:
    row = session.execute(select(surveys).where(surveys.c.survey_id == survey_id)).first()
    return _survey(row) if row else None


def list_surveys(session: Session, edition_id: str) -> list[Survey]:
    rows = session.execute(
        select(surveys)
        .where(surveys.c.edition_id == edition_id)
        .order_by(surveys.c.kind, surveys.c.session_key)
    ).all()
    return [_survey(r) for r in rows]


def edition_settings(session: Session, edition_id: str) -> EditionSettings:
    """The programme the scheduler last published, or the action sheet's defaults."""
    row = session.execute(select(editions.c.settings).where(editions.c.edition_id == edition_id))
    data = row.scalar()
    if data:
        return EditionSettings.model_validate(data)
    return default_edition_for(edition_id)


def session_title(session: Session, edition_id: str, session_id: str) -> str:
    for s in edition_settings(session, edition_id).sessions:
        if s.session_id == session_id:
            return f"{s.title} – {s.theme}" if s.theme else s.title
    return session_id


def _of_kind(edition_id: str, kind: SurveyKind, session_key: str = "") -> Select[Any]:
    return select(surveys).where(
        surveys.c.edition_id == edition_id,
        surveys.c.kind == kind.value,
        surveys.c.session_key == session_key,
    )


def day_survey(session: Session, edition_id: str) -> Survey | None:
    """The evaluation of the day (its venue link and QR code), once prepared."""
    row = session.execute(_of_kind(edition_id, SurveyKind.DAY)).first()
    return _survey(row) if row else None


def ensure_survey(
    session: Session,
    edition_id: str,
    kind: SurveyKind,
    session_key: str = "",
    now: dt.datetime | None = None,
) -> Survey:
    """The edition's questionnaire, copied from the French defaults the first time."""
    now = now or utc_now()
    query = _of_kind(edition_id, kind, session_key)
    row = session.execute(query).first()
    if row:
        return _survey(row)
    title = default_title(
        kind, session_title(session, edition_id, session_key) if session_key else ""
    )
    session.execute(
        insert(surveys).values(
            survey_id=str(uuid.uuid4()),
            edition_id=edition_id,
            kind=kind.value,
            session_key=session_key,
            title=title,
            questions=dump_questions(DEFAULT_QUESTIONS[kind]),
            public_code=_new_code() if kind is SurveyKind.DAY else None,
            created_at=now,
        )
    )
    return _survey(session.execute(query).one())


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))


def save_questions(
    session: Session, survey_id: str, title: str, questions: Sequence[Question]
) -> None:
    check_questionnaire(questions)
    session.execute(
        update(surveys)
        .where(surveys.c.survey_id == survey_id)
        .values(title=title.strip() or "Questionnaire", questions=dump_questions(questions))
    )


def reset_questions(session: Session, survey_id: str) -> None:
    survey = get_survey(session, survey_id)
    if survey:
        save_questions(session, survey_id, survey.title, DEFAULT_QUESTIONS[survey.kind])


def set_closing(session: Session, survey_id: str, closes_at: dt.datetime | None) -> None:
    session.execute(
        update(surveys).where(surveys.c.survey_id == survey_id).values(closes_at=closes_at)
    )


# -- opening and invitations ------------------------------------------------------------------
def open_survey(
    session: Session,
    outbox: Outbox,
    settings: SurveysSettings,
    survey: Survey,
    people: Iterable[tuple[str, str | None]],
    now: dt.datetime,
    open_days: int,
    correlation_id: uuid.UUID | None = None,
) -> int:
    """Invite these (participant id, role) once each; returns how many were newly invited."""
    first_opening = survey.opened_at is None
    closes_at = survey.closes_at or now + dt.timedelta(days=open_days)
    if first_opening:
        session.execute(
            update(surveys)
            .where(surveys.c.survey_id == survey.survey_id)
            .values(opened_at=now, closes_at=closes_at)
        )
    already = set(
        session.execute(
            select(invitations.c.participant_id).where(invitations.c.survey_id == survey.survey_id)
        ).scalars()
    )
    events: list[Any] = []
    for participant_id, role in people:
        if participant_id in already:
            continue
        already.add(participant_id)
        invitation_id = uuid.uuid4()
        session.execute(
            insert(invitations).values(
                invitation_id=str(invitation_id),
                survey_id=survey.survey_id,
                participant_id=participant_id,
                role=role,
                created_at=now,
                reminders=0,
            )
        )
        events.append(
            SurveyInvitationRequested(
                edition_id=survey.edition_id,
                survey_id=uuid.UUID(survey.survey_id),
                kind=survey.kind,
                invitation_id=invitation_id,
                participant_id=uuid.UUID(participant_id),
                reminder=False,
                correlation_id=correlation_id,
            )
        )
    if first_opening:
        invited = len(already)
        events.insert(
            0,
            SurveyOpened(
                edition_id=survey.edition_id,
                survey_id=uuid.UUID(survey.survey_id),
                kind=survey.kind,
                session_id=survey.session_key or None,
                invited=invited,
                closes_at=closes_at,
                correlation_id=correlation_id,
            ),
        )
        if settings.remind_after_days > 0:
            schedule(
                session,
                f"remind:{survey.survey_id}",
                survey.edition_id,
                "remind",
                now + dt.timedelta(days=settings.remind_after_days),
                survey.survey_id,
            )
    outbox.add(session, *events)
    return len(events) - (1 if first_opening else 0)


def schedule(
    session: Session,
    key: str,
    edition_id: str,
    action: str,
    due_at: dt.datetime,
    survey_id: str | None = None,
) -> None:
    """A due row, written once per key (an event handled again does not move it)."""
    exists = session.execute(select(due_jobs.c.job_key).where(due_jobs.c.job_key == key)).first()
    if not exists:
        session.execute(
            insert(due_jobs).values(
                job_key=key,
                edition_id=edition_id,
                action=action,
                due_at=due_at,
                survey_id=survey_id,
            )
        )


def checked_in(session: Session, edition_id: str, role: str | None = None) -> list[tuple[str, str]]:
    query = select(participants.c.participant_id, participants.c.role).where(
        participants.c.edition_id == edition_id,
        participants.c.checked_in.is_(True),
        participants.c.erased.is_(False),
    )
    if role:
        query = query.where(participants.c.role == role)
    return [(r.participant_id, r.role) for r in session.execute(query.order_by("participant_id"))]


def roles_of(session: Session, ids: Sequence[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = session.execute(
        select(participants.c.participant_id, participants.c.role).where(
            participants.c.participant_id.in_(ids)
        )
    )
    return {r.participant_id: r.role for r in rows}


def remind(session: Session, outbox: Outbox, survey_id: str, now: dt.datetime) -> int:
    """Ask again those invited who have not answered; returns how many."""
    survey = get_survey(session, survey_id)
    if survey is None or not survey.is_open(now):
        return 0
    rows = session.execute(
        select(invitations.c.invitation_id, invitations.c.participant_id)
        .outerjoin(responses, responses.c.invitation_id == invitations.c.invitation_id)
        .where(
            invitations.c.survey_id == survey_id,
            invitations.c.participant_id.is_not(None),
            responses.c.response_id.is_(None),
        )
        .order_by(invitations.c.invitation_id)
    ).all()
    if not rows:
        return 0
    session.execute(
        update(invitations)
        .where(invitations.c.invitation_id.in_([r.invitation_id for r in rows]))
        .values(reminders=invitations.c.reminders + 1)
    )
    outbox.add(
        session,
        *(
            SurveyInvitationRequested(
                edition_id=survey.edition_id,
                survey_id=uuid.UUID(survey_id),
                kind=survey.kind,
                invitation_id=uuid.UUID(r.invitation_id),
                participant_id=uuid.UUID(r.participant_id),
                reminder=True,
            )
            for r in rows
        ),
    )
    return len(rows)


def open_ex_post(
    session: Session,
    outbox: Outbox,
    settings: SurveysSettings,
    edition_id: str,
    now: dt.datetime,
) -> int:
    """The follow-up questionnaire goes to the project holders who came."""
    survey = ensure_survey(session, edition_id, SurveyKind.EX_POST, now=now)
    people = checked_in(session, edition_id, role="porteur")
    return open_survey(session, outbox, settings, survey, people, now, settings.ex_post_open_days)


@dataclass(frozen=True)
class ExPostDate:
    """When the follow-up questionnaire goes (set when the day closes) and when it went."""

    due_at: dt.datetime
    sent_at: dt.datetime | None


def ex_post_key(edition_id: str) -> str:
    return f"ex-post:{edition_id}"


def ex_post_date(session: Session, edition_id: str) -> ExPostDate | None:
    row = session.execute(
        select(due_jobs.c.due_at, due_jobs.c.done_at).where(
            due_jobs.c.job_key == ex_post_key(edition_id)
        )
    ).first()
    return None if row is None else ExPostDate(row.due_at, row.done_at)


def claim_job(session: Session, key: str, now: dt.datetime) -> bool:
    """Mark a due row done; true for the one caller whose UPDATE matched it."""
    claimed = (
        session.connection()
        .execute(
            update(due_jobs)
            .where(due_jobs.c.job_key == key, due_jobs.c.done_at.is_(None))
            .values(done_at=now)
        )
        .rowcount
    )
    return bool(claimed == 1)


def send_ex_post_now(
    session: Session,
    outbox: Outbox,
    settings: SurveysSettings,
    edition_id: str,
    now: dt.datetime,
) -> int:
    """The operator's « Envoyer maintenant »: the follow-up goes now instead of on its date,
    once. The due row is claimed as `do_due_job` claims it, so the two never both send."""
    if ex_post_date(session, edition_id) is None:
        raise SurveyError(
            "La journée n'est pas encore close : le questionnaire de suivi part après la "
            "clôture de la journée."
        )
    if not claim_job(session, ex_post_key(edition_id), now):
        raise SurveyError("Le questionnaire de suivi a déjà été envoyé.")
    return open_ex_post(session, outbox, settings, edition_id, now)


def due_job_keys(session: Session, now: dt.datetime) -> list[str]:
    """The jobs whose date has come (ex-post openings, reminders), oldest first."""
    return list(
        session.execute(
            select(due_jobs.c.job_key)
            .where(due_jobs.c.done_at.is_(None), due_jobs.c.due_at <= now)
            .order_by(due_jobs.c.due_at)
        ).scalars()
    )


def do_due_job(
    session: Session, outbox: Outbox, settings: SurveysSettings, key: str, now: dt.datetime
) -> bool:
    """Claim one due job and do it, in the caller's transaction; false when another runner
    had it. The UPDATE that marks it done is the claim: a second runner's matches no row
    (PostgreSQL re-checks the condition after the first commits; SQLite has one writer), and
    a failure rolls both back, so the job stays due."""
    if not claim_job(session, key, now):
        return False
    job = session.execute(select(due_jobs).where(due_jobs.c.job_key == key)).one()
    if job.action == "ex-post":
        open_ex_post(session, outbox, settings, job.edition_id, now)
    elif job.action == "remind" and job.survey_id:
        remind(session, outbox, job.survey_id, now)
    return True


# -- personal links ---------------------------------------------------------------------------
def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class InvitationView:
    """What the sender of the email needs, with a fresh personal link."""

    participant_id: str
    survey_title: str
    link: str | None
    closes_at: dt.datetime | None
    answered: bool
    open: bool


def invitation_view(
    session: Session, settings: SurveysSettings, invitation_id: str, now: dt.datetime
) -> InvitationView | None:
    """Issue a new token (256 bits) for this invitation; earlier ones stay valid.

    Several live tokens, because the invitation and each reminder carry their own link and
    a participant may click either; only their hashes are stored.
    """
    row = session.execute(
        select(invitations, surveys.c.title, surveys.c.closes_at, surveys.c.opened_at)
        .join(surveys, surveys.c.survey_id == invitations.c.survey_id)
        .where(invitations.c.invitation_id == invitation_id)
    ).first()
    if row is None or row.participant_id is None:
        return None
    answered = (
        session.execute(
            select(responses.c.response_id).where(responses.c.invitation_id == invitation_id)
        ).first()
        is not None
    )
    is_open = row.opened_at is not None and (row.closes_at is None or now < row.closes_at)
    link = None
    if is_open:
        token = secrets.token_urlsafe(32)
        expires = now + dt.timedelta(days=settings.token_ttl_days)
        session.execute(
            insert(invitation_tokens).values(
                token_hash=hash_token(token),
                invitation_id=invitation_id,
                issued_at=now,
                expires_at=expires,
            )
        )
        link = f"{settings.public_url.rstrip('/')}/q/{token}"
    return InvitationView(
        participant_id=row.participant_id,
        survey_title=row.title,
        link=link,
        closes_at=row.closes_at,
        answered=answered,
        open=is_open,
    )


class Access(StrEnum):
    OK = "ok"
    UNKNOWN = "inconnu"
    EXPIRED = "expire"
    CLOSED = "clos"


@dataclass(frozen=True)
class Opened:
    access: Access
    survey: Survey | None = None
    invitation_id: str | None = None
    participant_id: str | None = None
    role: str | None = None
    answers: Mapping[str, Any] | None = None


def resolve_token(session: Session, token: str, now: dt.datetime) -> Opened:
    if not token or len(token) > 200:
        return Opened(Access.UNKNOWN)
    row = session.execute(
        select(invitation_tokens.c.expires_at, invitations)
        .join(invitations, invitations.c.invitation_id == invitation_tokens.c.invitation_id)
        .where(invitation_tokens.c.token_hash == hash_token(token))
    ).first()
    if row is None or row.participant_id is None:
        return Opened(Access.UNKNOWN)
    survey = get_survey(session, row.survey_id)
    assert survey is not None
    if not survey.accepts_answers(now):
        return Opened(Access.CLOSED, survey)
    if now >= row.expires_at:
        return Opened(Access.EXPIRED, survey)
    answers = session.execute(
        select(responses.c.answers).where(responses.c.invitation_id == row.invitation_id)
    ).scalar()
    return Opened(Access.OK, survey, row.invitation_id, row.participant_id, row.role, answers or {})


def meetings_of(session: Session, edition_id: str, participant_id: str | None) -> list[Meeting]:
    """The respondent's meetings to rate, labelled by time and table (no names: see
    `named_meetings` for the form shown)."""
    if not participant_id:
        return []
    rows = session.execute(
        select(meetings)
        .where(
            meetings.c.edition_id == edition_id,
            meetings.c.released.is_(False),
            (meetings.c.holder_id == participant_id) | (meetings.c.expert_id == participant_id),
        )
        .order_by(meetings.c.start)
    ).all()
    items = []
    for r in rows:
        when = f"Votre rendez-vous de {french_time(local_time(r.start, TIMEZONE).time())}"
        other = r.expert_id if r.holder_id == participant_id else r.holder_id
        items.append(Meeting(r.appointment_id, f"{when}, table {r.table_label}", other, when))
    return items


def named_meetings(items: Sequence[Meeting], directory: Directory | None) -> list[Meeting]:
    """« Votre rendez-vous de 10 h 00 avec France Active Bourgogne (Marie Dupont) », asked of
    registration when the form is shown; the time and table alone when it does not answer."""
    named = []
    for m in items:
        person = directory.person(m.counterpart_id) if directory and m.counterpart_id else None
        if person is None or not (person.organisation or person.name):
            named.append(m)
            continue
        who = person.organisation or person.name
        if person.organisation and person.name:
            who = f"{person.organisation} ({person.name})"
        named.append(replace(m, label=f"{m.when} avec {who}"))
    return named


@dataclass(frozen=True)
class Submitted:
    access: Access
    validation: Validation | None = None
    survey: Survey | None = None


def submit_with_token(
    session: Session,
    outbox: Outbox,
    token: str,
    form: Mapping[str, Sequence[str]],
    now: dt.datetime | None = None,
) -> Submitted:
    """Save (or correct) the answers of the invitation behind this token; once per invitation.
    Run with `shared.db.retrying`: a concurrent submission of the same link makes the unique
    constraint refuse the second insert, and the next attempt updates instead."""
    now = now or utc_now()
    opened = resolve_token(session, token, now)
    if opened.access is not Access.OK:
        return Submitted(opened.access, survey=opened.survey)
    survey = opened.survey
    assert survey is not None and opened.invitation_id is not None
    result = validate(
        survey.questions, form, meetings_of(session, survey.edition_id, opened.participant_id)
    )
    if result.ok:
        response_id = _upsert(
            session,
            survey,
            result.answers,
            now,
            invitation_id=opened.invitation_id,
            participant_id=opened.participant_id,
            role=opened.role,
        )
        assert opened.participant_id is not None
        outbox.add(
            session,
            SurveyAnswered(
                edition_id=survey.edition_id,
                survey_id=uuid.UUID(survey.survey_id),
                kind=survey.kind,
                response_id=uuid.UUID(response_id),
                participant_id=uuid.UUID(opened.participant_id),
                scores=scores(survey.questions, result.answers),
            ),
        )
    return Submitted(Access.OK, result, survey)


def count_answer(submitted: Submitted, channel: str) -> Submitted:
    """Count an answer once it is committed (the entrypoint calls it after the transaction)."""
    if submitted.validation is not None and submitted.validation.ok and submitted.survey:
        ANSWERS.labels(submitted.survey.kind.value, channel).inc()
    return submitted


def submit_anonymous(
    session: Session,
    code: str,
    submission_id: str,
    form: Mapping[str, Sequence[str]],
    now: dt.datetime | None = None,
) -> Submitted:
    """An answer from the venue link: anonymous, one response per form shown.

    Not published as SurveyAnswered (that event names a participant); counted in the report.
    Run with `shared.db.retrying`, as `submit_with_token`.
    """
    now = now or utc_now()
    survey = survey_by_code(session, code)
    if survey is None:
        return Submitted(Access.UNKNOWN)
    if not survey.accepts_answers(now):
        return Submitted(Access.CLOSED, survey=survey)
    if not submission_id or len(submission_id) > 64:
        return Submitted(Access.UNKNOWN)
    result = validate(survey.questions, form)
    if result.ok:
        _upsert(session, survey, result.answers, now, submission_id=submission_id)
    return Submitted(Access.OK, result, survey)


def survey_by_code(session: Session, code: str) -> Survey | None:
    row = session.execute(
        select(surveys).where(surveys.c.public_code == code.strip().upper())
    ).first()
    return _survey(row) if row else None


def _upsert(
    session: Session,
    survey: Survey,
    answers: Mapping[str, Any],
    now: dt.datetime,
    *,
    invitation_id: str | None = None,
    submission_id: str | None = None,
    participant_id: str | None = None,
    role: str | None = None,
) -> str:
    key = (
        responses.c.invitation_id == invitation_id
        if invitation_id
        else responses.c.submission_id == submission_id
    )
    existing = session.execute(select(responses.c.response_id).where(key)).scalar()
    if existing:
        session.execute(update(responses).where(key).values(answers=dict(answers), updated_at=now))
        return str(existing)
    response_id = str(uuid.uuid4())
    # The unique constraint makes a concurrent second insert fail: it is retried as an update.
    session.execute(
        insert(responses).values(
            response_id=response_id,
            survey_id=survey.survey_id,
            invitation_id=invitation_id,
            submission_id=submission_id,
            participant_id=participant_id,
            role=role,
            answers=dict(answers),
            created_at=now,
            updated_at=now,
        )
    )
    return response_id


# -- erasure ----------------------------------------------------------------------------------
def anonymous_answers(questions: Sequence[Question], answers: Mapping[str, Any]) -> dict[str, Any]:
    """What may stay of an erased person's answers: free text replaced by a marker (still
    counted as an answer, so the report's figures hold), meeting ratings kept
    under ordinal keys instead of the appointment ids (which the scheduler links to people)."""
    types = {q.id: q.type for q in questions}
    kept: dict[str, Any] = {}
    for key, value in answers.items():
        kind = types.get(key)
        if kind is QuestionType.TEXT or (kind is None and isinstance(value, str)):
            kept[key] = ERASED_TEXT
            continue
        if isinstance(value, dict):
            value = {str(n): rating for n, rating in enumerate(value.values(), start=1)}
        kept[key] = value
    return kept


def forget_participant(session: Session, participant_id: str) -> None:
    """Unlink answers and invitations from the person and delete their free text; scores stay
    as anonymous rows for the aggregates."""
    truncate_wal_after_commit(session)
    ids = select(invitations.c.invitation_id).where(invitations.c.participant_id == participant_id)
    session.execute(delete(invitation_tokens).where(invitation_tokens.c.invitation_id.in_(ids)))
    rows = session.execute(
        select(responses.c.response_id, responses.c.answers, surveys.c.questions)
        .join(surveys, surveys.c.survey_id == responses.c.survey_id)
        .where(
            (responses.c.participant_id == participant_id) | (responses.c.invitation_id.in_(ids))
        )
    ).all()
    forget_quotes(session, [row.response_id for row in rows])
    placeholder = str(uuid.uuid4())
    for column in ("holder_id", "expert_id"):
        session.execute(
            update(meetings)
            .where(meetings.c[column] == participant_id)
            .values({column: placeholder})
        )
    for row in rows:
        questions = [Question.from_dict(q) for q in row.questions]
        session.execute(
            update(responses)
            .where(responses.c.response_id == row.response_id)
            .values(
                participant_id=None,
                answers=anonymous_answers(questions, row.answers),
            )
        )
    session.execute(
        update(invitations)
        .where(invitations.c.participant_id == participant_id)
        .values(participant_id=None)
    )
    session.execute(
        update(participants)
        .where(participants.c.participant_id == participant_id)
        .values(erased=True)
    )


def response_counts(session: Session, survey_id: str) -> tuple[int, int, int]:
    """(invited, invited who answered, anonymous answers) of a questionnaire."""
    invited = session.execute(
        select(func.count()).where(invitations.c.survey_id == survey_id)
    ).scalar_one()
    answered = session.execute(
        select(func.count()).where(
            and_(responses.c.survey_id == survey_id, responses.c.invitation_id.is_not(None))
        )
    ).scalar_one()
    anonymous = session.execute(
        select(func.count()).where(
            and_(responses.c.survey_id == survey_id, responses.c.invitation_id.is_(None))
        )
    ).scalar_one()
    return invited, answered, anonymous


def non_respondents(session: Session, survey_id: str) -> list[str]:
    """Ids of the people invited to a questionnaire who have not answered it (by their
    personal link), for a message from the team; erased people are not among them."""
    answered = select(responses.c.invitation_id).where(
        responses.c.survey_id == survey_id, responses.c.invitation_id.is_not(None)
    )
    return list(
        session.execute(
            select(invitations.c.participant_id)
            .where(
                invitations.c.survey_id == survey_id,
                invitations.c.participant_id.is_not(None),
                invitations.c.invitation_id.not_in(answered),
            )
            .order_by(invitations.c.participant_id)
        ).scalars()
    )


def answers_of(session: Session, survey_id: str) -> list[dict[str, Any]]:
    return [
        dict(a)
        for a in session.execute(
            select(responses.c.answers)
            .where(responses.c.survey_id == survey_id)
            .order_by(responses.c.created_at, responses.c.response_id)
        ).scalars()
    ]


def answers_with_roles(session: Session, survey_id: str) -> list[tuple[str | None, dict[str, Any]]]:
    """Each answer with its respondent's role (None for the venue link), in answer order."""
    return [
        (r.role, dict(r.answers))
        for r in session.execute(
            select(responses.c.role, responses.c.answers)
            .where(responses.c.survey_id == survey_id)
            .order_by(responses.c.created_at, responses.c.response_id)
        )
    ]
