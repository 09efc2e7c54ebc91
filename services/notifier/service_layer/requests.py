"""Emails asked for directly: survey invitations and reminders, and the operator's resend."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.notifier.adapters import email_log
from services.notifier.adapters.db import emails
from services.notifier.domain.emails import EmailStatus, Template


class SurveyEmailKind(StrEnum):
    INVITATION = "invitation"
    REMINDER = "relance"


SURVEY_TEMPLATES = {
    SurveyEmailKind.INVITATION: Template.SURVEY_INVITATION,
    SurveyEmailKind.REMINDER: Template.SURVEY_REMINDER,
}


@dataclass(frozen=True)
class SurveyRecipient:
    participant_id: uuid.UUID
    survey_url: str


@dataclass(frozen=True)
class SurveyEmailRequest:
    request_id: uuid.UUID
    edition_id: str
    survey_id: uuid.UUID
    kind: SurveyEmailKind
    recipients: list[SurveyRecipient]
    survey_title: str = ""
    closes_at: dt.datetime | None = None


def request_survey_emails(session: Session, request: SurveyEmailRequest) -> tuple[list[int], int]:
    """One row per recipient, keyed on the request id: asking twice sends once.

    Returns the ids to send now and how many recipients were already known for this request.
    """
    template = SURVEY_TEMPLATES[request.kind]
    ids: list[int] = []
    duplicates = 0
    for recipient in request.recipients:
        context = {
            "survey_id": str(request.survey_id),
            "title": request.survey_title,
            "url": recipient.survey_url,
            "closes_at": request.closes_at.isoformat() if request.closes_at else None,
        }
        email_id = email_log.add_email(
            session,
            cause_id=request.request_id,
            template=template,
            participant_id=recipient.participant_id,
            edition_id=request.edition_id,
            context=context,
        )
        if email_id is None:
            duplicates += 1
        else:
            ids.append(email_id)
    return ids, duplicates


class NothingToResend(Exception):
    """The email does not exist, or was never tried (nothing to resend yet)."""


def resend(session: Session, email_id: int) -> int:
    """A new row (new idempotency key) for the same template and person, sent now."""
    row = session.execute(select(emails).where(emails.c.id == email_id)).first()
    if row is None or row.status in (EmailStatus.PENDING, EmailStatus.SENDING):
        raise NothingToResend
    context = json.loads(row.context)
    new_id = email_log.add_email(
        session,
        cause_id=uuid.uuid4(),
        template=Template(row.template),
        participant_id=row.participant_id,
        edition_id=row.edition_id,
        context=context,
    )
    assert new_id is not None, "a fresh key cannot collide"
    return new_id
