"""What the other services say about the day, read for the back-office home page: the
scheduler's planning and sessions, the surveys service's questionnaires. Each call carries the
service token and a short timeout; a service that does not answer is None, never an error."""

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


async def _get(client: httpx.AsyncClient, url: str) -> dict[str, Any] | None:
    try:
        answer = await client.get(url)
        answer.raise_for_status()
        body = answer.json()
    except (httpx.HTTPError, ValueError):
        return None
    return body if isinstance(body, dict) else None


async def read_remote(
    scheduler_url: str, surveys_url: str, edition_id: str, token: str, timeout_s: float
) -> Remote:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(headers=headers, timeout=timeout_s) as client:
        schedule, day, surveys = await asyncio.gather(
            _get(client, f"{scheduler_url.rstrip('/')}/api/schedule"),
            _get(client, f"{scheduler_url.rstrip('/')}/api/sessions"),
            _get(client, f"{surveys_url.rstrip('/')}/internal/editions/{edition_id}/surveys"),
        )
    return Remote(schedule, day, surveys)
