"""The categories a participant is described with: codes in the data, French labels on screen.
The lists are `shared/vocabulary.py`'s (one place for the forms, the file and the reports);
only the registration statuses are registration's own."""

from __future__ import annotations

from shared.events import RegistrationStatus
from shared.vocabulary import (  # noqa: F401  (re-exported: the forms' choices)
    AVAILABILITIES,
    EXPERT_KINDS,
    HOLDER_LEGAL_FORMS,
    ROLES,
    STAGES,
    code_for,
    forms_for,
    label,
)

STATUSES: dict[str, str] = {
    RegistrationStatus.REGISTERED: "Inscrit",
    RegistrationStatus.WAITING_LIST: "Liste d'attente",
    RegistrationStatus.CANCELLED: "Annulé",
}
