"""Registration's internal API: contact details fetched at the moment of use, never stored."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

import httpx


class DirectoryUnavailable(Exception):
    """Registration did not answer: pages show what they can without contact details."""


@dataclass(frozen=True)
class Contact:
    participant_id: str
    role: str
    first_name: str
    last_name: str
    email: str
    organisation: str
    phone: str = ""
    status: str = ""
    self_service_url: str = ""

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Directory(Protocol):
    def contact(self, participant_id: str) -> Contact | None: ...

    def contacts(self, participant_ids: Iterable[str]) -> dict[str, Contact]: ...


class RegistrationClient:
    """`GET /internal/participants/{id}` with the service token; 404 means unknown or erased."""

    def __init__(self, base_url: str, token: str, timeout: float = 5.0) -> None:
        self.client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
        )

    def contact(self, participant_id: str) -> Contact | None:
        try:
            response = self.client.get(f"/internal/participants/{participant_id}")
        except httpx.HTTPError as exc:
            raise DirectoryUnavailable(str(exc)) from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise DirectoryUnavailable(f"HTTP {response.status_code}")
        data = response.json()
        return Contact(
            participant_id=str(data["participant_id"]),
            role=data.get("role", ""),
            first_name=data.get("first_name") or "",
            last_name=data.get("last_name") or "",
            email=data.get("email") or "",
            organisation=data.get("organisation") or "",
            phone=data.get("phone") or "",
            status=data.get("status") or "",
            self_service_url=data.get("self_service_url") or "",
        )

    def contacts(self, participant_ids: Iterable[str]) -> dict[str, Contact]:
        ids = sorted(set(participant_ids))
        with ThreadPoolExecutor(max_workers=8) as pool:
            found = list(pool.map(self.contact, ids))
        return {pid: c for pid, c in zip(ids, found, strict=True) if c is not None}

    def close(self) -> None:
        self.client.close()
