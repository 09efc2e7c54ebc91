"""What the other services say about the day, read for the back-office home page: the
scheduler's planning and sessions, the notifier's emails, the surveys service's
questionnaires. Each call carries the service token and a short timeout; a service that does
not answer is None, never an error."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from services.registration.adapters.internal import read_json


@dataclass(frozen=True)
class Remote:
    schedule: dict[str, Any] | None  # scheduler GET /api/schedule
    day: dict[str, Any] | None  # scheduler GET /api/sessions
    surveys: dict[str, Any] | None  # surveys GET /internal/editions/{edition}/surveys
    emails: dict[str, Any] | None  # notifier GET /internal/editions/{edition}/emails


async def read_remote(
    urls: dict[str, str], edition_id: str, token: str, timeout_s: float
) -> Remote:
    """`urls`: the internal address of the scheduler, notifier and surveys services."""
    scheduler, notifier, surveys = (
        urls[s].rstrip("/") for s in ("scheduler", "notifier", "surveys")
    )
    schedule, day, questionnaires, emails = await asyncio.gather(
        read_json(f"{scheduler}/api/schedule", token, timeout_s),
        read_json(f"{scheduler}/api/sessions", token, timeout_s),
        read_json(f"{surveys}/internal/editions/{edition_id}/surveys", token, timeout_s),
        read_json(f"{notifier}/internal/editions/{edition_id}/emails", token, timeout_s),
    )
    return Remote(schedule, day, questionnaires, emails)
