"""The operator's resend: the same email again, under a new idempotency key."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.notifier.adapters import email_log
from services.notifier.adapters.db import emails
from services.notifier.domain.emails import WORDS_KEPT_WITH_THE_ROW, EmailStatus, Template

# The largest id the log's INTEGER column holds (PostgreSQL's, the smaller one): a larger one
# in an address is an unknown email, never asked of the database (SQLite would overflow).
MAX_EMAIL_ID = 2**31 - 1


class NothingToResend(Exception):
    """The email does not exist, or is still waiting to be sent (nothing to resend yet)."""


class ContentsErased(NothingToResend):
    """What the email said is gone (retention or an erasure): sending it again would send
    an empty message, or one saying what the person never said."""


def resend(session: Session, email_id: int) -> int:
    """A new row for the same template and person, sent now; returns its id.

    Contact details, agenda and survey link are fetched again when it is sent.
    """
    if not 0 < email_id <= MAX_EMAIL_ID:
        raise NothingToResend
    row = session.execute(select(emails).where(emails.c.id == email_id)).first()
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
