"""Registration's reads of the other services' internal APIs: one GET with the service token
and a short timeout. A service that does not answer, answers an error or something other than
a JSON object is None, never an exception: the page that asked still answers."""

from __future__ import annotations

from typing import Any

import httpx


async def read_json(url: str, token: str, timeout_s: float) -> dict[str, Any] | None:
    try:
        async with httpx.AsyncClient(timeout=timeout_s) as client:
            answer = await client.get(url, headers={"Authorization": f"Bearer {token}"})
        answer.raise_for_status()
        body = answer.json()
    except (httpx.HTTPError, ValueError):
        return None
    return body if isinstance(body, dict) else None
