"""The Redis broker and the wire format of events on the streams.

An entry carries two fields: `event_type` and `__data__`, the event as JSON. `__data__` is the
field FastStream reads the body from, so FastStream subscribers and plain redis clients both
read the same entries.
"""

from __future__ import annotations

import logging
from typing import Any

from faststream.redis import RedisBroker
from faststream.redis.parser import MessageFormat

from shared.events import Event

DATA_FIELD = "__data__"
TYPE_FIELD = "event_type"


def entry_fields(event_type: str, payload: str) -> dict[Any, Any]:
    return {TYPE_FIELD: event_type, DATA_FIELD: payload}


class JSONEventFormat(MessageFormat):
    """Bodies are the event's JSON, as the outbox relay writes it; no FastStream envelope."""

    @classmethod
    async def encode(cls, *, message: Any, **_: Any) -> bytes:
        if isinstance(message, Event):
            return message.model_dump_json().encode()
        if isinstance(message, bytes):
            return message
        return str(message).encode()

    @classmethod
    def parse(cls, data: bytes) -> tuple[bytes, dict[str, Any]]:
        return data, {"content-type": "application/json"}


def make_broker(redis_url: str, **kwargs: Any) -> RedisBroker:
    # One log line per message would drown the logs of a busy day: keep them for DEBUG.
    kwargs.setdefault("log_level", logging.DEBUG)
    # On shutdown, messages being handled get this long to finish; without a limit FastStream
    # may wait forever. One cut short stays pending and is reclaimed by another process.
    kwargs.setdefault("graceful_timeout", 5.0)
    return RedisBroker(redis_url, message_format=JSONEventFormat, **kwargs)
