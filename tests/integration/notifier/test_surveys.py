"""Survey invitations and reminders on SurveyInvitationRequested, with the link fetched at send
time from the surveys service (never stored)."""

from __future__ import annotations

import uuid

from services.notifier.service_layer.sending import Outcome
from shared.events import SurveyAnswered, SurveyInvitationRequested, SurveyKind
from tests.integration.notifier.conftest import EDITION, deliver, rows

SURVEY = uuid.uuid4()


def requested(pid: str, invitation_id: str, *, reminder: bool = False) -> SurveyInvitationRequested:
    return SurveyInvitationRequested(
        edition_id=EDITION,
        survey_id=SURVEY,
        kind=SurveyKind.DAY,
        invitation_id=uuid.UUID(invitation_id),
        participant_id=uuid.UUID(pid),
        reminder=reminder,
    )


def text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_invitation_then_reminder_to_whom_has_not_answered(notifier, sender, smtp, directory):
    pid = directory.person()
    invitation = directory.invitation(pid)
    event = requested(pid, invitation)
    deliver(notifier, event)
    deliver(notifier, event)  # delivered twice: one row
    [row] = rows(notifier)
    assert sender.send(row.id) is Outcome.SENT
    [message] = smtp.messages
    assert message["Subject"] == "Votre avis à chaud sur la journée"
    body = text(message)
    assert "Comment s'est passée la journée" in body
    assert "Répondre : https://q.example/q/tok1" in body
    assert "jusqu'au vendredi 6 décembre 2030" in body  # 23:00 UTC is the 6th in Paris
    assert "https://q.example/q/tok1" in message.get_body(preferencelist=("html",)).get_content()
    assert all("q.example" not in (r.context + (r.reason or "")) for r in rows(notifier))

    deliver(notifier, requested(pid, invitation, reminder=True))
    reminder = rows(notifier, template="questionnaire-relance")[0]
    assert sender.send(reminder.id) is Outcome.SENT
    last = smtp.messages[-1]
    assert last["Subject"].startswith("Rappel – votre avis")
    assert "https://q.example/q/tok2" in text(last)  # a fresh link at each email


def test_no_reminder_to_whom_answered_no_email_when_closed_or_unknown(
    notifier, sender, smtp, directory
):
    answered = directory.person()
    deliver(
        notifier, requested(answered, directory.invitation(answered, answered=True), reminder=True)
    )
    closed = directory.person()
    deliver(notifier, requested(closed, directory.invitation(closed, open=False)))
    erased = directory.person()
    deliver(notifier, requested(erased, str(uuid.uuid4())))  # 404 at the surveys service
    outcomes = [sender.send(r.id) for r in rows(notifier)]
    assert outcomes == [Outcome.SKIPPED] * 3
    assert [r.reason for r in rows(notifier)] == [
        "questionnaire déjà rempli",
        "questionnaire clos",
        "invitation inconnue ou participant effacé",
    ]
    assert smtp.messages == []


def test_an_answer_withdraws_the_waiting_reminder(notifier, sender, smtp, directory):
    pid = directory.person()
    deliver(notifier, requested(pid, directory.invitation(pid), reminder=True))
    deliver(
        notifier,
        SurveyAnswered(
            edition_id=EDITION,
            survey_id=SURVEY,
            kind=SurveyKind.DAY,
            response_id=uuid.uuid4(),
            participant_id=uuid.UUID(pid),
        ),
    )
    [row] = rows(notifier)
    assert row.status == "cancelled" and row.reason == "questionnaire déjà rempli"
