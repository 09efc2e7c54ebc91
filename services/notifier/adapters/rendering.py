"""Renders the French HTML and text templates and builds the MIME message.

Every header value built from data goes through `header_safe`, and `_header` refuses any CR or
LF left, so a name like "Alice\\r\\nBcc: x" can never add a header.

The message is built with the email package's compat32 classes (`email.mime`): the
`EmailMessage` API parses and refolds every header it is given, which took 7 ms of an agenda
email's ~20 ms; these take ~1 ms for the same bytes as far as a reader can tell.
"""

from __future__ import annotations

import datetime as dt
import email.policy
from collections.abc import Sequence
from dataclasses import dataclass
from email.charset import BASE64, Charset
from email.header import Header
from email.headerregistry import Address
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.utils import formataddr, formatdate, parseaddr
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services.notifier.domain.emails import SendError, header_safe
from shared.edition import EditionSettings, SessionKind
from shared.french import french_date, french_time

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"

# Lines end in CRLF as SMTP wants; header values are written as given (checked by _header).
POLICY = email.policy.compat32.clone(linesep="\r\n")
# A message to an accented mailbox (sent with SMTPUTF8): its address is written in the headers
# as raw UTF-8 (RFC 6532), which compat32 writes unchanged under an 8-bit policy.
POLICY_UTF8 = POLICY.clone(cte_type="8bit")
# Bodies in base64: 7-bit safe for any server, and encoded in C.
UTF8 = Charset("utf-8")
UTF8.body_encoding = BASE64


@dataclass(frozen=True)
class Brand:
    edition_name: str
    organiser: str
    logo_url: str
    address: str
    contact: str


@dataclass(frozen=True)
class Day:
    """The facts of the day every email states (header, body and footer)."""

    name: str  # BRAND_EDITION_NAME, written to follow « aux » / « des »
    date: str  # « jeudi 19 novembre 2026 »; empty before the scheduler has told the date
    hours: str  # « de 10 h 00 à 18 h 00 »
    first_start: str  # « 10 h 00 »: when the meetings begin
    venue: str
    contact: str
    organiser: str
    agenda_by: str  # « jeudi 12 novembre 2026 »: the agenda is sent by then; may be empty


def day_facts(
    edition: EditionSettings | None,
    brand: Brand,
    agenda_days_before: int,
    first_meeting: dt.datetime | None = None,
) -> Day:
    """The day as the scheduler last published it; until then the brand's address, and the
    date of the person's first meeting when there is one."""
    if edition is None:
        date = french_date(first_meeting, weekday=True) if first_meeting else ""
        return Day(
            brand.edition_name, date, "", "", brand.address, brand.contact, brand.organiser, ""
        )
    moments = [(w.start, w.end) for w in edition.windows] + [
        (s.start, s.end) for s in edition.sessions if s.kind is not SessionKind.DAY
    ]
    start = min(m[0] for m in moments) if moments else None
    end = max(m[1] for m in moments) if moments else None
    windows = sorted(edition.windows, key=lambda w: w.start)
    by = edition.date - dt.timedelta(days=agenda_days_before)
    return Day(
        name=brand.edition_name,
        date=french_date(edition.date, weekday=True),
        hours=f"de {french_time(start)} à {french_time(end)}" if start and end else "",
        first_start=french_time(windows[0].start) if windows else "",
        venue=edition.venue or brand.address,
        contact=brand.contact,
        organiser=brand.organiser,
        agenda_by=french_date(by, weekday=True) if agenda_days_before > 0 else "",
    )


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


class Renderer:
    def __init__(self, brand: Brand, timezone: str = "Europe/Paris") -> None:
        self.brand = brand
        self.zone = ZoneInfo(timezone)
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["heure"] = self.hour
        self.env.filters["date_longue"] = self.long_date
        # A code shown by its label (needs, sessions): `codes | map("label", labels)`.
        self.env.filters["label"] = lambda code, labels: labels.get(code, code)

    def _local(self, value: str | dt.datetime) -> dt.datetime:
        moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return moment.astimezone(self.zone)

    def hour(self, value: str | dt.datetime) -> str:
        local = self._local(value)
        return f"{local.hour} h {local.minute:02d}"

    def long_date(self, value: str | dt.datetime) -> str:
        return french_date(self._local(value).date(), weekday=True)

    def render(self, template: str, context: dict[str, Any]) -> Rendered:
        variables = {"brand": self.brand, "hide_manage_link": False, **context}
        text_template = self.env.get_template(f"{template}.txt")
        subject = "".join(text_template.blocks["subject"](text_template.new_context(variables)))
        return Rendered(
            subject=header_safe(subject, limit=250),
            text=text_template.render(variables),
            html=self.env.get_template(f"{template}.html").render(variables),
        )


@dataclass(frozen=True)
class Outgoing:
    """A message ready for SMTP: its envelope and its bytes."""

    sender: str
    recipient: str
    data: bytes
    smtputf8: bool = False  # the recipient's mailbox is accented: only with SMTPUTF8


def _one_line(value: str) -> str:
    if "\r" in value or "\n" in value:
        raise SendError("en-tête invalide (saut de ligne)", permanent=True)
    return value


def _header(name: str, value: str) -> str:
    """A header value as written: non-ASCII as RFC 2047 words, never a line break."""
    value = _one_line(value)
    return value if value.isascii() else Header(value, UTF8, header_name=name).encode()


def _mailbox(name: str, display_name: str, address: str) -> str:
    """`Name <address>`: an ASCII name quoted as needed, any other encoded word by word."""
    address = _one_line(address)
    if not address.isascii():
        # An accented mailbox, sent with SMTPUTF8: its UTF-8 bytes as they are (RFC 6532),
        # carried as surrogates that POLICY_UTF8 writes out; the name encoded, on one line.
        raw = address.encode().decode("ascii", "surrogateescape")
        if not display_name:
            return f"<{raw}>"
        phrase = Header(_one_line(display_name), UTF8, header_name=name).encode(maxlinelen=0)
        return f"{phrase} <{raw}>"
    if display_name.isascii():
        return _header(name, formataddr((display_name, address)))
    header = Header(_one_line(display_name), UTF8, header_name=name)
    header.append(f"<{address}>", "us-ascii")
    return header.encode()


def _text(text: str, subtype: str) -> MIMENonMultipart:
    part = MIMENonMultipart("text", subtype, policy=POLICY)
    part.set_payload(text, UTF8)
    return part


def build_message(
    *,
    sender: str,
    to_name: str,
    to_email: str,
    rendered: Rendered,
    message_id: str,
    attachments: Sequence[tuple[str, str, str]] = (),
) -> Outgoing:
    """The message to send; raises SendError (permanent) for an address that cannot be used."""
    address = to_email.strip()
    if (
        not address
        or header_safe(address) != address
        or any(c.isspace() for c in address)
        or "@" not in parseaddr(address)[1]
    ):
        raise SendError("adresse email absente ou invalide", permanent=True)
    local, _, domain = address.rpartition("@")
    try:
        Address(username=local, domain=domain)  # refuses what a mailbox cannot hold
    except (ValueError, IndexError) as exc:
        raise SendError("adresse email invalide", permanent=True) from exc
    try:
        # An accented domain (exémple.fr) travels as its IDNA form (xn--exmple-cva.fr).
        address = f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError as exc:
        raise SendError(
            "adresse email invalide : nom de domaine impossible", permanent=True
        ) from exc
    sender_name, sender_address = parseaddr(sender)
    sender_address = header_safe(sender_address)
    body = MIMEMultipart("alternative", policy=POLICY)
    body.attach(_text(rendered.text, "plain"))
    body.attach(_text(rendered.html, "html"))
    message = body
    if attachments:
        message = MIMEMultipart("mixed", policy=POLICY)
        message.attach(body)
    for filename, mime, text in attachments:
        # Text attachments (the agenda's ICS) in UTF-8, so accents survive.
        part = _text(text, mime.partition("/")[2])
        part.add_header("Content-Disposition", "attachment", filename=header_safe(filename))
        message.attach(part)
    message["From"] = _mailbox("From", header_safe(sender_name), sender_address)
    message["To"] = _mailbox("To", header_safe(to_name), address)
    message["Subject"] = _header("Subject", rendered.subject)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = _header("Message-ID", message_id)
    message["Auto-Submitted"] = "auto-generated"
    # An accented mailbox (hélène@) needs SMTPUTF8 (RFC 6531): the connection asks for it.
    smtputf8 = not local.isascii()
    data = message.as_bytes(policy=POLICY_UTF8 if smtputf8 else POLICY)
    return Outgoing(sender=sender_address, recipient=address, data=data, smtputf8=smtputf8)
