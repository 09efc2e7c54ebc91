"""A participant's wishes and needs without a meeting, as the scheduler explains them
(`GET /internal/participants/{id}/unplaced`, service token), for their page in the
back-office. A scheduler that does not answer is None, never an error."""

from __future__ import annotations

from typing import Any

import httpx


async def read_unplaced(
    scheduler_url: str, participant_id: str, token: str, timeout_s: float
) -> dict[str, Any] | None:
    url = f"{scheduler_url.rstrip('/')}/internal/participants/{participant_id}/unplaced"
    try:
        async with httpx.AsyncClient(timeout=timeout_s) as client:
            answer = await client.get(url, headers={"Authorization": f"Bearer {token}"})
        answer.raise_for_status()
        body = answer.json()
    except (httpx.HTTPError, ValueError):
        return None
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        return None
    return body
