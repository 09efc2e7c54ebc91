"""One realistic instance of every published event, for contract tests."""

from __future__ import annotations

import datetime as dt
import uuid

from shared.edition import default_edition
from shared.events import (
    Audience,
    ClosedSessionKind,
    EditionUpdated,
    EmailFailed,
    EmailSent,
    Event,
    MessageRequested,
    ParticipantCancelled,
    ParticipantCheckedIn,
    ParticipantErased,
    ParticipantLinkRequested,
    ParticipantRegistered,
    ParticipantUpdated,
    RegistrationStatus,
    ReleaseReason,
    Role,
    SchedulePublished,
    SessionClosed,
    SlotAssigned,
    SlotReleased,
    SurveyAnswered,
    SurveyInvitationRequested,
    SurveyKind,
    SurveyOpened,
)

EDITION = "2026"
HOLDER = uuid.uuid4()
EXPERT = uuid.uuid4()
START = dt.datetime(2026, 11, 19, 9, 0, tzinfo=dt.UTC)
PROFILE = {
    "edition_id": EDITION,
    "participant_id": HOLDER,
    "role": Role.HOLDER,
    "revision": 1,
    "status": RegistrationStatus.REGISTERED,
    "legal_form": "association",
    "stage": "creation",
    "commune_code": "21231",
    "tags": ["mecenat", "budget-previsionnel"],
    "wants": [EXPERT],
    "sessions": ["conference-matin"],
    "lunch": True,
}
SLOT = {
    "edition_id": EDITION,
    "appointment_id": uuid.uuid4(),
    "holder_id": HOLDER,
    "expert_id": EXPERT,
    "start": START,
    "end": START + dt.timedelta(minutes=30),
    "table": "T01",
    "schedule_version": 1,
}


def sample_events() -> list[Event]:
    survey = uuid.uuid4()
    return [
        ParticipantRegistered(**PROFILE),
        ParticipantUpdated(**{**PROFILE, "revision": 2, "commune_code": "21166"}),
        ParticipantCancelled(edition_id=EDITION, participant_id=HOLDER, role=Role.HOLDER),
        ParticipantCheckedIn(
            edition_id=EDITION, participant_id=HOLDER, role=Role.HOLDER, legal_form="SCOP"
        ),
        ParticipantErased(edition_id=EDITION, participant_id=HOLDER, role=Role.EXPERT),
        ParticipantLinkRequested(edition_id=EDITION, participant_id=HOLDER, role=Role.HOLDER),
        MessageRequested(
            edition_id=EDITION,
            message_id=uuid.uuid4(),
            audience=Audience.EXPERTS,
            subject="Plan d'accès et parking",
            body="Bonjour,\n\nLe parking de la Maison des associations est ouvert dès 9 h.",
            participant_ids=[HOLDER],
        ),
        EditionUpdated(edition_id=EDITION, settings=default_edition(dt.date(2026, 11, 19))),
        SlotAssigned(**SLOT),
        SlotReleased(**SLOT, reason=ReleaseReason.NO_SHOW),
        SchedulePublished(
            edition_id=EDITION, schedule_version=1, appointments=120, holders_with_meeting=45
        ),
        SessionClosed(
            edition_id=EDITION,
            session_id="conference-matin",
            kind=ClosedSessionKind.CONFERENCE,
            closed_at=START,
            attendee_ids=[HOLDER],
            attendees=1,
        ),
        EmailSent(edition_id=EDITION, participant_id=HOLDER, template="confirmation"),
        EmailFailed(
            edition_id=EDITION,
            participant_id=HOLDER,
            template="agenda",
            permanent=True,
            smtp_code=550,
        ),
        SurveyOpened(edition_id=EDITION, survey_id=survey, kind=SurveyKind.DAY, invited=40),
        SurveyAnswered(
            edition_id=EDITION,
            survey_id=survey,
            kind=SurveyKind.DAY,
            response_id=uuid.uuid4(),
            participant_id=HOLDER,
            scores={"organisation": 5},
        ),
        SurveyInvitationRequested(
            edition_id=EDITION,
            survey_id=survey,
            kind=SurveyKind.DAY,
            # Fixed: a random UUID's digits can look like a phone number to the contract test.
            invitation_id=uuid.UUID("b5e7c1aa-3f4d-4c2b-9e8f-a1b2c3d4e5f6"),
            participant_id=HOLDER,
            reminder=True,
        ),
    ]
