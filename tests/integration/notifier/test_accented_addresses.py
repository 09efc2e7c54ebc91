"""Accented addresses through a real SMTP server (aiosmtpd), with and without SMTPUTF8: the
domain always travels as IDNA; an accented mailbox is sent with SMTPUTF8 when the server offers
it, otherwise it fails for good with a French reason the operator reads in the email log."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from services.notifier.adapters.smtp import NO_SMTPUTF8
from services.notifier.entrypoints.http import create_app
from services.notifier.service_layer.sending import Outcome
from tests.integration.notifier.conftest import deliver, registered, rows
from tests.support.notifier import TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _send_to(notifier, sender, directory, email: str, first_name: str = "Hélène"):
    pid = directory.person(email=email, first_name=first_name, last_name="Lefèvre")
    deliver(notifier, registered(pid))
    [row] = rows(notifier, participant_id=pid)
    return pid, sender.send(row.id)


@pytest.mark.parametrize("smtp", [True], indirect=True, ids=["smtputf8"])
def test_an_accented_mailbox_is_sent_with_smtputf8_when_offered(notifier, sender, smtp, directory):
    pid, outcome = _send_to(notifier, sender, directory, "hélène@exemple.fr")
    assert outcome is Outcome.SENT
    [envelope] = smtp.handler.envelopes
    assert envelope.smtp_utf8 and envelope.rcpt_tos == ["hélène@exemple.fr"]
    [raw] = smtp.handler.raw
    assert b"To: =?utf-8?" in raw and "<hélène@exemple.fr>".encode() in raw
    [message] = smtp.messages
    assert "Hélène Lefèvre" in str(message["To"]) and "confirm" in str(message["Subject"])
    [row] = rows(notifier, participant_id=pid)
    assert row.status == "sent" and row.attempts == 1
    # Another message on the same kept connection, to a plain address, without the option.
    _, outcome = _send_to(notifier, sender, directory, "paul@exémple.fr", "Paul")
    assert outcome is Outcome.SENT
    assert smtp.handler.envelopes[1].rcpt_tos == ["paul@xn--exmple-cva.fr"]
    assert not smtp.handler.envelopes[1].smtp_utf8


@pytest.mark.parametrize("smtp", [False], indirect=True, ids=["no-smtputf8"])
def test_without_smtputf8_an_accented_mailbox_fails_for_good_in_the_log(
    notifier, sender, smtp, directory
):
    _, outcome = _send_to(notifier, sender, directory, "paul@exémple.fr", "Paul")
    assert outcome is Outcome.SENT  # the domain alone never needs SMTPUTF8
    pid, outcome = _send_to(notifier, sender, directory, "hélène@exemple.fr")
    assert outcome is Outcome.FAILED
    [row] = rows(notifier, participant_id=pid)
    assert row.status == "failed" and row.attempts == 1 and row.reason == NO_SMTPUTF8
    assert sender.send(row.id) is Outcome.NOTHING  # never tried again by itself
    assert [e.rcpt_tos for e in smtp.handler.envelopes] == [["paul@xn--exmple-cva.fr"]]
    page = TestClient(create_app(notifier)).get(
        "/admin/emails", params={"participant_id": pid}, headers=AUTH
    )
    assert page.status_code == 200 and '<html lang="fr">' in page.text
    assert "échec" in page.text
    assert "ne prend pas en charge les caractères accentués avant @ (SMTPUTF8)" in page.text
