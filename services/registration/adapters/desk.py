"""What the scheduler tells the welcome desk (`GET /internal/editions/{edition}/desk`, service
token): each person's next meeting and who is marked absent or « a prévenu ». A scheduler
that does not answer is None, never an error: the desk still checks people in."""

from __future__ import annotations

from typing import Any

from services.registration.adapters.internal import read_json


async def read_desk(
    scheduler_url: str, edition_id: str, token: str, timeout_s: float
) -> dict[str, Any] | None:
    url = f"{scheduler_url.rstrip('/')}/internal/editions/{edition_id}/desk"
    body = await read_json(url, token, timeout_s)
    if body is None or not isinstance(body.get("next_meetings"), dict):
        return None
    return body
