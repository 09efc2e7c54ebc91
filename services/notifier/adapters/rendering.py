"""Renders the French HTML and text templates and builds the MIME message.

Every header value built from data goes through `header_safe` and a policy that refuses CR/LF,
so a name like "Alice\\r\\nBcc: x" can never add a header.
"""

from __future__ import annotations

import datetime as dt
import email.policy
from collections.abc import Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services.notifier.domain.emails import SendError, header_safe

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"

# Refuses CR/LF in header values (raises) instead of folding them in.
POLICY = email.policy.SMTP.clone(raise_on_defect=True)

_MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


@dataclass(frozen=True)
class Brand:
    edition_name: str
    organiser: str
    logo_url: str
    address: str
    contact: str


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

    def _local(self, value: str | dt.datetime) -> dt.datetime:
        moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return moment.astimezone(self.zone)

    def hour(self, value: str | dt.datetime) -> str:
        local = self._local(value)
        return f"{local.hour} h {local.minute:02d}"

    def long_date(self, value: str | dt.datetime) -> str:
        local = self._local(value)
        return f"{_DAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]} {local.year}"

    def render(self, template: str, context: dict[str, Any]) -> Rendered:
        variables = {"brand": self.brand, **context}
        text_template = self.env.get_template(f"{template}.txt")
        subject = "".join(text_template.blocks["subject"](text_template.new_context(variables)))
        return Rendered(
            subject=header_safe(subject, limit=250),
            text=text_template.render(variables),
            html=self.env.get_template(f"{template}.html").render(variables),
        )


def build_message(
    *,
    sender: str,
    to_name: str,
    to_email: str,
    rendered: Rendered,
    message_id: str,
    attachments: Sequence[tuple[str, str, str]] = (),
) -> EmailMessage:
    """The message to send; raises SendError (permanent) for an address that cannot be used."""
    address = to_email.strip()
    if not address or header_safe(address) != address or "@" not in parseaddr(address)[1]:
        raise SendError("adresse email absente ou invalide", permanent=True)
    local, _, domain = address.rpartition("@")
    message = EmailMessage(policy=POLICY)
    sender_name, sender_address = parseaddr(sender)
    message["From"] = Address(
        display_name=header_safe(sender_name), addr_spec=header_safe(sender_address)
    )
    try:
        message["To"] = Address(display_name=header_safe(to_name), username=local, domain=domain)
    except (ValueError, IndexError) as exc:
        raise SendError("adresse email invalide", permanent=True) from exc
    message["Subject"] = rendered.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    for filename, mime, text in attachments:
        # Text attachments (the agenda's ICS) in UTF-8, so accents survive.
        message.add_attachment(
            text, subtype=mime.partition("/")[2], charset="utf-8", filename=header_safe(filename)
        )
    return message
