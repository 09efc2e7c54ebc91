"""The categories a participant is described with: codes in the data, French labels on screen."""

from __future__ import annotations

from shared.edition import normalise_key
from shared.events import Availability, RegistrationStatus, Role

HOLDER_LEGAL_FORMS: dict[str, str] = {
    "association": "Association",
    "scop": "SCOP",
    "scic": "SCIC",
    "cooperative": "Coopérative",
    "mutuelle": "Mutuelle",
    "fondation": "Fondation",
    "entreprise-esus": "Entreprise ESUS",
    "en-creation": "En création",
}

EXPERT_KINDS: dict[str, str] = {
    "fondation": "Fondation",
    "banque": "Banque",
    "reseau-accompagnement": "Réseau d'accompagnement",
    "finance-solidaire": "Finance solidaire",
    "collectivite": "Collectivité",
    "autre": "Autre",
}

STAGES: dict[str, str] = {"creation": "Création", "developpement": "Développement"}

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


def code_for(vocabulary: dict[str, str], text: str) -> str | None:
    """The code of a code or a label, whatever the accents, case, spaces or apostrophes."""
    key = _slug(text)
    for code, label in vocabulary.items():
        if key in (_slug(code), _slug(label)):
            return code
    return None


def label(vocabulary: dict[str, str], code: str | None) -> str:
    return vocabulary.get(code or "", code or "")


def _slug(text: str) -> str:
    key = normalise_key(text)
    for sep in (" ", "'", "’", "_"):
        key = key.replace(sep, "-")
    return key.replace("reseau-d-accompagnement", "reseau-accompagnement")
