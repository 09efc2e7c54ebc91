"""Each email, from the event that causes it to the message received by a real SMTP server."""

from __future__ import annotations

import datetime as dt
import uuid

import icalendar
from sqlalchemy import update

from services.notifier.adapters import email_log
from services.notifier.adapters.db import emails
from services.notifier.service_layer.sending import Outcome
from shared.events import (
    ParticipantCancelled,
    ParticipantErased,
    ParticipantLinkRequested,
    ParticipantUpdated,
    RegistrationStatus,
    Role,
    SlotReleased,
)
from tests.integration.notifier.conftest import (
    EDITION,
    ICS,
    agenda_items,
    deliver,
    published,
    registered,
    rows,
    slot,
)


def send_all(notifier, sender) -> list[Outcome]:
    return [sender.send(row.id) for row in rows(notifier, status="pending")]


def body(message, subtype: str = "plain") -> str:
    return message.get_body(preferencelist=(subtype,)).get_content()


def test_holder_confirmation(notifier, sender, smtp, directory):
    pid = directory.person(first_name="Camille", last_name="Martin")
    deliver(notifier, registered(pid))
    assert send_all(notifier, sender) == [Outcome.SENT]
    [message] = smtp.messages
    assert message["To"].addresses[0].addr_spec == directory.participants[pid]["email"]
    assert "Inscription confirmée" in message["Subject"]
    text = body(message)
    assert "Bonjour Camille Martin" in text
    assert "porteur de projet" in text
    assert "Les Jardins de Cocagne" in text
    assert "porteur de projet" in body(message, "html")
    assert message["Message-ID"].endswith("@pes21.example>")
    [row] = rows(notifier)
    assert row.status == "sent" and row.attempts == 1 and row.template == "inscription-porteur"


def test_expert_confirmation(notifier, sender, smtp, directory):
    pid = directory.person(role="expert", organisation="France Active Bourgogne")
    deliver(notifier, registered(pid, role=Role.EXPERT))
    send_all(notifier, sender)
    [message] = smtp.messages
    assert "Participation confirmée comme expert" in message["Subject"]
    assert "comme expert pour France Active Bourgogne" in body(message)


def test_waiting_list_then_promotion(notifier, sender, smtp, directory):
    pid = directory.person()
    deliver(notifier, registered(pid, status=RegistrationStatus.WAITING_LIST))
    send_all(notifier, sender)
    promoted = ParticipantUpdated(
        edition_id=EDITION,
        participant_id=uuid.UUID(pid),
        role=Role.HOLDER,
        revision=2,
        status=RegistrationStatus.REGISTERED,
        legal_form="association",
    )
    deliver(notifier, promoted)
    send_all(notifier, sender)
    waiting, promotion = smtp.messages
    assert "Liste d'attente" in waiting["Subject"]
    assert "liste d'attente" in body(waiting)
    assert "Une place s'est libérée" in promotion["Subject"]
    assert "désormais confirmée" in body(promotion)
    # another update of a registered person is no promotion
    deliver(notifier, promoted.model_copy(update={"event_id": uuid.uuid4(), "revision": 3}))
    assert len(rows(notifier)) == 2


def test_cancellation_withdraws_what_is_waiting(notifier, sender, smtp, directory):
    holder, expert = directory.person(), directory.person(role="expert")
    deliver(notifier, slot(holder, expert, 9))
    deliver(notifier, published())
    assert {r.template for r in rows(notifier, participant_id=holder)} == {"agenda", "rappel"}
    directory.participants[holder]["status"] = "annule"
    deliver(
        notifier,
        ParticipantCancelled(
            edition_id=EDITION, participant_id=uuid.UUID(holder), role=Role.HOLDER
        ),
    )
    statuses = {r.template: r.status for r in rows(notifier, participant_id=holder)}
    assert statuses == {"agenda": "cancelled", "rappel": "cancelled", "annulation": "pending"}
    send_all(notifier, sender)
    cancellation = [m for m in smtp.messages if "annulée" in m["Subject"]]
    assert len(cancellation) == 1
    assert "est annulée" in body(cancellation[0])


def test_agenda_with_ics_and_reminder(notifier, sender, smtp, directory):
    holder, expert = directory.person(), directory.person(role="expert")
    directory.agenda(holder, agenda_items(10), ics=ICS)
    deliver(notifier, slot(holder, expert, 9))
    deliver(notifier, published())
    send_all(notifier, sender)
    [message] = [m for m in smtp.messages if m["To"].addresses[0].addr_spec.startswith(holder[:8])]
    assert (
        message["Subject"]
        == "Votre agenda du jeudi 21 novembre 2030 : Rencontres du financement de l'ESS"
    )
    text = body(message)
    assert "10 h 00 – 10 h 30" in text
    assert "Fondation Crédit Coopératif" in text
    assert "jeudi 21 novembre 2030" in text
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "agenda.ics"
    calendar = icalendar.Calendar.from_ical(attachment.get_content())
    [vevent] = calendar.walk("VEVENT")
    assert "Fondation Crédit Coopératif" in str(vevent["SUMMARY"])
    # the expert has no agenda at the scheduler's (404): nothing is sent to them
    assert rows(notifier, participant_id=expert, template="agenda")[0].status == "skipped"
    # the reminder waits for the day before at 9:00 Paris
    [reminder] = rows(notifier, participant_id=holder, template="rappel")
    assert reminder.status == "pending"
    assert reminder.due_at.isoformat() == "2030-11-20T08:00:00+00:00"
    with notifier.kit.engine.begin() as conn:
        conn.execute(
            update(emails).where(emails.c.id == reminder.id).values(due_at=reminder.created_at)
        )
    assert sender.send(reminder.id) is Outcome.SENT
    last = smtp.messages[-1]
    assert "C'est demain" in last["Subject"]
    assert "Nous vous attendons demain, jeudi 21 novembre 2030" in body(last)


def test_erased_participant_gets_nothing(notifier, sender, smtp, directory):
    pid = directory.person()
    deliver(notifier, registered(pid))
    deliver(
        notifier,
        ParticipantErased(edition_id=EDITION, participant_id=uuid.UUID(pid), role=Role.HOLDER),
    )
    assert rows(notifier)[0].status == "cancelled"
    assert send_all(notifier, sender) == []
    # erased at registration's before the notifier heard of it: 404, nothing sent
    other = directory.person()
    deliver(notifier, registered(other))
    del directory.participants[other]
    assert send_all(notifier, sender) == [Outcome.SKIPPED]
    assert smtp.messages == []


def test_crlf_in_a_name_never_adds_a_header(notifier, sender, smtp, directory):
    pid = directory.person(
        first_name="Eve\r\nBcc: victim@exemple.org", last_name="X\nX-Injected: 1"
    )
    deliver(notifier, registered(pid))
    assert send_all(notifier, sender) == [Outcome.SENT]
    [raw] = smtp.handler.raw
    headers = raw.split(b"\r\n\r\n", 1)[0]
    assert b"\nBcc:" not in headers and b"\nX-Injected" not in headers
    [message] = smtp.messages
    assert message["Bcc"] is None and message["X-Injected"] is None
    assert message["To"].addresses[0].addr_spec == directory.participants[pid]["email"]


def test_crlf_in_an_address_is_refused_permanently(notifier, sender, smtp, directory):
    pid = directory.person(email="a@exemple.org\r\nBcc: victim@exemple.org")
    deliver(notifier, registered(pid))
    assert send_all(notifier, sender) == [Outcome.FAILED]
    assert smtp.messages == []
    assert rows(notifier)[0].reason == "adresse email absente ou invalide"


def test_registration_read_after_its_promotion_sends_one_confirmation(notifier, directory):
    pid = directory.person()
    waiting = registered(pid, status=RegistrationStatus.WAITING_LIST)
    promoted = ParticipantUpdated(
        edition_id=EDITION,
        participant_id=uuid.UUID(pid),
        role=Role.HOLDER,
        revision=2,
        status=RegistrationStatus.REGISTERED,
        legal_form="association",
    )
    deliver(notifier, promoted)  # streams are not ordered with each other
    deliver(notifier, waiting)
    assert [r.template for r in rows(notifier)] == ["inscription-porteur"]


def test_a_sent_row_is_never_sent_again(notifier, sender, smtp, directory):
    deliver(notifier, registered(directory.person()))
    [row] = rows(notifier)
    assert sender.send(row.id) is Outcome.SENT
    assert sender.send(row.id) is Outcome.NOTHING  # the task redelivered
    assert len(smtp.messages) == 1


def test_the_remaining_window_resends_with_the_same_message_id(notifier, sender, smtp, directory):
    """Accepted by SMTP, then the worker died before committing `sent`: sent again, same id."""
    deliver(notifier, registered(directory.person()))
    [row] = rows(notifier)
    assert sender.send(row.id) is Outcome.SENT
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    with notifier.kit.engine.begin() as conn:  # as if `sent` had never been committed
        conn.execute(
            update(emails)
            .where(emails.c.id == row.id)
            .values(status="sending", sending_at=long_ago)
        )
    assert email_log.claim_due(
        notifier.kit.engine, claim_stale_s=900, sending_stale_s=600, limit=10
    ) == [row.id]
    assert sender.send(row.id) is Outcome.SENT
    first, second = smtp.messages
    assert first["Message-ID"] == second["Message-ID"]


def test_a_change_that_removes_every_meeting_is_told(notifier, sender, smtp, directory):
    holder, expert = directory.person(), directory.person(role="expert")
    assigned = slot(holder, expert, 9)
    deliver(notifier, assigned)
    deliver(notifier, published())
    released = SlotReleased(
        **assigned.model_dump(exclude={"event_id", "event_type", "occurred_at"}), reason="manuel"
    )
    deliver(notifier, released)  # the scheduler now answers 404: no agenda at all
    [notice] = rows(notifier, participant_id=holder, template="changement")
    with notifier.kit.engine.begin() as conn:
        conn.execute(
            update(emails).where(emails.c.id == notice.id).values(due_at=notice.created_at)
        )
    assert sender.send(notice.id) is Outcome.SENT
    text = body(smtp.messages[-1])
    assert "Vos rendez-vous ont été annulés" in text
    assert not list(smtp.messages[-1].iter_attachments())


def test_an_unexpected_error_is_retried_not_lost(notifier, sender, smtp, directory, monkeypatch):
    deliver(notifier, registered(directory.person()))
    [row] = rows(notifier)

    def broken(*_args, **_kwargs):
        raise RuntimeError("template bug")

    monkeypatch.setattr(sender.renderer, "render", broken)
    assert sender.send(row.id) is Outcome.RETRY
    [row] = rows(notifier)
    assert row.status == "pending" and row.attempts == 1
    assert row.reason == "erreur interne : RuntimeError" and row.claimed_at is None


def test_already_registered_gets_their_personal_link(notifier, sender, smtp, directory):
    pid = directory.person(first_name="Camille", last_name="Martin")
    link = directory.participants[pid]["self_service_url"]
    deliver(
        notifier,
        ParticipantLinkRequested(
            edition_id=EDITION, participant_id=uuid.UUID(pid), role=Role.HOLDER
        ),
    )
    assert send_all(notifier, sender) == [Outcome.SENT]
    [message] = smtp.messages
    assert message["To"].addresses[0].addr_spec == directory.participants[pid]["email"]
    assert "déjà inscrit·e" in message["Subject"]
    text = body(message)
    assert "Vous êtes déjà inscrit·e" in text and "rien n'a été modifié" in text
    assert "voici votre lien personnel" in text.lower() and link in text
    assert f'href="{link}"' in body(message, "html")
    [row] = rows(notifier)
    assert row.template == "deja-inscrit" and row.status == "sent"
