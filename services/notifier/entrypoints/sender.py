"""Sending one email of the log, exactly once as far as the log can tell: what the Celery task
runs. Each step (`service_layer/sending.py`) is a transaction of its own, and the SMTP
exchange is in none of them: claim, send, record.

The row goes `pending` -> `sending` (committed before the DATA command, the point after which
the SMTP server may hold the message) -> `sent` (committed with EmailSent in the outbox). A task
that finds the row in any other state does nothing, so a redelivered task cannot send twice.

The one window left: the server accepted the message and the worker died before committing
`sent`. The row stays `sending`; the beat sends it again once `email_sending_stale_s` has
passed, with the same Message-ID (derived from the idempotency key), so a receiving host that
deduplicates on it shows one message. Everything that can fail (fetching the contact and the
agenda, rendering, connecting, TLS, login, MAIL FROM, RCPT TO) happens before `sending` is
committed, which keeps that window to the DATA exchange and one commit.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from services.notifier.adapters import email_log
from services.notifier.adapters.directory import (
    Agenda,
    Contact,
    Meeting,
    Registration,
    Scheduler,
    Surveys,
)
from services.notifier.adapters.email_log import Email
from services.notifier.adapters.rendering import Renderer, build_message, day_facts
from services.notifier.adapters.smtp import SmtpConnection
from services.notifier.domain.emails import (
    AGENDA_TEMPLATES,
    EmailStatus,
    SendError,
    Template,
    message_id_of,
)
from services.notifier.metrics import EMAIL_SEND_SECONDS, EMAILS
from services.notifier.service_layer.intake import edition_of
from services.notifier.service_layer.sending import (
    Outcome,
    RetryPolicy,
    mark_sending,
    mark_sent,
    record_failure,
    skip,
)
from shared.bus.outbox import Outbox
from shared.db import transaction
from shared.events import RegistrationStatus, utc_now

log = logging.getLogger(__name__)

SURVEY_TEMPLATES = frozenset({Template.SURVEY_INVITATION, Template.SURVEY_REMINDER})


@dataclass
class Sender:
    factory: sessionmaker[Session]
    outbox: Outbox
    renderer: Renderer
    registration: Registration
    scheduler: Scheduler
    surveys: Surveys
    smtp: SmtpConnection
    mail_from: str
    message_id_domain: str
    retry: RetryPolicy
    agenda_days_before: int = 7

    def send(self, email_id: int) -> Outcome:
        with self.factory() as session:
            row = email_log.get(session, email_id)
        if row is None or row.status != EmailStatus.PENDING or row.due_at > utc_now():
            return Outcome.NOTHING
        template = Template(row.template)
        started = time.perf_counter()
        try:
            outcome = self._send(row, template)
        except SendError as error:
            outcome = self._record_failure(row, error)
        except Exception as exc:
            # A bug or an outage of our own (template, database): retried, then failed, rather
            # than left to loop. Only before `sending`: after it, the beat's recovery applies.
            log.exception("email %s (%s): unexpected %s", row.id, row.template, type(exc).__name__)
            unexpected = SendError(f"erreur interne : {type(exc).__name__}", permanent=False)
            outcome = self._record_failure(row, unexpected, before_sending_only=True)
        if outcome is not Outcome.NOTHING:
            EMAILS.labels(template, outcome).inc()
        if outcome is Outcome.SENT:
            EMAIL_SEND_SECONDS.labels(template).observe(time.perf_counter() - started)
        return outcome

    # -- the steps ------------------------------------------------------------------------
    def _send(self, row: Email, template: Template) -> Outcome:
        contact = self.registration.contact(row.participant_id)
        if contact is None:
            return self._skip(row, "participant inconnu ou effacé")
        if contact.status == RegistrationStatus.CANCELLED and template != Template.CANCELLATION:
            return self._skip(row, "inscription annulée")
        with self.factory() as session:
            edition = edition_of(session, row.edition_id)
        context: dict[str, Any] = {
            "person": contact,
            "day": day_facts(edition, self.renderer.brand, self.agenda_days_before),
            "about": json.loads(row.context or "{}"),
            "tag_labels": {t.code: t.label for t in edition.tags} if edition else {},
            "session_titles": {x.session_id: x.title for x in edition.sessions} if edition else {},
        }
        attachments: list[tuple[str, str, str]] = []
        if template in AGENDA_TEMPLATES:
            agenda = self.scheduler.agenda(row.participant_id)
            if template == Template.AGENDA_CHANGE and agenda is None:
                # Every meeting of theirs was released: that is the change to tell.
                agenda = Agenda(participant_id=row.participant_id, agenda_url="", ics="")
            if agenda is None or (not agenda.items and template != Template.AGENDA_CHANGE):
                return self._skip(row, "aucun rendez-vous")
            context["agenda"] = self._with_meetings(agenda)
            if edition is None and agenda.items:
                first = dt.datetime.fromisoformat(agenda.items[0].start)
                context["day"] = day_facts(
                    None, self.renderer.brand, self.agenda_days_before, first
                )
            if agenda.ics:
                attachments.append(("agenda.ics", "text/calendar", agenda.ics))
        if template in SURVEY_TEMPLATES:
            invitation_id = json.loads(row.context).get("invitation_id")
            invitation = self.surveys.invitation(invitation_id) if invitation_id else None
            if invitation is None:
                return self._skip(row, "invitation inconnue ou participant effacé")
            if not invitation.open or not invitation.link:
                return self._skip(row, "questionnaire clos")
            if template == Template.SURVEY_REMINDER and invitation.answered:
                return self._skip(row, "questionnaire déjà rempli")
            # The link is a credential: in the message only, never in the log.
            context["survey"] = {
                "url": invitation.link,
                "title": invitation.survey_title,
                "closes_at": invitation.closes_at,
                "kind": json.loads(row.context).get("kind", ""),
            }
        rendered = self.renderer.render(template, context)
        message = build_message(
            sender=self.mail_from,
            to_name=_full_name(contact),
            to_email=contact.email,
            rendered=rendered,
            message_id=message_id_of(
                row.cause_id, template, row.participant_id, self.message_id_domain
            ),
            attachments=attachments,
        )
        self.smtp.open(message.sender, message.recipient, message.smtputf8)
        with transaction(self.factory) as session:
            claimed = mark_sending(session, row.id)
        if not claimed:
            self.smtp.abandon()  # another worker took it in the meantime
            return Outcome.NOTHING
        self.smtp.deliver(message.data)
        with transaction(self.factory) as session:
            mark_sent(session, self.outbox, row)
        return Outcome.SENT

    def _with_meetings(self, agenda: Agenda) -> Agenda:
        """Each meeting with the other person's name and organisation, asked of registration
        now (never stored); a person erased since keeps only what the scheduler knew."""
        meetings = []
        for item in agenda.items:
            if item.kind != "rendez-vous":
                continue
            other = self.registration.contact(item.counterpart_id) if item.counterpart_id else None
            meetings.append(
                Meeting(
                    start=item.start,
                    end=item.end,
                    table=item.table,
                    name=_full_name(other) if other else "",
                    organisation=(other.organisation if other else "")
                    or item.counterpart_organisation,
                    topics=item.topics,
                )
            )
        return replace(agenda, meetings=meetings)

    def _skip(self, row: Email, reason: str) -> Outcome:
        with transaction(self.factory) as session:
            return skip(session, row, reason)

    def _record_failure(
        self, row: Email, error: SendError, *, before_sending_only: bool = False
    ) -> Outcome:
        with transaction(self.factory) as session:
            outcome = record_failure(
                session,
                self.outbox,
                row,
                error,
                self.retry,
                before_sending_only=before_sending_only,
            )
        if outcome is not Outcome.NOTHING:  # logged once committed
            log.warning(
                "email %s (%s): %s%s",
                row.id,
                row.template,
                error.reason,
                " – abandon" if outcome is Outcome.FAILED else "",
            )
        return outcome


def _full_name(contact: Contact) -> str:
    return f"{contact.first_name} {contact.last_name}".strip()
