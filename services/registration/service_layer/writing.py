"""The team writes to a group of participants: who is in the group, and the request to email
them (the notifier sends, once per person, with its usual guarantees)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.registration.adapters.db import participants
from shared.bus.outbox import Outbox
from shared.events import Audience, MessageRequested, RegistrationStatus, Role
from shared.french import french_number
from shared.text import clean

SUBJECT_MAX = 200
BODY_MAX = 10_000
AUDIENCES = {
    Audience.ALL: "Tous les inscrits",
    Audience.HOLDERS: "Les porteurs de projet",
    Audience.EXPERTS: "Les experts",
    Audience.PRESENT: "Les personnes venues le jour J",
    Audience.ABSENT: "Les inscrits qui ne sont pas venus",
}
NON_RESPONDENTS_LABEL = "Sans réponse au questionnaire « {title} »"


class MessageError(ValueError):
    """What is wrong with the message, in French, by field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class Message:
    message_id: uuid.UUID
    audience: Audience
    subject: str
    body: str
    survey_id: uuid.UUID | None = None  # for Audience.NON_RESPONDENTS

    @property
    def audience_key(self) -> str:
        """The value of the form's choice: `sans-reponse:<survey id>` names the questionnaire."""
        return audience_key(self.audience, self.survey_id)


def audience_key(audience: Audience, survey_id: object | None = None) -> str:
    return f"{audience.value}:{survey_id}" if survey_id is not None else audience.value


@dataclass(frozen=True)
class Recipient:
    participant_id: str
    name: str
    organisation: str


def check(message_id: str, audience: str, subject: str, body: str) -> Message:
    """The message as it will go, or every problem at once."""
    errors: dict[str, str] = {}
    survey_id: uuid.UUID | None = None
    group, _, survey = audience.partition(":")
    try:
        chosen = Audience(group)
        if chosen is Audience.NON_RESPONDENTS:
            survey_id = uuid.UUID(survey)
        elif survey:
            raise ValueError(survey)
    except ValueError:
        errors["audience"] = "Choisissez à qui écrire."
        chosen = Audience.ALL
    subject = " ".join(clean(subject).split())
    body = clean(body).replace("\r\n", "\n").strip()
    if not subject:
        errors["objet"] = "Écrivez l'objet du message."
    elif len(subject) > SUBJECT_MAX:
        errors["objet"] = f"L'objet dépasse {SUBJECT_MAX} caractères."
    if not body:
        errors["texte"] = "Écrivez le texte du message."
    elif len(body) > BODY_MAX:
        errors["texte"] = f"Le texte dépasse {french_number(BODY_MAX)} caractères."
    try:
        parsed_id = uuid.UUID(message_id)
    except ValueError:
        parsed_id = uuid.uuid4()
    if errors:
        raise MessageError(errors)
    return Message(parsed_id, chosen, subject, body, survey_id)


def recipients(
    session: Session, edition_id: str, audience: Audience, among: Collection[str] = ()
) -> list[Recipient]:
    """Registered people of the group (not the waiting list, not cancelled, not erased).
    `among`: for the non-respondents of a questionnaire, the ids the surveys service gave."""
    query = select(
        participants.c.participant_id,
        participants.c.first_name,
        participants.c.last_name,
        participants.c.organisation,
    ).where(
        participants.c.edition_id == edition_id,
        participants.c.status == RegistrationStatus.REGISTERED,
        participants.c.erased_at.is_(None),
    )
    if audience is Audience.HOLDERS:
        query = query.where(participants.c.role == Role.HOLDER)
    elif audience is Audience.EXPERTS:
        query = query.where(participants.c.role == Role.EXPERT)
    elif audience is Audience.PRESENT:
        query = query.where(participants.c.checked_in_at.is_not(None))
    elif audience is Audience.ABSENT:
        query = query.where(participants.c.checked_in_at.is_(None))
    elif audience is Audience.NON_RESPONDENTS:
        query = query.where(participants.c.participant_id.in_(sorted(among)))
    rows = session.execute(
        query.order_by(participants.c.last_name, participants.c.first_name)
    ).all()
    return [
        Recipient(
            str(r.participant_id),
            f"{r.first_name or ''} {r.last_name or ''}".strip(),
            r.organisation or "",
        )
        for r in rows
    ]


def send(
    session: Session,
    outbox: Outbox,
    edition_id: str,
    message: Message,
    among: Collection[str] = (),
) -> int:
    """Ask the notifier to email the group; returns how many people it goes to. The same
    message sent again (a double click) is recognised by its id and goes once."""
    people = recipients(session, edition_id, message.audience, among)
    if not people:
        raise MessageError({"audience": "Personne dans ce groupe : aucun message envoyé."})
    outbox.add(
        session,
        MessageRequested(
            edition_id=edition_id,
            message_id=message.message_id,
            audience=message.audience,
            subject=message.subject,
            body=message.body,
            participant_ids=[uuid.UUID(p.participant_id) for p in people],
            survey_id=message.survey_id,
        ),
    )
    return len(people)
