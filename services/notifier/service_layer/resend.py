"""The operator's resend: the same email again, under a new idempotency key."""

from __future__ import annotations

import json
import uuid

from sqlalchemy.orm import Session

from services.notifier.adapters import email_log
from services.notifier.domain.emails import WORDS_KEPT_WITH_THE_ROW, EmailStatus, Template


class NothingToResend(Exception):
    """The email does not exist, or is still waiting to be sent (nothing to resend yet)."""


class ContentsErased(NothingToResend):
    """What the email said is gone (retention or an erasure): sending it again would send
    an empty message, or one saying what the person never said."""


def resend(session: Session, email_id: int) -> int:
    """A new row for the same template and person, sent now; returns its id.

    Contact details, agenda and survey link are fetched again when it is sent.
    """
    row = email_log.get(session, email_id)
    if row is None or row.status in (EmailStatus.PENDING, EmailStatus.SENDING):
        raise NothingToResend
    context = json.loads(row.context or "{}")
    if not context and Template(row.template) in WORDS_KEPT_WITH_THE_ROW:
        raise ContentsErased
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
