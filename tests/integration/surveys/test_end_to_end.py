"""SessionClosed on the real Redis stream -> invitation email over real SMTP -> answer through
the emailed link over real HTTP -> the report counts it.

A small test sender stands in for the notifier: it reads SurveyInvitationRequested from the
stream with its own consumer group, asks the surveys service for the link, and emails it.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
import smtplib
import threading
import time
import uuid
from collections.abc import Iterator
from email.message import EmailMessage

import httpx
import pytest
import redis
import uvicorn
from aiosmtpd.controller import Controller
from sqlalchemy import select

from services.surveys.adapters.db import participants
from services.surveys.bootstrap import bootstrap
from services.surveys.entrypoints.http import create_app
from services.surveys.settings import SurveysSettings
from shared.bus.broker import DATA_FIELD, entry_fields
from shared.events import (
    ClosedSessionKind,
    Event,
    ParticipantCheckedIn,
    ParticipantRegistered,
    RegistrationStatus,
    Role,
    SessionClosed,
    SurveyAnswered,
    SurveyInvitationRequested,
    utc_now,
)
from shared.migrations import upgrade
from shared.web.auth import ADMIN_COOKIE
from tests.support.servers import free_port, wait_until
from tests.support.surveys import EDITION, PACKAGE
from tests.support.web import admin_cookie, csrf_of


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 OK"


class InvitationSender:
    """What the notifier does with SurveyInvitationRequested, reduced to the contract."""

    def __init__(self, redis_url: str, prefix: str, surveys_url: str, token: str, smtp_port: int):
        self.client = redis.Redis.from_url(redis_url)
        self.stream = SurveyInvitationRequested.stream(prefix)
        self.surveys_url = surveys_url
        self.token = token
        self.smtp_port = smtp_port
        self.stop = threading.Event()
        self.client.xgroup_create(self.stream, "test-notifier", id="0", mkstream=True)
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        while not self.stop.is_set():
            batches = self.client.xreadgroup(
                "test-notifier", "sender-1", {self.stream: ">"}, count=10, block=200
            )
            for _stream, entries in batches or []:
                for entry_id, fields in entries:
                    event = SurveyInvitationRequested.model_validate_json(
                        fields[DATA_FIELD.encode()]
                    )
                    self.send(event)
                    self.client.xack(self.stream, "test-notifier", entry_id)

    def send(self, event: SurveyInvitationRequested) -> None:
        response = httpx.post(
            f"{self.surveys_url}/internal/invitations/{event.invitation_id}/link",
            headers={"Authorization": f"Bearer {self.token}"},
        )
        response.raise_for_status()
        data = response.json()
        if not data["link"] or (event.reminder and data["answered"]):
            return
        message = EmailMessage()
        message["From"] = "rencontres@pes21.example"
        # The real notifier gets the address from registration's internal API.
        message["To"] = f"{data['participant_id']}@participants.example"
        message["Subject"] = data["survey_title"]
        message.set_content(
            f"Bonjour,\n\nMerci de nous donner votre avis : {data['link']}\n"
            f"(jusqu'au {data['closes_at']})\n"
        )
        with smtplib.SMTP("127.0.0.1", self.smtp_port) as smtp:
            smtp.send_message(message)


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def service(database_url, redis_url, bus_prefix) -> Iterator[tuple[SurveysSettings, str]]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = SurveysSettings(
        database_url=database_url,
        redis_url=redis_url,
        bus_prefix=bus_prefix,
        surveys_public_url=url,
        relay_interval_s=0.05,
        reclaim_idle_ms=1000,
        reclaim_interval_s=0.5,
        due_interval_s=0.5,
        environment="test",
    )
    upgrade(PACKAGE, database_url)
    kit = bootstrap(settings).kit
    server = uvicorn.Server(
        uvicorn.Config(create_app(kit), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, what="the surveys service to start")
    yield settings, url
    server.should_exit = True
    thread.join(timeout=10)
    kit.engine.dispose()


def publish(client: redis.Redis, prefix: str, *events: Event) -> None:
    """As another service's outbox relay would."""
    for event in events:
        client.xadd(event.stream(prefix), entry_fields(event.event_type, event.model_dump_json()))


def test_session_closed_to_email_to_answer_to_report(service, smtp, redis_url, bus_prefix):
    settings, url = service
    inbox, smtp_port = smtp
    sender = InvitationSender(
        redis_url, bus_prefix, url, settings.service_token.get_secret_value(), smtp_port
    )
    sender.thread.start()
    client = redis.Redis.from_url(redis_url)
    try:
        people = [uuid.uuid4(), uuid.uuid4()]
        for pid, role, form in zip(
            people, (Role.HOLDER, Role.EXPERT), ("association", "banque"), strict=True
        ):
            publish(
                client,
                bus_prefix,
                ParticipantRegistered(
                    edition_id=EDITION,
                    participant_id=pid,
                    role=role,
                    revision=1,
                    status=RegistrationStatus.REGISTERED,
                    legal_form=form,
                    commune_code="21231",
                ),
                ParticipantCheckedIn(
                    edition_id=EDITION, participant_id=pid, role=role, legal_form=form
                ),
            )
        from services.surveys.bootstrap import bootstrap as _b  # noqa: F401 - same settings below
        from shared.db import make_engine

        engine = make_engine(settings.database_url)

        def checked_in() -> bool:
            with engine.connect() as conn:
                rows = conn.execute(select(participants.c.checked_in)).scalars().all()
            return len(rows) == 2 and all(rows)

        wait_until(checked_in, timeout=15, what="check-ins to reach the surveys service")
        publish(
            client,
            bus_prefix,
            SessionClosed(
                edition_id=EDITION,
                session_id="journee",
                kind=ClosedSessionKind.DAY,
                closed_at=utc_now() - dt.timedelta(minutes=1),
            ),
        )
        wait_until(lambda: len(inbox.messages) == 2, timeout=20, what="two invitation emails")
        engine.dispose()
        subjects = {m["Subject"] for m in inbox.messages}
        assert subjects == {"Votre avis sur la journée des Rencontres du financement de l'ESS"}
        received = next(m for m in inbox.messages if m["To"].startswith(str(people[0])))
        link = re.search(r"http://\S+/q/[A-Za-z0-9_-]+", received.get_content()).group(0)

        with httpx.Client() as browser:
            page = browser.get(link)
            assert page.status_code == 200 and "Organisation de la journée" in page.text
            done = browser.post(
                link,
                data={
                    "csrf_token": csrf_of(page.text),
                    "organisation": "4",
                    "qualite_rdv": "5",
                    "reviendrait": "oui",
                    "recommandation": "9",
                    "commentaires": "Parfait",
                },
            )
            assert done.status_code == 200 and "Merci" in done.text

        answered_stream = SurveyAnswered.stream(bus_prefix)

        def answered() -> list:
            return client.xrange(answered_stream)

        (entry,) = wait_until(answered, timeout=10, what="SurveyAnswered on its stream")
        event = SurveyAnswered.model_validate_json(entry[1][DATA_FIELD.encode()])
        assert event.participant_id == people[0]
        assert event.scores == {"organisation": 4, "qualite_rdv": 5, "recommandation": 9}

        cookies = {ADMIN_COOKIE: admin_cookie(settings)}
        report = httpx.get(f"{url}/admin/editions/{EDITION}/report", cookies=cookies).text
        row = re.search(r"<tr><td>Journée \(évaluation à chaud\).*?</tr>", report, re.S).group(0)
        cells = re.findall(r'<td class="num">([^<]*)</td>', row)
        assert cells == ["—", "2", "1", "50,0 %", "4,50", "100"]
        assert "Satisfaction globale : <strong>4,50 / 5</strong>" in report
    finally:
        sender.stop.set()
        sender.thread.join(timeout=5)
        client.close()
        sender.client.close()
        time.sleep(0)
