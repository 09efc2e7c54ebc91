"""What the other services say about the day, read for the back-office home page: the
scheduler's planning and sessions, the notifier's emails, the surveys service's
questionnaires. Each call carries the service token and a short timeout; a service that does
not answer is None, never an error."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class Remote:
    schedule: dict[str, Any] | None  # scheduler GET /api/schedule
    day: dict[str, Any] | None  # scheduler GET /api/sessions
    surveys: dict[str, Any] | None  # surveys GET /internal/editions/{edition}/surveys
    emails: dict[str, Any] | None  # notifier GET /internal/editions/{edition}/emails


async def _get(client: httpx.AsyncClient, url: str) -> dict[str, Any] | None:
    try:
        answer = await client.get(url)
        answer.raise_for_status()
        body = answer.json()
    except (httpx.HTTPError, ValueError):
        return None
    return body if isinstance(body, dict) else None


async def read_remote(
    urls: dict[str, str], edition_id: str, token: str, timeout_s: float
) -> Remote:
    """`urls`: the internal address of the scheduler, notifier and surveys services."""
    headers = {"Authorization": f"Bearer {token}"}
    scheduler, notifier, surveys = (
        urls[s].rstrip("/") for s in ("scheduler", "notifier", "surveys")
    )
    async with httpx.AsyncClient(headers=headers, timeout=timeout_s) as client:
        schedule, day, questionnaires, emails = await asyncio.gather(
            _get(client, f"{scheduler}/api/schedule"),
            _get(client, f"{scheduler}/api/sessions"),
            _get(client, f"{surveys}/internal/editions/{edition_id}/surveys"),
            _get(client, f"{notifier}/internal/editions/{edition_id}/emails"),
        )
    return Remote(schedule, day, questionnaires, emails)
