"""The categories a participant is described with: codes in the data and events, French labels
for people. Registration offers them on its forms; the surveys report counts by them."""

from __future__ import annotations

from shared.edition import normalise_key

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


def code_for(vocabulary: dict[str, str], text: str) -> str | None:
    """The code of a code or a label, whatever the accents, case, spaces or apostrophes."""
    key = _slug(text)
    for code, label in vocabulary.items():
        if key in (_slug(code), _slug(label)):
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


def _slug(text: str) -> str:
    key = normalise_key(text)
    for sep in (" ", "'", "’", "_"):
        key = key.replace(sep, "-")
    return key.replace("reseau-d-accompagnement", "reseau-accompagnement")
