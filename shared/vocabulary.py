"""The categories a participant is described with: codes in the data, the events and the
participants file, French labels for people. Registration offers them on its forms and reads
them in the file (`shared/profile.py` checks a participant against them); the surveys report
counts by them. The one place for each list: nothing else spells them."""

from __future__ import annotations

import functools
import re
from enum import StrEnum

from shared.edition import Availability, normalise_key


class Role(StrEnum):
    HOLDER = "porteur"
    EXPERT = "expert"


class Stage(StrEnum):
    CREATION = "creation"
    DEVELOPMENT = "developpement"


ROLES: dict[str, str] = {Role.HOLDER: "Porteur de projet", Role.EXPERT: "Expert / financeur"}
# Words the participants file also accepts for a role (its columns have English aliases too).
ROLE_ALIASES: dict[str, str] = {"holder": Role.HOLDER}

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

STAGES: dict[str, str] = {Stage.CREATION: "Création", Stage.DEVELOPMENT: "Développement"}

AVAILABILITIES: dict[str, str] = {
    Availability.DAY: "Toute la journée",
    Availability.MORNING: "Le matin",
    Availability.AFTERNOON: "L'après-midi",
}


def forms_for(role: Role) -> dict[str, str]:
    """Legal forms for a holder, organisation types for an expert."""
    return HOLDER_LEGAL_FORMS if role is Role.HOLDER else EXPERT_KINDS


def role_for(text: str) -> Role | None:
    """The role a code, a label or an alias names (`porteur`, « Porteur de projet », `holder`)."""
    code = code_for(ROLES, text) or ROLE_ALIASES.get(slug(text))
    return Role(code) if code else None


def code_for(vocabulary: dict[str, str], text: str) -> str | None:
    """The code of a code or a label, whatever the accents, case, spaces or apostrophes."""
    key = slug(text)
    for code, label in vocabulary.items():
        if key in (slug(code), slug(label)):
            return code
    return None


def label(vocabulary: dict[str, str], code: str | None) -> str:
    return vocabulary.get(code or "", code or "")


def french_label(vocabulary: dict[str, str], text: str | None) -> str | None:
    """The French label of a code (or of a label written loosely); text outside the vocabulary
    (data from an older version) keeps its words, with a capital letter."""
    if not text:
        return None
    code = code_for(vocabulary, text)
    if code is not None:
        return vocabulary[code]
    return text[:1].upper() + text[1:]


@functools.lru_cache(maxsize=4096)  # a file compares the same few words thousands of times
def slug(text: str) -> str:
    """Accents, case, spaces, dashes, underscores and apostrophes never matter."""
    return re.sub(r"[\s'’_-]+", "-", normalise_key(text)).strip("-")
