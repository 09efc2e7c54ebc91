"""A person's copy of their data (right of access): registration's own row, and what the
scheduler, the notifier and the surveys service hold, each read from its internal API
(`GET /internal/participants/{id}/data`, service token) at the moment of the request."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

import httpx

SERVICES = ("scheduler", "notifier", "surveys")
UNREACHABLE = "service injoignable : réessayez plus tard pour obtenir cette partie"


async def _read(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    try:
        answer = await client.get(url)
        answer.raise_for_status()
        body = answer.json()
    except (httpx.HTTPError, ValueError):
        return {"erreur": UNREACHABLE}
    return body if isinstance(body, dict) else {"erreur": UNREACHABLE}


async def gather(
    registration: dict[str, Any],
    urls: dict[str, str],
    token: str,
    timeout_s: float,
) -> dict[str, Any]:
    """One document: `registration` plus each service's part (or why it is missing)."""
    pid = registration["participant_id"]
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(headers=headers, timeout=timeout_s) as client:
        parts = await asyncio.gather(
            *(
                _read(client, f"{urls[name].rstrip('/')}/internal/participants/{pid}/data")
                for name in SERVICES
            )
        )
    return {
        "produit_le": dt.datetime.now(dt.UTC).isoformat(),
        "responsable": "PES 21",
        "registration": registration,
        **dict(zip(SERVICES, parts, strict=True)),
    }


def as_json(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2, default=str)


async def of_participant(settings: Any, registration: dict[str, Any]) -> str:
    """The whole document of one participant (`registration`: registration's own part), as
    JSON; the other services are asked at the addresses and with the token of `settings`."""
    document = await gather(
        registration,
        {
            "scheduler": settings.scheduler_internal_url,
            "notifier": settings.notifier_internal_url,
            "surveys": settings.surveys_internal_url,
        },
        settings.service_token.get_secret_value(),
        max(settings.status_timeout_s, 5.0),
    )
    return as_json(document)
