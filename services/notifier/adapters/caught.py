"""The messages caught by `rencontres up`'s local SMTP server, kept as .eml files.

When `rencontres up` finds nothing listening at a local SMTP address, it starts an aiosmtpd
server in its own process (a thread) that writes every message it accepts, byte for byte, to
`<VAR_DIR>/mails/`. A file is named by the time it arrived (UTC, so the names sort by time)
and by a hash of its Message-ID, so the notifier finds the message of an email of its log
(the Message-ID is derived from the row's idempotency key) without reading every file.

This module is the one place that knows the folder and the names: the catcher writes, the
back-office reads, the erasure and the retention delete. aiosmtpd is imported only when the
catcher starts (it is a development dependency, absent from the deployed image).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiosmtpd.controller import Controller

FOLDER = "mails"
_STAMP = "%Y%m%dT%H%M%S%fZ"
_NAME = re.compile(r"^(\d{8}T\d{12}Z)-([0-9a-f]{20})\.eml$")


def folder(var_dir: str | Path) -> Path:
    return Path(var_dir) / FOLDER


def key_of(message_id: str) -> str:
    """The part of a file name that stands for its Message-ID (no address in a file name)."""
    return hashlib.sha256(message_id.strip().encode()).hexdigest()[:20]


def file_name(received_at: dt.datetime, message_id: str | None) -> str:
    key = key_of(message_id) if message_id else uuid.uuid4().hex[:20]
    return f"{received_at.astimezone(dt.UTC).strftime(_STAMP)}-{key}.eml"


def keep(directory: Path, content: bytes, received_at: dt.datetime | None = None) -> Path:
    """Write one received message under `directory`, whole or not at all."""
    headers = BytesHeaderParser().parsebytes(content)
    name = file_name(received_at or dt.datetime.now(dt.UTC), headers.get("Message-ID"))
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    partial = directory / f".{name}.part"
    partial.write_bytes(content)
    os.replace(partial, path)
    return path


class Catcher:
    """The aiosmtpd handler: every message accepted is kept (one file per message)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        try:
            keep(self.directory, content if isinstance(content, bytes) else content.encode())
        except OSError:
            return "451 4.3.0 message non enregistré (disque)"
        return "250 OK"


def start_catcher(host: str, port: int, directory: Path) -> Controller:
    """An SMTP server on host:port, in a thread of this process; raises OSError if the port
    is taken."""
    from aiosmtpd.controller import Controller

    directory.mkdir(parents=True, exist_ok=True)
    controller = Controller(Catcher(directory), hostname=host, port=port)
    controller.start()
    return controller


def find(directory: Path, message_id: str) -> Path | None:
    """The last message received with this Message-ID (a send repeated after a crash keeps
    its Message-ID), or None."""
    if not directory.is_dir():
        return None
    found = sorted(directory.glob(f"*-{key_of(message_id)}.eml"))
    return found[-1] if found else None


def erase(directory: Path, message_ids: Iterable[str]) -> int:
    """Delete every message caught with one of these Message-IDs; how many files went."""
    if not directory.is_dir():
        return 0
    keys = {key_of(m) for m in message_ids}
    gone = 0
    for path in directory.glob("*.eml"):
        match = _NAME.match(path.name)
        if match and match.group(2) in keys:
            path.unlink(missing_ok=True)
            gone += 1
    return gone


def erase_before(directory: Path, cutoff: dt.datetime, *, dry_run: bool = False) -> int:
    """Delete the messages received before `cutoff` (the retention); how many files went
    (or would go)."""
    if not directory.is_dir():
        return 0
    limit = cutoff.astimezone(dt.UTC).strftime(_STAMP)
    old = [
        path
        for path in directory.glob("*.eml")
        if (match := _NAME.match(path.name)) and match.group(1) < limit
    ]
    if not dry_run:
        for path in old:
            path.unlink(missing_ok=True)
    return len(old)


# -- reading a message as the back-office shows it ---------------------------------------------


@dataclass(frozen=True)
class Event:
    summary: str
    start: str
    end: str
    location: str


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes
    events: tuple[Event, ...] = ()


@dataclass(frozen=True)
class Caught:
    path: Path
    received_at: dt.datetime
    headers: tuple[tuple[str, str], ...]
    subject: str
    html: str
    text: str
    attachments: tuple[Attachment, ...]
    raw: bytes


def read(path: Path) -> Caught:
    raw = path.read_bytes()
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    html = message.get_body(preferencelist=("html",))
    text = message.get_body(preferencelist=("plain",))
    attachments = []
    for part in message.iter_attachments():
        assert isinstance(part, EmailMessage)
        data = part.get_payload(decode=True) or b""
        assert isinstance(data, bytes)
        content_type = part.get_content_type()
        events = _events(data) if content_type == "text/calendar" else ()
        attachments.append(
            Attachment(part.get_filename() or "piece-jointe", content_type, data, events)
        )
    match = _NAME.match(path.name)
    received = (
        dt.datetime.strptime(match.group(1), _STAMP).replace(tzinfo=dt.UTC)
        if match
        else dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
    )
    shown = ("From", "To", "Subject", "Date", "Message-ID")
    return Caught(
        path=path,
        received_at=received,
        headers=tuple((name, str(message[name])) for name in shown if message[name] is not None),
        subject=str(message["Subject"] or ""),
        html=_content(html),
        text=_content(text),
        attachments=tuple(attachments),
        raw=raw,
    )


def _content(part: Any) -> str:
    if part is None:
        return ""
    try:
        return str(part.get_content())
    except (LookupError, ValueError):  # an unknown charset: shown as far as it decodes
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", errors="replace")


def _events(data: bytes) -> tuple[Event, ...]:
    """The events of an ICS file, as its reader's calendar would list them."""
    from icalendar import Calendar  # lazy: the notifier's web process does not need it else

    try:
        calendar = Calendar.from_ical(data)
    except ValueError:
        return ()
    events = []
    for event in calendar.walk("VEVENT"):
        events.append(
            Event(
                summary=str(event.get("SUMMARY", "")),
                start=_when(event.get("DTSTART")),
                end=_when(event.get("DTEND")),
                location=str(event.get("LOCATION", "")),
            )
        )
    return tuple(events)


def _when(value: Any) -> str:
    moment = getattr(value, "dt", None)
    if isinstance(moment, dt.datetime):
        from zoneinfo import ZoneInfo

        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return moment.astimezone(ZoneInfo("Europe/Paris")).strftime("%d/%m/%Y %H:%M")
    if isinstance(moment, dt.date):
        return moment.strftime("%d/%m/%Y")
    return ""
