"""The categories a participant is described with: codes in the data, French labels on screen."""

from __future__ import annotations

from shared.events import Availability, RegistrationStatus, Role
from shared.vocabulary import (  # noqa: F401  (re-exported: the forms' choices)
    EXPERT_KINDS,
    HOLDER_LEGAL_FORMS,
    STAGES,
    code_for,
    label,
)

AVAILABILITIES: dict[str, str] = {
    Availability.DAY.value: "Toute la journée",
    Availability.MORNING.value: "Le matin",
    Availability.AFTERNOON.value: "L'après-midi",
}

ROLES: dict[str, str] = {Role.HOLDER: "Porteur de projet", Role.EXPERT: "Expert / financeur"}

STATUSES: dict[str, str] = {
    RegistrationStatus.REGISTERED: "Inscrit",
    RegistrationStatus.WAITING_LIST: "Liste d'attente",
    RegistrationStatus.CANCELLED: "Annulé",
}


def forms_for(role: Role) -> dict[str, str]:
    """Legal forms for a holder, organisation types for an expert."""
    return HOLDER_LEGAL_FORMS if role is Role.HOLDER else EXPERT_KINDS
