"""Events of the surveys service: questionnaires opened and answered (scores, no free text)."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, Field

from shared.events.base import Event


class SurveyKind(StrEnum):
    CONFERENCE = "conference"
    DAY = "journee"
    EX_POST = "ex-post"


class _SurveyEvent(Event):
    producer: ClassVar[str] = "surveys"
    survey_id: uuid.UUID
    kind: SurveyKind


class SurveyOpened(_SurveyEvent):
    """A questionnaire was opened and its invitations requested."""

    session_id: str | None = None
    invited: int
    closes_at: AwareDatetime | None = None


class SurveyAnswered(_SurveyEvent):
    """Someone answered a questionnaire; only ratings travel, never free text."""

    response_id: uuid.UUID
    participant_id: uuid.UUID
    scores: dict[str, int] = Field(default_factory=dict, description="Question id -> rating")


class SurveyInvitationRequested(_SurveyEvent):
    """Please email this participant an invitation (or a reminder) to answer a questionnaire.

    Carries no link: the sender asks the surveys service for the title and a fresh personal
    link at send time (`POST /internal/invitations/{invitation_id}/link`).
    """

    invitation_id: uuid.UUID
    participant_id: uuid.UUID
    reminder: bool = False
