"""What the scheduler tells the welcome desk (`GET /internal/editions/{edition}/desk`, service
token): each person's next meeting and who is marked absent or « a prévenu ». A scheduler
that does not answer is None, never an error: the desk still checks people in."""

from __future__ import annotations

from typing import Any

import httpx


async def read_desk(
    scheduler_url: str, edition_id: str, token: str, timeout_s: float
) -> dict[str, Any] | None:
    url = f"{scheduler_url.rstrip('/')}/internal/editions/{edition_id}/desk"
    try:
        async with httpx.AsyncClient(timeout=timeout_s) as client:
            answer = await client.get(url, headers={"Authorization": f"Bearer {token}"})
        answer.raise_for_status()
        body = answer.json()
    except (httpx.HTTPError, ValueError):
        return None
    if not isinstance(body, dict) or not isinstance(body.get("next_meetings"), dict):
        return None
    return body
