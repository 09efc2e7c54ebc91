"""Every email as its recipient reads it, for a realistic edition: Dijon, jeudi 19 novembre 2026,
a holder meeting France Active Bourgogne's expert Marie Dupont.

Each message goes the whole way (event, read models, internal APIs over HTTP, rendering, SMTP)
and is checked for the facts a reader needs. Set EMAILS_DIR to keep the messages as files
(`<template>.txt`, `.html`, `.ics`) to read them or take screenshots.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest

from services.notifier.adapters import email_log
from services.notifier.domain.emails import Template
from services.scheduler.adapters.documents import agenda_ics
from services.scheduler.service_layer.agenda import Agenda, AgendaItem
from shared.edition import EditionSettings
from shared.events import (
    Audience,
    EditionUpdated,
    MessageRequested,
    ParticipantCancelled,
    ParticipantUpdated,
    RegistrationStatus,
    Role,
    SurveyInvitationRequested,
)
from shared.events.surveys import SurveyKind
from tests.integration.notifier.conftest import EDITION, deliver, registered, rows

PARIS = ZoneInfo("Europe/Paris")
DIJON = EditionSettings(edition_id=EDITION, date=dt.date(2026, 11, 19))
VENUE = "PES 21, 12 avenue Gustave Eiffel, 21000 Dijon"
DATE = "jeudi 19 novembre 2026"
CONTACT = "contact@pes21.fr"


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, 19, hour, minute, tzinfo=PARIS)


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def keep(name: str, message: EmailMessage) -> None:
    folder = os.environ.get("EMAILS_DIR")
    if not folder:
        return
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    text, html = parts(message)
    (out / f"{name}.txt").write_text(f"Objet : {message['Subject']}\n\n{text}", encoding="utf-8")
    (out / f"{name}.html").write_text(html, encoding="utf-8")
    for part in message.iter_attachments():
        (out / f"{name}.ics").write_text(part.get_content(), encoding="utf-8")


@pytest.fixture
def day(notifier, directory):
    """The edition as the scheduler publishes it, a holder, an expert, and their agendas."""
    deliver(notifier, EditionUpdated(edition_id=EDITION, settings=DIJON))
    holder = directory.person(
        first_name="Camille", last_name="Martin", organisation="Les Jardins de Cocagne"
    )
    expert = directory.person(
        role="expert",
        first_name="Marie",
        last_name="Dupont",
        organisation="France Active Bourgogne",
    )
    for pid, role, other in ((holder, Role.HOLDER, expert), (expert, Role.EXPERT, holder)):
        title = "Rendez-vous avec " + directory.participants[other]["organisation"]
        items = (
            AgendaItem(
                "rendez-vous",
                at(10),
                at(10, 30),
                title,
                table="T05",
                counterpart_id=other,
                counterpart_organisation=directory.participants[other]["organisation"],
                detail="Besoins : Financement de projet, Mécénat",
            ),
            AgendaItem(
                "conference", at(11), at(12), "Conférence-débat du matin", detail="Mécénat et RSE"
            ),
        )
        ics = agenda_ics(Agenda(pid, role, DIJON, items), at(9))
        # What the scheduler's internal API answers (services/scheduler/entrypoints/internal.py).
        directory.agenda(
            pid,
            [
                {
                    "kind": i.kind,
                    "start": i.start.isoformat(),
                    "end": i.end.isoformat(),
                    "title": i.title,
                    "table": i.table,
                    "counterpart_organisation": i.counterpart_organisation,
                    "counterpart_id": i.counterpart_id,
                    "topics": ["Financement de projet", "Mécénat"]
                    if i.kind == "rendez-vous"
                    else [i.detail],
                }
                for i in items
            ],
            ics,
        )
    return holder, expert


def send(notifier, sender, smtp, **where) -> EmailMessage:
    before = len(smtp.messages)
    for row in rows(notifier, status="pending", **where):
        sender.send(row.id)
    [message] = smtp.messages[before:]
    return message


def owe(notifier, template: Template, pid: str, context: dict | None = None) -> None:
    """A row as the intake writes it, due now (the reminder's own date is in the past here)."""
    with notifier.kit.factory() as session, session.begin():
        email_log.add_email(
            session,
            cause_id=uuid.uuid4(),
            template=template,
            participant_id=pid,
            edition_id=EDITION,
            context=context,
        )


def every_email_states_the_day(text: str, html: str) -> None:
    for body in (text, html):
        assert DATE in body
        assert VENUE in body
        assert CONTACT in body


def test_every_email_reads_right(notifier, sender, smtp, directory, day):
    holder, expert = day
    sent: dict[str, EmailMessage] = {}

    # Confirmations: what was received, what happens next and when, how to change.
    deliver(
        notifier,
        registered(
            holder,
            tags=["financement-projet", "mecenat"],
            sessions=["conference-matin"],
            lunch=True,
        ),
    )
    sent["inscription-porteur"] = send(notifier, sender, smtp, participant_id=holder)
    deliver(notifier, registered(expert, role=Role.EXPERT, tags=["financement-projet"]))
    sent["inscription-expert"] = send(notifier, sender, smtp, participant_id=expert)
    for name, who in (("inscription-porteur", holder), ("inscription-expert", expert)):
        text, html = parts(sent[name])
        assert DATE in sent[name]["Subject"]
        assert "au plus tard le jeudi 12 novembre 2026" in text
        assert "de 10 h 00 à 18 h 00" in text
        link = directory.participants[who]["self_service_url"]
        assert text.count(link) == 1 and link in html
        assert "Financement de projet" in text
    assert "Mécénat" in parts(sent["inscription-porteur"])[0]
    assert "Conférence-débat du matin" in parts(sent["inscription-porteur"])[0]
    assert "comme expert pour France Active Bourgogne" in parts(sent["inscription-expert"])[0]

    # Waiting list, then the place that opened.
    waiting = directory.person(
        first_name="Léa", last_name="Bernard", organisation="Épicerie Solidaire"
    )
    deliver(notifier, registered(waiting, status=RegistrationStatus.WAITING_LIST))
    sent["liste-attente"] = send(notifier, sender, smtp, participant_id=waiting)
    promoted = ParticipantUpdated(
        edition_id=EDITION,
        participant_id=uuid.UUID(waiting),
        role=Role.HOLDER,
        revision=2,
        status=RegistrationStatus.REGISTERED,
        legal_form="association",
    )
    deliver(notifier, promoted)
    sent["promotion"] = send(notifier, sender, smtp, participant_id=waiting)
    assert "liste d'attente" in parts(sent["liste-attente"])[0]
    assert "au plus tard le jeudi 12 novembre 2026" in parts(sent["promotion"])[0]

    # Agenda, change, reminder: each meeting names the person and organisation once.
    for template in (Template.AGENDA, Template.AGENDA_CHANGE, Template.REMINDER):
        owe(notifier, template, holder)
        sent[str(template)] = send(notifier, sender, smtp, participant_id=holder)
    owe(notifier, Template.AGENDA, expert)
    sent["agenda-expert"] = send(notifier, sender, smtp, participant_id=expert)
    for name in ("agenda", "changement", "rappel"):
        text, html = parts(sent[name])
        assert "10 h 00 – 10 h 30, table T05 : Marie Dupont (France Active Bourgogne)" in text
        assert text.count("France Active Bourgogne") == 1
        assert html.count("France Active Bourgogne") == 1 and "Marie Dupont" in html
        assert "Sujets : Financement de projet, Mécénat" in text
        assert "Conférence-débat du matin (Mécénat et RSE)" in text
    text, _ = parts(sent["agenda-expert"])
    assert "Camille Martin (Les Jardins de Cocagne)" in text
    assert text.count("Les Jardins de Cocagne") == 1
    assert DATE in sent["agenda"]["Subject"] and "a changé" in sent["changement"]["Subject"]
    assert "C'est demain, dès 10 h 00" in sent["rappel"]["Subject"]

    # The calendar file: the meeting and the conference, at Dijon's hours, at the venue.
    [ics] = [p.get_content() for p in sent["agenda"].iter_attachments()]
    calendar = icalendar.Calendar.from_ical(ics)
    events = sorted(calendar.walk("VEVENT"), key=lambda e: e.decoded("dtstart"))
    assert [str(e["summary"]) for e in events] == [
        "Rendez-vous avec France Active Bourgogne",
        "Conférence-débat du matin",
    ]
    assert events[0].decoded("dtstart") == at(10) and events[0].decoded("dtend") == at(10, 30)
    assert str(events[0]["location"]) == f"{VENUE} – table T05"
    assert events[1].decoded("dtstart") == at(11)

    # Surveys: one subject per questionnaire, invitation and reminder.
    titles = {
        SurveyKind.CONFERENCE: "Votre avis sur la conférence : Conférence-débat du matin",
        SurveyKind.DAY: "Votre avis sur la journée des Rencontres du financement de l'ESS",
        SurveyKind.EX_POST: "Et depuis la journée ? Questionnaire de suivi",
    }
    for kind, title in titles.items():
        for reminder in (False, True):
            invitation = directory.invitation(holder)
            directory.invitations[invitation]["survey_title"] = title
            deliver(
                notifier,
                SurveyInvitationRequested(
                    edition_id=EDITION,
                    survey_id=uuid.uuid4(),
                    kind=kind,
                    invitation_id=uuid.UUID(invitation),
                    participant_id=uuid.UUID(holder),
                    reminder=reminder,
                ),
            )
            name = f"questionnaire-{'relance' if reminder else 'invitation'}-{kind}"
            sent[name] = send(notifier, sender, smtp, participant_id=holder)
            text, _ = parts(sent[name])
            assert "https://q.example/q/tok" in text
            # After the day, no "change or cancel your registration" link.
            assert directory.participants[holder]["self_service_url"] not in text
    subjects = [str(m["Subject"]) for n, m in sent.items() if n.startswith("questionnaire")]
    assert len(set(subjects)) == 6, subjects

    # Cancellation last: nothing else is sent to the person after it.
    directory.participants[holder]["status"] = "annule"
    deliver(
        notifier,
        ParticipantCancelled(
            edition_id=EDITION, participant_id=uuid.UUID(holder), role=Role.HOLDER
        ),
    )
    sent["annulation"] = send(notifier, sender, smtp, participant_id=holder)
    assert "annulée" in sent["annulation"]["Subject"]

    assert len(sent) == 15
    for name, message in sent.items():
        text, html = parts(message)
        every_email_states_the_day(text, html)
        assert "avec France Active Bourgogne avec" not in text
        assert "Bonjour " in text and "{{" not in text and "{{" not in html
        keep(name, message)


def test_the_teams_message_reads_right_and_goes_once(notifier, sender, smtp, directory, day):
    _holder, expert = day
    request = MessageRequested(
        edition_id=EDITION,
        message_id=uuid.uuid4(),
        audience=Audience.EXPERTS,
        subject="Accès et parking",
        body="Le parking ouvre à 9 h <b>côté jardin</b>.\n\nMerci de venir\navec votre badge.",
        participant_ids=[uuid.UUID(expert)],
    )
    deliver(notifier, request)
    # Sent again (a double click): a new event, the same message: nothing more to send.
    deliver(notifier, request.model_copy(update={"event_id": uuid.uuid4()}))
    assert len(rows(notifier, template=Template.MESSAGE)) == 1
    message = send(notifier, sender, smtp, template=Template.MESSAGE)
    keep("message", message)
    text, html = parts(message)
    assert message["Subject"] == "Accès et parking"
    assert text.startswith("Bonjour Marie Dupont,")
    assert "Le parking ouvre à 9 h <b>côté jardin</b>." in text
    assert "Merci de venir\navec votre badge." in text
    assert "<p>Le parking ouvre à 9 h &lt;b&gt;côté jardin&lt;/b&gt;.</p>" in html
    assert "<p>Merci de venir<br>avec votre badge.</p>" in html
    every_email_states_the_day(text, html)
