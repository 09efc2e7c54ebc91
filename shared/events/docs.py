"""Writes the public contract documents from the code: docs/events.md and docs/asyncapi.yaml.

`python -m shared.events.docs` rewrites them; a test fails when they no longer match the code.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml
from faststream.specification import AsyncAPI

from shared.bus.broker import DATA_FIELD, TYPE_FIELD, make_broker
from shared.events import ALL_EVENTS, Event

DOCS = Path(__file__).resolve().parents[2] / "docs"

INTRO = f"""# Événements publiés / Published events

*Generated from `shared/events` by `make docs`; a test checks it matches the code.*

Rencontres publishes every change other applications may care about on Redis Streams, one
stream per event type, named `rencontres.<producer>.<event-kebab>`. This is a public contract:
changes are additive, and a breaking change is a new `schema_version` published beside the old,
except a field that could carry personal data: it goes at once (each event says its versions).

## Reading the streams
- Every field below is always present in the JSON (`null` where the type allows it).
- Each entry has two fields: `{TYPE_FIELD}` (the event type) and `{DATA_FIELD}` (the event as
  JSON, described below). FastStream subscribers read `{DATA_FIELD}` as the message body.
- Create **your own consumer group** on each stream you need, starting at `0` to receive the
  history still kept (`XGROUP CREATE <stream> <your-group> 0 MKSTREAM`), read with
  `XREADGROUP GROUP <your-group> <consumer> STREAMS <stream> >`, and `XACK` once handled.
- Delivery is **at least once**: deduplicate on `event_id`. Within a stream, entries follow the
  order of the commits that produced them; participant profiles also carry a `revision`, keep the
  highest one you have seen.
- Entries are kept 30 days, and never trimmed while any group still has them pending or
  undelivered.
- Events carry opaque ids and categories, never a name, an email, a phone number, a token or
  a free text (a survey's free answers stay in the surveys service). Contact details are given
  by the registration service's authenticated internal API, to the services entitled to them.
- **Retention, what each stream may hold.** Participant streams: a participant's opaque id,
  role and planning categories (legal form, stage, commune code, needs, wishes as ids); scheduler
  streams: appointment ids, the two participants' ids, times and tables; notifier streams:
  the participant's id and the template, never the address or an SMTP server's text; surveys
  streams: participant ids, invitation counts and ratings keyed by question. Every stream
  keeps 30 days of entries (trimmed every ten minutes, never past what a group has not
  handled); no stream holds a contact detail, so after that period the id of an erased
  person is gone from Redis too.
- A service's outbox row is deleted in the transaction that publishes it: the databases keep
  no copy of the events once they are on their streams.
- **ParticipantErased** must be handled by every consumer in the transaction of its effect:
  forget everything that leads back to the person (contact details, free texts, the links from
  their rows to their id) and keep only anonymous rows for the counts. Rencontres' own
  services: the scheduler puts an anonymous placeholder instead of the person's id in their
  meetings (past meetings still count) and keeps a tombstone so no late event brings them
  back; the notifier withdraws pending emails and leaves the log rows without id, context or
  SMTP reason; the surveys service deletes their free-text answers and keeps their scores
  unlinked from them and from their meetings. On SQLite each then empties its WAL
  (`wal_checkpoint(TRUNCATE)`, with `secure_delete` on).
- A message that a Rencontres service fails to handle `MAX_DELIVERIES` times (5) is moved to
  `<stream>.dlq` with its original fields plus `original_stream`, `original_id`, `group` and
  `attempts`.

## Envelope (every event)
"""


def _type_of(prop: dict[str, Any], defs: dict[str, Any]) -> str:
    if "$ref" in prop:
        return prop["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in prop:
        return " or ".join(_type_of(p, defs) for p in prop["anyOf"])
    if "enum" in prop:
        return " / ".join(f"`{v}`" for v in prop["enum"])
    kind = prop.get("type", "object")
    if kind == "array":
        return f"list of {_type_of(prop.get('items', {}), defs)}"
    if prop.get("format"):
        return f"{kind} ({prop['format']})"
    return str(kind)


def _fields_table(cls: type[Event], skip: set[str]) -> list[str]:
    schema = cls.model_json_schema()
    defs = schema.get("$defs", {})
    lines = ["| field | type | meaning |", "|---|---|---|"]
    for name, prop in schema["properties"].items():
        if name in skip:
            continue
        if "$ref" in prop and prop["$ref"].rsplit("/", 1)[-1] in defs:
            target = defs[prop["$ref"].rsplit("/", 1)[-1]]
            if "enum" in target:
                prop = {**prop, **target}
                prop.pop("$ref")
        meaning = prop.get("description", "").replace("|", "/")
        lines.append(f"| `{name}` | {_type_of(prop, defs)} | {meaning} |")
    return lines


def events_markdown() -> str:
    envelope = set(Event.model_fields)
    out = [INTRO.rstrip(), ""]
    out += _fields_table(Event, set())
    out += ["", "## Streams", ""]
    out += ["| stream | event | producer |", "|---|---|---|"]
    out += [f"| `{c.stream()}` | {c.__name__} | {c.producer} |" for c in ALL_EVENTS]
    for cls in ALL_EVENTS:
        out += [
            "",
            f"### {cls.__name__}",
            "",
            f"Stream `{cls.stream()}`. {(cls.__doc__ or '').strip()}".rstrip(),
            "",
        ]
        version = cls.model_fields["schema_version"].default
        if version != 1:
            out += [f"`schema_version`: {version}.", ""]
        for change in cls.schema_changes:
            out += [f"Version {change}", ""]
        out += _fields_table(cls, envelope)
    return "\n".join(out) + "\n"


def asyncapi_yaml() -> str:
    broker = make_broker("redis://127.0.0.1:6379")
    for cls in ALL_EVENTS:
        broker.publisher(
            stream=cls.stream(),
            title=cls.stream(),
            description=(cls.__doc__ or cls.__name__).strip(),
            schema=cls,
        )
    spec = AsyncAPI(
        broker,
        title="Rencontres events",
        version="1.0.0",
        description="Events published by Rencontres on Redis Streams (see docs/events.md).",
    )
    # FastStream orders channels by set iteration: sort, so the file only changes with the code.
    document = json.loads(spec.to_specification().to_json())
    return yaml.safe_dump(document, sort_keys=True, allow_unicode=True, width=100)


def documents() -> dict[Path, str]:
    return {DOCS / "events.md": events_markdown(), DOCS / "asyncapi.yaml": asyncapi_yaml()}


def main() -> None:
    for path, content in documents().items():
        path.parent.mkdir(exist_ok=True)
        path.write_text(content)
        sys.stdout.write(f"{path.relative_to(DOCS.parent)} écrit\n")


if __name__ == "__main__":
    main()
