"""A participant's wishes and needs without a meeting, as the scheduler explains them
(`GET /internal/participants/{id}/unplaced`, service token), for their page in the
back-office. A scheduler that does not answer is None, never an error."""

from __future__ import annotations

from typing import Any

from services.registration.adapters.internal import read_json


async def read_unplaced(
    scheduler_url: str, participant_id: str, token: str, timeout_s: float
) -> dict[str, Any] | None:
    url = f"{scheduler_url.rstrip('/')}/internal/participants/{participant_id}/unplaced"
    body = await read_json(url, token, timeout_s)
    if body is None or not isinstance(body.get("items"), list):
        return None
    return body
