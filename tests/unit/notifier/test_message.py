"""The MIME message: what any reader decodes from the bytes handed to SMTP."""

from __future__ import annotations

import email
import email.policy

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from services.notifier.adapters.rendering import Rendered, build_message
from services.notifier.domain.emails import SendError, header_safe

ICS = "BEGIN:VCALENDAR\r\nSUMMARY:Réunion à la table 4\r\nEND:VCALENDAR\r\n"


def _build(name: str = "Élodie Martin", subject: str = "Votre agenda", **extra):
    rendered = Rendered(subject=subject, text="Bonjour Élodie,\nà bientôt.", html="<p>Bonjour</p>")
    return build_message(
        sender="PES 21 — Côte-d'Or <noreply@pes21.example>",
        to_name=name,
        to_email=extra.pop("to_email", "elodie@exemple.org"),
        rendered=rendered,
        message_id="<cle@pes21.example>",
        **extra,
    )


def _read(data: bytes) -> email.message.EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert all(not part.defects for part in message.walk())
    return message


def _without_blanks(text: str) -> str:
    return "".join(text.split())


def test_agenda_message_reads_back_with_its_attachment():
    outgoing = _build(attachments=[("agenda.ics", "text/calendar", ICS)])
    assert (outgoing.sender, outgoing.recipient) == ("noreply@pes21.example", "elodie@exemple.org")
    message = _read(outgoing.data)
    assert message.get_content_type() == "multipart/mixed"
    assert str(message["From"]) == "PES 21 — Côte-d'Or <noreply@pes21.example>"
    assert str(message["To"]) == "Élodie Martin <elodie@exemple.org>"
    assert message["Message-ID"] == "<cle@pes21.example>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_body(("plain",)).get_content() == "Bonjour Élodie,\nà bientôt."
    assert message.get_body(("html",)).get_content() == "<p>Bonjour</p>"
    [attachment] = message.iter_attachments()
    assert attachment.get_filename() == "agenda.ics"
    assert attachment.get_content_type() == "text/calendar"
    assert "Réunion à la table 4" in attachment.get_content()


def test_without_attachment_the_message_is_the_two_alternatives():
    message = _read(_build().data)
    assert message.get_content_type() == "multipart/alternative"
    assert not list(message.iter_attachments())


def test_seven_bit_lines_within_the_smtp_limit():
    data = _build(
        name="Zoë Ølsen-Ñúñez de la Peña, Association solidaire de Côte-d'Or" * 2,
        subject="Votre agenda — " * 16,
        attachments=[("agenda.ics", "text/calendar", ICS)],
    ).data
    assert data.isascii()
    assert all(len(line) <= 78 for line in data.split(b"\r\n"))
    assert b"\n" not in data.replace(b"\r\n", b"")


@settings(max_examples=200)
@given(name=st.text(max_size=120), subject=st.text(max_size=250))
@example(name="0 \xa00", subject="")  # a no-break space next to a space, read back as one
def test_any_name_and_subject_read_back_on_one_header_each(name, subject):
    name, subject = header_safe(name), header_safe(subject, limit=250)
    message = _read(_build(name=name, subject=subject).data)
    # RFC 2047 readers join the encoded words of a long name; Python's parser puts a space
    # between them and reads a run of blanks in a name (a no-break space included) as one
    # space, hence the comparison without blanks.
    assert _without_blanks(str(message["Subject"])) == _without_blanks(subject)
    [address] = message["To"].addresses
    assert address.addr_spec == "elodie@exemple.org"
    assert _without_blanks(address.display_name) == _without_blanks(name)
    assert message["Bcc"] is None


@pytest.mark.parametrize("address", ["", "sans-arobase", "a@b.c\r\nBcc: x@y.z", "a b@c.d\n"])
def test_an_unusable_address_is_a_permanent_failure(address):
    with pytest.raises(SendError) as failure:
        _build(to_email=address)
    assert failure.value.permanent


def test_an_accented_domain_travels_as_idna() -> None:
    outgoing = _build(to_email="paul@exémple.fr")
    assert outgoing.recipient == "paul@xn--exmple-cva.fr"
    assert "paul@xn--exmple-cva.fr" in _read(outgoing.data)["To"]


def test_an_accented_mailbox_asks_for_smtputf8_and_is_written_in_utf8() -> None:
    outgoing = _build(name="Hélène Lefèvre", to_email="hélène@exémple.fr")
    assert outgoing.smtputf8 and outgoing.recipient == "hélène@xn--exmple-cva.fr"
    [to] = [line for line in outgoing.data.split(b"\r\n") if line.startswith(b"To: ")]
    assert to.endswith("<hélène@xn--exmple-cva.fr>".encode())
    read = _read(outgoing.data)
    assert read["To"].addresses[0].display_name == "Hélène Lefèvre"
    assert not _build(to_email="paul@exémple.fr").smtputf8
