"""Registration's internal API: who the respondent met, named on their form, never stored."""

from __future__ import annotations

from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class Person:
    name: str
    organisation: str


class Directory:
    """`GET /internal/participants/{id}` with the service token. Any failure gives None: the
    form then labels a meeting by its time and table."""

    def __init__(self, base_url: str, token: str, timeout_s: float = 2.0) -> None:
        self.client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout_s,
        )

    def person(self, participant_id: str) -> Person | None:
        try:
            response = self.client.get(f"/internal/participants/{participant_id}")
        except httpx.HTTPError:
            return None
        if response.status_code != 200:
            return None
        data = response.json()
        name = f"{data.get('first_name') or ''} {data.get('last_name') or ''}".strip()
        return Person(name=name, organisation=str(data.get("organisation") or ""))

    def close(self) -> None:
        self.client.close()
