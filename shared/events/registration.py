"""Events of the registration service: participants and their check-in."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from shared.communes import CODE_PATTERN
from shared.edition import Availability
from shared.events.base import Event
from shared.vocabulary import Role


class RegistrationStatus(StrEnum):
    REGISTERED = "inscrit"
    WAITING_LIST = "liste-attente"
    CANCELLED = "annule"


class _ParticipantEvent(Event):
    producer: ClassVar[str] = "registration"
    participant_id: uuid.UUID
    role: Role


class _ParticipantProfile(_ParticipantEvent):
    """The categories a consumer needs to plan and to count; never a name or a contact.

    Schema version 2: the commune is its INSEE code (`commune_code`), no longer the text the
    participant typed (`commune`, version 1), which could hold anything they wrote.
    """

    schema_version: int = Field(default=2, description="Increased on a breaking change")
    schema_changes: ClassVar[tuple[str, ...]] = (
        "2: `commune_code` (the INSEE code) replaces `commune`, the text the participant typed,"
        " which could hold anything; no version 1 is published beside it. A version-1 entry"
        " still on the stream reads as version 2 without a commune.",
    )
    # Increases with every change: a consumer keeps the highest one it has seen.
    revision: int = Field(ge=1)
    status: RegistrationStatus
    legal_form: str = Field(description="Holder: legal form; expert: organisation type")
    stage: str | None = Field(default=None, description="Holder only: creation or developpement")
    commune_code: str | None = Field(
        default=None,
        pattern=CODE_PATTERN,
        description="INSEE code of the commune (code officiel géographique); `autre`: a commune"
        " outside Rencontres' list (Côte-d'Or and the departments around it); null: none given",
    )
    tags: list[str] = Field(default_factory=list, description="Needs by priority, or expertise")
    wants: list[uuid.UUID] = Field(default_factory=list, description="Participants to meet")
    refuses: list[uuid.UUID] = Field(default_factory=list, description="Never to be met")
    sessions: list[str] = Field(default_factory=list, description="Conference session ids")
    availability: Availability = Availability.DAY
    max_meetings: int | None = None
    lunch: bool = False
    consent_share_profile: bool = False


class ParticipantRegistered(_ParticipantProfile):
    """A holder or an expert registered (or was put on the waiting list)."""


class ParticipantUpdated(_ParticipantProfile):
    """A participant's profile or status changed; the whole profile is repeated."""


class ParticipantCancelled(_ParticipantEvent):
    """A participant cancelled, or was cancelled by the operator."""


class ParticipantCheckedIn(_ParticipantEvent):
    """A participant arrived at the venue (or the check-in was undone)."""

    legal_form: str
    # False when the operator undoes a check-in made by mistake.
    present: bool = True


class ParticipantErased(_ParticipantEvent):
    """Forget every contact detail of this participant; anonymous counts may stay."""


class ParticipantLinkRequested(_ParticipantEvent):
    """Someone sent a public form with this participant's address again: email them their link.

    The registration is left as it was (a form anyone can fill must not overwrite it); the
    person gets their personal link to review or change it.
    """


class Audience(StrEnum):
    """Who a message from the team goes to."""

    ALL = "tous"
    HOLDERS = "porteurs"
    EXPERTS = "experts"
    PRESENT = "presents"
    ABSENT = "absents"
    NON_RESPONDENTS = "sans-reponse"  # invited to one questionnaire (survey_id), not answered


class MessageRequested(Event):
    """The team wrote to a group of participants from the back-office: email each of them.

    The subject and text are the team's own words to everyone in the group, never data about
    one person; the recipients are ids, their addresses stay in registration.
    """

    producer: ClassVar[str] = "registration"
    message_id: uuid.UUID
    audience: Audience
    subject: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=10_000)
    participant_ids: list[uuid.UUID] = Field(min_length=1)
    survey_id: uuid.UUID | None = Field(
        default=None, description="The questionnaire, for the audience « sans-reponse »"
    )
