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
    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    event_type: str = ""
    schema_version: int = 1
    occurred_at: AwareDatetime = Field(default_factory=utc_now)
    edition_id: str
    correlation_id: uuid.UUID | None = None

    def model_post_init(self, _context: object) -> None:
        if not self.event_type:
            object.__setattr__(self, "event_type", type(self).__name__)

    @classmethod
    def stream(cls, prefix: str = "") -> str:
        """`rencontres.<producer>.<event-kebab>`, e.g. rencontres.scheduler.slot-assigned."""
        return f"{prefix}rencontres.{cls.producer}.{_kebab(cls.__name__)}"
