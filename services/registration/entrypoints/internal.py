"""The API other services call for personal contact data, at the moment they need it."""

from __future__ import annotations

import secrets
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from services.registration.entrypoints.web import kit_of
from services.registration.service_layer import participants
from shared.events import RegistrationStatus, Role

router = APIRouter(prefix="/internal", tags=["internal"])
bearer = HTTPBearer(auto_error=False, description="SERVICE_TOKEN shared by the services")


def require_service(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    expected = kit_of(request).settings.service_token.get_secret_value()
    if credentials is None or not secrets.compare_digest(
        credentials.credentials.encode(), expected.encode()
    ):
        raise HTTPException(401, "invalid service token", headers={"WWW-Authenticate": "Bearer"})


ServiceCaller = Annotated[None, Depends(require_service)]


class ParticipantContact(BaseModel):
    """A participant's contact details, read at the moment of use (never copied elsewhere)."""

    participant_id: uuid.UUID
    edition_id: str
    role: Role
    status: RegistrationStatus
    first_name: str
    last_name: str
    email: str
    phone: str | None
    organisation: str
    self_service_url: str


@router.get(
    "/participants/{participant_id}",
    response_model=ParticipantContact,
    responses={
        401: {"description": "Missing or invalid service token"},
        404: {"description": "Unknown or erased"},
    },
)
def participant_contact(
    request: Request, participant_id: uuid.UUID, _caller: ServiceCaller
) -> ParticipantContact:
    """Contact details of one participant, for the notifier and the scheduler.

    401 without the service token; 404 when the participant is unknown or was erased.
    """
    kit = kit_of(request)
    with kit.factory() as session:
        row = participants.get(session, participant_id)
    if row is None or row.erased_at is not None:
        raise HTTPException(404, "unknown participant")
    return ParticipantContact(
        participant_id=uuid.UUID(row.participant_id),
        edition_id=row.edition_id,
        role=Role(row.role),
        status=RegistrationStatus(row.status),
        first_name=row.first_name or "",
        last_name=row.last_name or "",
        email=row.email or "",
        phone=row.phone,
        organisation=row.organisation or "",
        self_service_url=participants.self_service_url(kit, row),
    )
