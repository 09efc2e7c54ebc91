"""The emails `rencontres up` catches: the real catcher (aiosmtpd) is the notifier's SMTP
server, writes each message under var/mails, and the back-office shows it as received."""

from __future__ import annotations

import datetime as dt
import smtplib
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.notifier.adapters import caught
from services.notifier.domain.emails import message_id_of
from services.notifier.entrypoints.http import create_app
from services.notifier.service_layer.retention import apply_retention
from services.notifier.service_layer.sending import Outcome
from shared.events import ParticipantErased, Role
from shared.retention import run
from shared.web.auth import ADMIN_COOKIE
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
from tests.support.notifier import TOKEN
from tests.support.servers import free_port, serve
from tests.support.web import admin_cookie

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def mails(tmp_path: Path) -> Path:
    return caught.folder(tmp_path / "var")


@pytest.fixture
def catcher(mails: Path) -> Iterator[int]:
    port = free_port()
    controller = caught.start_catcher("127.0.0.1", port, mails)
    yield port
    controller.stop()


@pytest.fixture
def env(env, catcher, tmp_path):
    """The notifier sends to the catcher, and reads var/mails as `rencontres up` sets it."""
    return {**env, "SMTP_PORT": str(catcher), "VAR_DIR": str(tmp_path / "var")}


@pytest.fixture
def client(notifier):
    return TestClient(create_app(notifier))


def _mid(notifier, row) -> str:
    domain = notifier.settings.message_id_domain()
    return message_id_of(row.cause_id, row.template, row.participant_id, domain)


def test_an_agenda_is_kept_and_shown_as_received(notifier, sender, directory, client, mails):
    holder, expert = directory.person(first_name="Camille"), directory.person(role="expert")
    directory.agenda(holder, agenda_items(10), ics=ICS)
    deliver(notifier, slot(holder, expert, 9))
    deliver(notifier, published())
    [row] = rows(notifier, participant_id=holder, template="agenda")
    assert sender.send(row.id) is Outcome.SENT
    [kept] = list(mails.glob("*.eml"))
    assert kept.name.endswith(f"-{caught.key_of(_mid(notifier, row))}.eml")
    assert directory.participants[holder]["email"].encode() in kept.read_bytes()

    log = client.get("/admin/emails", params={"participant_id": holder}, headers=AUTH)
    assert f'href="/admin/emails/{row.id}/message"' in log.text and "Voir le message" in log.text
    page = client.get(f"/admin/emails/{row.id}/message", headers=AUTH)
    assert page.status_code == 200
    assert "Le message tel qu'il a été reçu" in page.text
    assert "Votre agenda du jeudi 21 novembre 2030" in page.text
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in page.text
    assert "srcdoc=" in page.text and "Version texte" in page.text
    assert "10 h 00 – 10 h 30" in page.text
    # The ICS: listed with its event, downloadable as sent.
    assert "Rendez-vous avec la Fondation Crédit Coopératif" in page.text
    assert "21/11/2030 10:00" in page.text and "Table 3" in page.text
    ics = client.get(f"/admin/emails/{row.id}/message/attachments/0", headers=AUTH)
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    assert ics.headers["content-disposition"] == 'attachment; filename="agenda.ics"'
    assert ics.content.decode() == ICS
    raw = client.get(f"/admin/emails/{row.id}/message.eml", headers=AUTH)
    assert raw.status_code == 200 and raw.content == kept.read_bytes()
    for missing in (f"/admin/emails/{row.id}/message/attachments/1", "/admin/emails/999/message"):
        answer = client.get(missing, headers={**AUTH, "Accept": "text/html"})
        assert answer.status_code == 404 and "introuvable" in answer.text.lower()


def test_without_a_copy_the_page_says_so_and_shows_the_log(notifier, directory, client, mails):
    deliver(notifier, registered(directory.person(), tags=["subvention"]))
    [row] = rows(notifier)  # pending: never sent, nothing caught
    page = client.get(f"/admin/emails/{row.id}/message", headers=AUTH)
    assert page.status_code == 200
    assert "Le message n'est pas disponible" in page.text
    assert "en attente" in page.text and "subvention" in page.text
    assert _mid(notifier, row) in page.text.replace("&lt;", "<").replace("&gt;", ">")
    assert client.get(f"/admin/emails/{row.id}/message.eml", headers=AUTH).status_code == 404
    no_session = client.get(f"/admin/emails/{row.id}/message", follow_redirects=False)
    assert no_session.status_code == 303  # to the login page


def test_no_script_of_the_message_runs(
    notifier, directory, client, catcher, chromium_browser, tmp_path
):
    """A message whose HTML carries scripts (as a hostile or broken template could): shown in
    the page, none of them runs, in the frame or in the back-office."""
    deliver(notifier, registered(directory.person()))
    [row] = rows(notifier)
    hostile = EmailMessage()
    hostile["From"], hostile["To"] = "rencontres@pes21.example", "camille@exemple.org"
    hostile["Subject"], hostile["Message-ID"] = "Bonjour", _mid(notifier, row)
    hostile.set_content("Version texte <script>alert(1)</script>")
    hostile.add_alternative(
        "<p id='hello'>Bonjour Camille</p>"
        "<script>document.body.dataset.ran = 'frame'; parent.document.body.dataset.ran = 'top'"
        "</script><img src='x' onerror=\"document.body.dataset.ran = 'onerror'\">",
        subtype="html",
    )
    with smtplib.SMTP("127.0.0.1", catcher) as smtp:
        smtp.send_message(hostile)

    with serve(create_app(notifier)) as url:
        context = chromium_browser.new_context(locale="fr-FR")
        context.add_cookies(
            [{"name": ADMIN_COOKIE, "value": admin_cookie(notifier.settings), "url": url}]
        )
        page = context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.set_viewport_size({"width": 1280, "height": 900})
        answer = page.goto(f"{url}/admin/emails/{row.id}/message")
        assert answer is not None and answer.status == 200
        frame = page.frame_locator("iframe.message")
        assert frame.locator("#hello").inner_text() == "Bonjour Camille"
        page.wait_for_timeout(300)  # what an onerror would need to run
        assert frame.locator("body").get_attribute("data-ran") is None
        assert page.locator("body").get_attribute("data-ran") is None
        assert "Version texte <script>alert(1)</script>" in page.locator("pre.message").inner_text()
        assert dialogs == []
        page.screenshot(path=str(tmp_path / "message-1280.png"), full_page=True)
        page.set_viewport_size({"width": 768, "height": 1024})
        page.screenshot(path=str(tmp_path / "message-768.png"), full_page=True)
        page.goto(f"{url}/admin/emails")
        page.get_by_role("link", name="Voir le message").first.click()
        page.wait_for_url(f"{url}/admin/emails/{row.id}/message")
        context.close()
    print(f"screenshots in {tmp_path}")


def test_erasure_and_retention_delete_the_caught_messages(notifier, sender, directory, mails):
    erased, kept = directory.person(), directory.person()
    for pid in (erased, kept):
        deliver(notifier, registered(pid))
    for row in rows(notifier):
        assert sender.send(row.id) is Outcome.SENT
    assert len(list(mails.glob("*.eml"))) == 2
    deliver(
        notifier,
        ParticipantErased(edition_id=EDITION, participant_id=uuid.UUID(erased), role=Role.HOLDER),
    )
    [left] = list(mails.glob("*.eml"))
    assert directory.participants[kept]["email"].encode() in left.read_bytes()
    assert directory.participants[erased]["email"].encode() not in left.read_bytes()

    old = caught.keep(mails, left.read_bytes(), dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    assert run(notifier.kit, apply_retention, dry_run=True)[1].caught_messages == 1
    assert old.exists()
    assert run(notifier.kit, apply_retention)[1].caught_messages == 1
    assert not old.exists() and left.exists()


def test_the_catcher_keeps_what_it_receives_in_time_order(catcher, mails):
    for n in range(3):
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = (
            "a@exemple.org",
            "b@exemple.org",
            f"n° {n}",
        )
        message.set_content("é" * n)
        with smtplib.SMTP("127.0.0.1", catcher) as smtp:
            smtp.send_message(message)  # no Message-ID: kept all the same
    names = sorted(p.name for p in mails.glob("*.eml"))
    subjects = [caught.read(mails / name).subject for name in names]
    assert subjects == ["n° 0", "n° 1", "n° 2"]
    assert not list(mails.glob(".*"))  # no partial file left
    # The port is held: a second catcher there is refused, the first goes on.
    with pytest.raises(OSError):
        caught.start_catcher("127.0.0.1", catcher, mails)


def test_up_catches_only_a_local_plain_address_where_nothing_listens(tmp_path, capsys):
    from rencontres.up import ensure_mail_catcher
    from services.notifier.settings import NotifierSettings

    port = free_port()
    settings = NotifierSettings(smtp_host="127.0.0.1", smtp_port=port)
    for other in (
        {"smtp_starttls": True},
        {"smtp_user": "relais"},
        {"smtp_host": "smtp.exemple.org"},
        {"environment": "production", "secret_key": "x" * 40, "service_token": "y" * 40},
    ):
        assert ensure_mail_catcher(settings.model_copy(update=other), tmp_path) is None
    assert capsys.readouterr().out == ""

    controller = ensure_mail_catcher(settings, tmp_path)
    assert controller is not None
    try:
        line = capsys.readouterr().out
        assert f"Serveur SMTP local démarré sur 127.0.0.1:{port}" in line
        assert f"gardé dans {tmp_path / 'mails'}" in line
        # Something answers there now (Mailpit, another run's catcher): it is used as it is.
        assert ensure_mail_catcher(settings, tmp_path / "autre") is None
        assert not (tmp_path / "autre").exists()
    finally:
        controller.stop()
