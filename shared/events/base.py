"""The envelope every event carries, and the naming rule of the streams."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _kebab(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


class Event(BaseModel):
    """Envelope of every published event: `event_id` is the key consumers deduplicate on.

    Consumers ignore fields they do not know, so adding a field is not a breaking change.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    producer: ClassVar[str]
    # What each schema version after the first changed, for docs/events.md.
    schema_changes: ClassVar[tuple[str, ...]] = ()
    event_id: uuid.UUID = Field(default_factory=uuid.uuid4, description="Unique; the dedupe key")
    event_type: str = Field(default="", description="The event's class name")
    schema_version: int = Field(default=1, description="Increased on a breaking change")
    occurred_at: AwareDatetime = Field(default_factory=utc_now, description="UTC, ISO 8601")
    edition_id: str = Field(description="The edition (the year's day) it belongs to")
    correlation_id: uuid.UUID | None = Field(
        default=None, description="Shared by the events one request or one event caused"
    )

    def model_post_init(self, _context: object) -> None:
        if not self.event_type:
            object.__setattr__(self, "event_type", type(self).__name__)

    @classmethod
    def stream(cls, prefix: str = "") -> str:
        """`rencontres.<producer>.<event-kebab>`, e.g. rencontres.scheduler.slot-assigned."""
        return f"{prefix}rencontres.{cls.producer}.{_kebab(cls.__name__)}"
