"""What the service says to people, in French, for each thing that can go wrong."""

from __future__ import annotations

FIELD_LABELS = {
    "prenom": "Prénom",
    "nom": "Nom",
    "email": "Adresse email",
    "telephone": "Téléphone",
    "structure": "Structure",
    "forme": "Forme juridique ou type de structure",
    "stade": "Stade du projet",
    "commune": "Commune",
    "thematiques": "Thématiques",
    "souhaits": "Personnes ou structures à rencontrer",
    "refus": "Personnes ou structures à ne pas rencontrer",
    "conferences": "Conférences",
    "disponibilite": "Disponibilité",
    "rdv_max": "Nombre maximum de rendez-vous",
    "repas": "Repas d'affaires",
    "accessibilite": "Besoins d'accessibilité",
    "consentement_partage": "Partage du profil",
    "consentement_contact": "Contact pour les prochaines éditions",
}

ERRORS = {
    "unknown_edition": "Cette édition n'existe pas.",
    "unknown_participant": "Cette inscription n'existe pas ou a été effacée.",
    "registration_not_yet": "Les inscriptions ne sont pas encore ouvertes.",
    "registration_closed": "Les inscriptions sont closes.",
    "registration_past": "La journée a eu lieu : les inscriptions sont closes.",
    "role_conflict": (
        "Cette adresse est déjà inscrite avec l'autre profil (porteur de projet ou expert). "
        "Écrivez-nous pour changer de profil."
    ),
    "email_taken": "Cette adresse est déjà utilisée par une autre inscription.",
    "cannot_annule": "Cette inscription est déjà annulée.",
    "not_cancelled": "Cette inscription n'est pas annulée.",
    "cannot_inscrit": "Seule une personne en liste d'attente peut être inscrite ainsi.",
    "csrf": (
        "Le formulaire a expiré ou a été ouvert dans un autre onglet. "
        "Vérifiez vos réponses et envoyez-le de nouveau."
    ),
    "rate_limited": "Trop de tentatives. Merci de réessayer dans un moment.",
}


def error_message(code: str) -> str:
    return ERRORS.get(code, "Une erreur est survenue.")
