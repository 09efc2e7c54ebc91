"""From events to rows of the email log: which emails are owed, to whom, and when.

Each handler runs inside the consuming transaction and returns the ids of the rows to send at
once; `dispatched` hands those to the workers once the transaction has committed. Rows due
later (change notices, reminders) wait for the beat, and so do rows of a process that died
between the commit and the hand-over.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import delete, func, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from services.notifier.adapters import caught, email_log
from services.notifier.adapters.db import (
    appointments,
    editions,
    emails,
    participants,
    publications,
)
from services.notifier.domain.emails import (
    AGENDA_TEMPLATES,
    EmailStatus,
    Template,
    change_due_at,
    message_id_of,
    reminder_due_at,
)
from shared.db import truncate_wal_after_commit
from shared.edition import EditionSettings
from shared.events import (
    EditionUpdated,
    MessageRequested,
    ParticipantCancelled,
    ParticipantErased,
    ParticipantLinkRequested,
    ParticipantRegistered,
    ParticipantUpdated,
    RegistrationStatus,
    Role,
    SchedulePublished,
    SlotAssigned,
    SlotReleased,
    SurveyAnswered,
    SurveyInvitationRequested,
    utc_now,
)

if TYPE_CHECKING:
    from services.notifier.service_layer.context import Notifier


@dataclass(frozen=True)
class IntakeRules:
    change_window_s: float = 120.0
    reminder_hour: int = 9
    timezone: str = "Europe/Paris"


def _due_now(ids: list[int | None]) -> list[int]:
    return [i for i in ids if i is not None]


def _email_now(
    session: Session,
    event: Any,
    template: Template,
    context: dict[str, Any] | None = None,
) -> list[int]:
    """One email to the event's participant, due at once (none if it was already written)."""
    return _due_now(
        [
            email_log.add_email(
                session,
                cause_id=event.event_id,
                template=template,
                participant_id=event.participant_id,
                edition_id=event.edition_id,
                context=context,
            )
        ]
    )


_PENDING_KEY = "notifier_dispatch"
E = TypeVar("E")


def dispatch_after_commit(session: Session, ids: list[int], app: Notifier) -> None:
    """Enqueue `ids` once `session` commits; nothing if it rolls back."""
    if not ids:
        return
    pending: list[int] | None = session.info.get(_PENDING_KEY)
    if pending is None:
        pending = session.info[_PENDING_KEY] = []

        def after_commit(committed: Session) -> None:
            committed.info.pop(_PENDING_KEY, None)
            app.dispatcher.dispatch(list(pending))

        def after_rollback(rolled_back: Session) -> None:
            rolled_back.info.pop(_PENDING_KEY, None)

        sa_event.listen(session, "after_commit", after_commit, once=True)
        sa_event.listen(session, "after_soft_rollback", after_rollback, once=True)
    pending.extend(ids)


def dispatched(
    use_case: Callable[[Session, Notifier, E], list[int]],
) -> Callable[[Session, Notifier, E], None]:
    """The event handler of `use_case`: the rows it returns are sent once the event commits."""

    @functools.wraps(use_case)
    def handler(session: Session, app: Notifier, event: E) -> None:
        dispatch_after_commit(session, use_case(session, app, event), app)

    return handler


# -- registration ---------------------------------------------------------------------------


def _remember(
    session: Session, event: ParticipantRegistered | ParticipantUpdated
) -> tuple[str | None, str]:
    """Store the participant's status; returns (status before, status now).

    Only a newer revision replaces the stored one: an older event read late (the streams are
    not ordered with each other) changes nothing, and "now" stays the newest status known.
    """
    pid = str(event.participant_id)
    previous = session.execute(
        select(participants.c.status, participants.c.revision).where(
            participants.c.participant_id == pid
        )
    ).first()
    values = {
        "edition_id": event.edition_id,
        "role": str(event.role),
        "status": str(event.status),
        "revision": event.revision,
    }
    if previous is None:
        session.execute(participants.insert().values(participant_id=pid, **values))
        return None, str(event.status)
    if event.revision <= previous.revision:
        return str(previous.status), str(previous.status)
    session.execute(
        update(participants).where(participants.c.participant_id == pid).values(**values)
    )
    return str(previous.status), str(event.status)


def _what_was_received(event: ParticipantRegistered | ParticipantUpdated) -> dict[str, Any]:
    """What the confirmation repeats back: categories only (codes), never free text."""
    return {
        "tags": list(event.tags),
        "sessions": list(event.sessions),
        "availability": str(event.availability),
        "lunch": event.lunch,
    }


@dispatched
def on_registered(session: Session, app: Notifier, event: ParticipantRegistered) -> list[int]:
    """Confirmation or waiting-list notice, for the newest status known.

    A registration read after a newer update (a promotion, say) confirms the current state
    in one email rather than telling an outdated story.
    """
    _, status = _remember(session, event)
    if status == RegistrationStatus.WAITING_LIST:
        template = Template.WAITING_LIST
    elif status == RegistrationStatus.REGISTERED:
        template = (
            Template.REGISTRATION_EXPERT
            if event.role == Role.EXPERT
            else Template.REGISTRATION_HOLDER
        )
    else:
        return []
    return _email_now(session, event, template, _what_was_received(event))


@dispatched
def on_updated(session: Session, app: Notifier, event: ParticipantUpdated) -> list[int]:
    previous, status = _remember(session, event)
    promoted = (
        previous == RegistrationStatus.WAITING_LIST and status == RegistrationStatus.REGISTERED
    )
    if not promoted:
        return []
    return _email_now(session, event, Template.PROMOTION, _what_was_received(event))


@dispatched
def on_cancelled(session: Session, app: Notifier, event: ParticipantCancelled) -> list[int]:
    session.execute(
        update(participants)
        .where(
            participants.c.participant_id == str(event.participant_id),
            participants.c.status != email_log.ERASED_STATUS,
        )
        .values(status=str(RegistrationStatus.CANCELLED))
    )
    email_log.cancel_pending(
        session,
        event.participant_id,
        templates=[*AGENDA_TEMPLATES, Template.SURVEY_INVITATION, Template.SURVEY_REMINDER],
        edition_id=event.edition_id,
        reason="inscription annulée",
    )
    return _email_now(session, event, Template.CANCELLATION)


@dispatched
def on_link_requested(
    session: Session, app: Notifier, event: ParticipantLinkRequested
) -> list[int]:
    """Someone sent the form again with a registered address: the person gets their link."""
    return _email_now(session, event, Template.ALREADY_REGISTERED)


@dispatched
def on_message_requested(session: Session, app: Notifier, event: MessageRequested) -> list[int]:
    """The team's message: one row per recipient, its words kept with the row until sent.
    Keyed by the message, not the event: a message sent twice (a double click) goes once."""
    about = {"subject": event.subject, "body": event.body}
    return _due_now(
        [
            email_log.add_email(
                session,
                cause_id=event.message_id,
                template=Template.MESSAGE,
                participant_id=participant_id,
                edition_id=event.edition_id,
                context=about,
            )
            for participant_id in event.participant_ids
        ]
    )


@dispatched
def on_erased(session: Session, app: Notifier, event: ParticipantErased) -> list[int]:
    """Nothing more is sent to this person; the read models forget them.

    The log keeps its rows (template, status, dates) for the counts, under an anonymous
    placeholder; it never held an address or a name.
    """
    pid = str(event.participant_id)
    truncate_wal_after_commit(session)
    _erase_caught_after_commit(session, app, pid)
    email_log.cancel_pending(session, pid, reason=email_log.ERASED_REASON)
    email_log.forget_participant(session, pid)
    # A tombstone (no event may replace it): nothing is ever written for this id again.
    tombstone = {"status": email_log.ERASED_STATUS, "revision": email_log.ERASED_REVISION}
    known = session.execute(
        update(participants).where(participants.c.participant_id == pid).values(**tombstone)
    )
    if not email_log.changed(known):
        session.execute(
            participants.insert().values(
                participant_id=pid, edition_id=event.edition_id, role=str(event.role), **tombstone
            )
        )
    session.execute(
        delete(appointments).where(
            (appointments.c.holder_id == pid) | (appointments.c.expert_id == pid)
        )
    )
    return []


# -- the programme ---------------------------------------------------------------------------


@dispatched
def on_edition_updated(session: Session, app: Notifier, event: EditionUpdated) -> list[int]:
    """Keep the newest programme: the date, venue and sessions the emails state."""
    settings = event.settings
    row = session.execute(
        select(editions.c.updated_at).where(editions.c.edition_id == settings.edition_id)
    ).first()
    values = {"settings": settings.model_dump_json(), "updated_at": event.occurred_at}
    if row is None:
        session.execute(editions.insert().values(edition_id=settings.edition_id, **values))
    elif row.updated_at <= event.occurred_at:
        session.execute(
            update(editions).where(editions.c.edition_id == settings.edition_id).values(**values)
        )
    return []


def edition_of(session: Session, edition_id: str) -> EditionSettings | None:
    """The edition's programme as last published by the scheduler; None before the first."""
    stored = session.execute(
        select(editions.c.settings).where(editions.c.edition_id == edition_id)
    ).scalar_one_or_none()
    return None if stored is None else EditionSettings.model_validate_json(stored)


# -- schedule -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Publication:
    """The edition's last schedule publication handled: its event, and when it happened."""

    event_id: str
    published_at: dt.datetime


def _publication(session: Session, edition_id: str) -> Publication | None:
    row = session.execute(
        select(publications.c.event_id, publications.c.published_at).where(
            publications.c.edition_id == edition_id
        )
    ).first()
    return None if row is None else Publication(row.event_id, row.published_at)


def _people_with_meetings(session: Session, edition_id: str) -> dict[str, dt.datetime]:
    """Everyone with at least one live appointment, with their first start."""
    firsts: dict[str, dt.datetime] = {}
    for column in (appointments.c.holder_id, appointments.c.expert_id):
        rows = session.execute(
            select(column.label("pid"), func.min(appointments.c.start).label("first"))
            .where(appointments.c.edition_id == edition_id, appointments.c.released.is_(False))
            .group_by(column)
        ).all()
        for row in rows:
            if row.pid not in firsts or row.first < firsts[row.pid]:
                firsts[row.pid] = row.first
    return firsts


def _add_reminder(
    session: Session,
    rules: IntakeRules,
    cause_id: object,
    pid: str,
    edition_id: str,
    first: dt.datetime,
) -> None:
    due = reminder_due_at(first, rules.reminder_hour, rules.timezone, utc_now())
    if due is not None:
        email_log.add_email(
            session,
            cause_id=cause_id,
            template=Template.REMINDER,
            participant_id=pid,
            edition_id=edition_id,
            due_at=due,
        )


@dispatched
def on_published(session: Session, app: Notifier, event: SchedulePublished) -> list[int]:
    """Everyone with a meeting gets their agenda now and a reminder the day before."""
    current = _publication(session, event.edition_id)
    values = {
        "event_id": str(event.event_id),
        "schedule_version": event.schedule_version,
        "published_at": event.occurred_at,
    }
    if current is None:
        session.execute(publications.insert().values(edition_id=event.edition_id, **values))
    elif event.occurred_at >= current.published_at:
        session.execute(
            update(publications)
            .where(publications.c.edition_id == event.edition_id)
            .values(**values)
        )
    else:
        return []  # an older publication arriving late: the newer one has been handled
    # A new publication replaces the agendas, change notices and reminders still waiting
    # (they would show the new agenda anyway: it is fetched when sending).
    email_log.cancel_pending(
        session,
        None,
        templates=[Template.AGENDA, Template.AGENDA_CHANGE, Template.REMINDER],
        edition_id=event.edition_id,
        reason="remplacé par la publication du planning",
    )
    ids: list[int | None] = []
    for pid, first in _people_with_meetings(session, event.edition_id).items():
        ids.append(
            email_log.add_email(
                session,
                cause_id=event.event_id,
                template=Template.AGENDA,
                participant_id=pid,
                edition_id=event.edition_id,
            )
        )
        _add_reminder(session, app.rules, event.event_id, pid, event.edition_id, first)
    return _due_now(ids)


def _erase_caught_after_commit(session: Session, app: Notifier, pid: str) -> None:
    """The messages `rencontres up` caught for this person go with the erasure: their
    Message-IDs are known from the rows, before the rows forget whose they were."""
    domain = app.settings.message_id_domain()
    sent = session.execute(
        select(emails.c.cause_id, emails.c.template).where(emails.c.participant_id == pid)
    ).all()
    ids = [message_id_of(row.cause_id, row.template, pid, domain) for row in sent]
    directory = caught.folder(app.settings.var_dir)
    if ids and directory.is_dir():
        sa_event.listen(session, "after_commit", lambda _s: caught.erase(directory, ids), once=True)


def _erased(session: Session, *participant_ids: str) -> bool:
    return (
        session.execute(
            select(participants.c.participant_id).where(
                participants.c.participant_id.in_(participant_ids),
                participants.c.status == email_log.ERASED_STATUS,
            )
        ).first()
        is not None
    )


@dispatched
def on_slot_changed(
    session: Session, app: Notifier, event: SlotAssigned | SlotReleased
) -> list[int]:
    """Keep the appointments; after publication, owe each person one change notice per burst."""
    released = isinstance(event, SlotReleased)
    aid = str(event.appointment_id)
    if _erased(session, str(event.holder_id), str(event.expert_id)):
        # Read after the erasure of one of the two (streams are not ordered with each other):
        # the read model keeps no meeting of an erased person.
        return []
    current = session.execute(
        select(appointments.c.changed_at).where(appointments.c.appointment_id == aid)
    ).first()
    values = {
        "edition_id": event.edition_id,
        "holder_id": str(event.holder_id),
        "expert_id": str(event.expert_id),
        "start": event.start,
        "end": event.end,
        "schedule_version": event.schedule_version,
        "changed_at": event.occurred_at,
        "released": released,
    }
    if current is None:
        session.execute(appointments.insert().values(appointment_id=aid, **values))
    elif event.occurred_at >= current.changed_at:
        session.execute(
            update(appointments).where(appointments.c.appointment_id == aid).values(**values)
        )
    publication = _publication(session, event.edition_id)
    if publication is None:
        return []  # not published yet: the agenda email will carry it
    ids: list[int | None] = []
    for pid in (str(event.holder_id), str(event.expert_id)):
        part_of_publication = str(event.correlation_id) == publication.event_id
        if part_of_publication or event.occurred_at <= publication.published_at:
            # Part of the publication, read after it (streams are not ordered with each
            # other): make sure this person gets the agenda, once.
            if not released:
                ids.append(
                    email_log.add_email(
                        session,
                        cause_id=publication.event_id,
                        template=Template.AGENDA,
                        participant_id=pid,
                        edition_id=event.edition_id,
                    )
                )
                _add_reminder(
                    session, app.rules, publication.event_id, pid, event.edition_id, event.start
                )
            continue
        if email_log.open_change_notice(session, pid, event.edition_id) is None:
            email_log.add_email(
                session,
                cause_id=event.event_id,
                template=Template.AGENDA_CHANGE,
                participant_id=pid,
                edition_id=event.edition_id,
                due_at=change_due_at(utc_now(), app.rules.change_window_s),
            )
        if not released and not email_log.has_reminder(session, pid, event.edition_id):
            _add_reminder(session, app.rules, event.event_id, pid, event.edition_id, event.start)
    return _due_now(ids)


# -- surveys --------------------------------------------------------------------------------


@dispatched
def on_survey_invitation_requested(
    session: Session, app: Notifier, event: SurveyInvitationRequested
) -> list[int]:
    """An invitation or a reminder; the link is asked for at send time, never stored."""
    template = Template.SURVEY_REMINDER if event.reminder else Template.SURVEY_INVITATION
    context = {
        "survey_id": str(event.survey_id),
        "invitation_id": str(event.invitation_id),
        "kind": str(event.kind),
    }
    return _email_now(session, event, template, context)


@dispatched
def on_survey_answered(session: Session, app: Notifier, event: SurveyAnswered) -> list[int]:
    """Who has answered gets no reminder still waiting for this survey."""
    rows = session.execute(
        select(email_log.emails.c.id, email_log.emails.c.context).where(
            email_log.emails.c.participant_id == str(event.participant_id),
            email_log.emails.c.template == Template.SURVEY_REMINDER,
            email_log.emails.c.status == EmailStatus.PENDING,
        )
    ).all()
    survey = str(event.survey_id)
    for row in rows:
        if json.loads(row.context).get("survey_id") == survey:
            session.execute(
                update(email_log.emails)
                .where(
                    email_log.emails.c.id == row.id,
                    email_log.emails.c.status == EmailStatus.PENDING,
                )
                .values(
                    status=EmailStatus.CANCELLED,
                    reason="questionnaire déjà rempli",
                    updated_at=utc_now(),
                )
            )
    return []
