"""The event contract: names, envelope, JSON round trip, no personal data, docs in step."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from shared.events import ALL_EVENTS, EVENTS_BY_TYPE, Event, ParticipantRegistered
from shared.events.docs import documents
from shared.events.registration import _ParticipantProfile
from tests.support.samples import sample_events

STREAM_NAME = re.compile(
    r"^rencontres\.(registration|scheduler|notifier|surveys)\.[a-z]+(-[a-z]+)*$"
)
PERSONAL_FIELD = re.compile(r"e-?mail|phone|telephone|name|nom|token|password|address|adresse")
EMAIL_VALUE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
PHONE_VALUE = re.compile(r"(\+33|0)\s?[1-9]([\s.-]?\d{2}){4}")
# Ids and timestamps are digits too: they are removed before looking for phone numbers.
OPAQUE = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d{4}-\d\d-\d\dT[\d:.]+Z?"
)


def test_every_event_has_a_sample():
    assert {type(e) for e in sample_events()} == set(ALL_EVENTS)


@pytest.mark.parametrize("event", sample_events(), ids=lambda e: type(e).__name__)
def test_json_round_trip(event: Event):
    body = event.model_dump_json()
    again = type(event).model_validate_json(body)
    assert again == event
    data = json.loads(body)
    assert data["event_type"] == type(event).__name__
    assert data["schema_version"] == (2 if isinstance(event, _ParticipantProfile) else 1)
    assert data["occurred_at"].endswith("Z")


def test_a_profile_carries_a_commune_code_never_the_text_typed():
    """Version 2: the code of a closed list; a version-1 entry (the text) reads as no commune."""
    fields = {
        "edition_id": "2026",
        "participant_id": uuid.uuid4(),
        "role": "porteur",
        "revision": 1,
        "status": "inscrit",
        "legal_form": "association",
    }
    assert ParticipantRegistered(**fields, commune_code="21231").commune_code == "21231"
    assert ParticipantRegistered(**fields, commune_code="autre").commune_code == "autre"
    for typed in ("Dijon", "Je suis Marie, 06 12 34 56 78", "212310"):
        with pytest.raises(ValidationError):
            ParticipantRegistered(**fields, commune_code=typed)
    old = {**fields, "participant_id": str(fields["participant_id"]), "schema_version": 1}
    read = ParticipantRegistered.model_validate_json(json.dumps({**old, "commune": "Dijon"}))
    assert read.commune_code is None and "Dijon" not in read.model_dump_json()


@pytest.mark.parametrize("cls", ALL_EVENTS, ids=lambda c: c.__name__)
def test_stream_names_and_envelope(cls: type[Event]):
    assert STREAM_NAME.match(cls.stream()), cls.stream()
    assert cls.stream("test:") == "test:" + cls.stream()
    schema = cls.model_json_schema()
    for field in Event.model_fields:
        assert field in schema["properties"]
    assert EVENTS_BY_TYPE[cls.__name__] is cls


def test_stream_names_are_unique():
    streams = [cls.stream() for cls in ALL_EVENTS]
    assert len(streams) == len(set(streams))


def test_unknown_fields_are_ignored_so_that_additions_do_not_break_consumers():
    event = sample_events()[0]
    data = json.loads(event.model_dump_json())
    data["a_field_added_later"] = 42
    assert type(event).model_validate(data) == event


def _field_names(model: type[BaseModel], seen: set[type]) -> set[str]:
    names: set[str] = set()
    if model in seen:
        return names
    seen.add(model)
    for name, field in model.model_fields.items():
        names.add(name)
        for arg in _nested_models(field.annotation):
            names |= _field_names(arg, seen)
    return names


def _nested_models(annotation: Any) -> list[type[BaseModel]]:
    found = []
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        found.append(annotation)
    for arg in getattr(annotation, "__args__", ()) or ():
        found += _nested_models(arg)
    return found


@pytest.mark.parametrize("cls", ALL_EVENTS, ids=lambda c: c.__name__)
def test_no_event_field_can_hold_personal_data(cls: type[Event]):
    offending = {n for n in _field_names(cls, set()) if PERSONAL_FIELD.search(n)}
    assert not offending, f"{cls.__name__} has fields that may hold personal data: {offending}"


@pytest.mark.parametrize("event", sample_events(), ids=lambda e: type(e).__name__)
def test_no_event_value_looks_like_an_email_or_phone(event: Event):
    body = OPAQUE.sub("", event.model_dump_json())
    assert not EMAIL_VALUE.search(body)
    assert not PHONE_VALUE.search(body)


def test_committed_docs_match_the_code():
    for path, expected in documents().items():
        assert path.read_text() == expected, f"{path.name} is stale: run `make docs`"
