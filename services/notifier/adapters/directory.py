"""Clients of the other services' internal APIs: contact details and agendas, at send time."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from services.notifier.domain.emails import SendError


@dataclass(frozen=True)
class Contact:
    participant_id: str
    edition_id: str
    role: str
    status: str
    first_name: str
    last_name: str
    email: str
    organisation: str = ""
    phone: str = ""
    self_service_url: str = ""


@dataclass(frozen=True)
class AgendaItem:
    start: str
    end: str
    title: str
    table: str
    counterpart_organisation: str
    kind: str = "rendez-vous"  # rendez-vous, conference, repas
    counterpart_id: str = ""
    topics: tuple[str, ...] = ()


@dataclass(frozen=True)
class Meeting:
    """A meeting as an email shows it: the other person named once, with their organisation."""

    start: str
    end: str
    table: str
    name: str
    organisation: str
    topics: tuple[str, ...] = ()


@dataclass(frozen=True)
class Agenda:
    participant_id: str
    agenda_url: str
    ics: str
    items: list[AgendaItem] = field(default_factory=list)
    meetings: list[Meeting] = field(default_factory=list)  # filled by the sender

    @property
    def sessions(self) -> list[AgendaItem]:
        """The conferences and the lunch the person chose."""
        return [i for i in self.items if i.kind != "rendez-vous"]


@dataclass(frozen=True)
class SurveyInvitation:
    participant_id: str
    survey_title: str
    link: str | None  # None when the questionnaire is closed
    closes_at: str | None
    answered: bool
    open: bool


class InternalApi:
    """GET a JSON document with the service token; 404 means "nothing" (unknown or erased)."""

    def __init__(self, base_url: str, token: str, timeout_s: float, what: str) -> None:
        self.client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout_s,
        )
        self.what = what

    def get(self, path: str) -> dict[str, Any] | None:
        return self.call("GET", path)

    def call(self, method: str, path: str) -> dict[str, Any] | None:
        """The JSON answer; None for 404; a temporary SendError when the service is away."""
        try:
            response = self.client.request(method, path)
        except httpx.HTTPError as exc:
            raise SendError(
                f"{self.what} injoignable ({type(exc).__name__})", permanent=False
            ) from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise SendError(f"{self.what} a répondu {response.status_code}", permanent=False)
        data: dict[str, Any] = response.json()
        return data

    def close(self) -> None:
        self.client.close()


class Registration(InternalApi):
    def contact(self, participant_id: str) -> Contact | None:
        data = self.get(f"/internal/participants/{participant_id}")
        if data is None:
            return None
        known = Contact.__dataclass_fields__
        return Contact(**{k: ("" if v is None else str(v)) for k, v in data.items() if k in known})


class Scheduler(InternalApi):
    def agenda(self, participant_id: str) -> Agenda | None:
        data = self.get(f"/internal/agendas/{participant_id}")
        if data is None:
            return None
        items = [
            AgendaItem(
                start=str(item.get("start", "")),
                end=str(item.get("end", "")),
                title=str(item.get("title") or ""),
                table=str(item.get("table") or ""),
                counterpart_organisation=str(item.get("counterpart_organisation") or ""),
                kind=str(item.get("kind") or "rendez-vous"),
                counterpart_id=str(item.get("counterpart_id") or ""),
                topics=tuple(str(t) for t in item.get("topics") or ()),
            )
            for item in data.get("items", [])
        ]
        return Agenda(
            participant_id=str(data.get("participant_id", participant_id)),
            agenda_url=str(data.get("agenda_url") or ""),
            ics=str(data.get("ics") or ""),
            items=items,
        )


class Surveys(InternalApi):
    def invitation(self, invitation_id: str) -> SurveyInvitation | None:
        # A POST: each call issues a new personal link (its hash is stored).
        data = self.call("POST", f"/internal/invitations/{invitation_id}/link")
        if data is None:
            return None
        return SurveyInvitation(
            participant_id=str(data.get("participant_id") or ""),
            survey_title=str(data.get("survey_title") or ""),
            link=data.get("link") or None,
            closes_at=data.get("closes_at") or None,
            answered=bool(data.get("answered")),
            open=bool(data.get("open", True)),
        )
