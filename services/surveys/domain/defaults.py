"""The French questionnaires every edition starts from; the operator edits its own copy."""

from __future__ import annotations

from services.surveys.domain.questions import Condition, Question, QuestionType
from shared.events.surveys import SurveyKind

R, S, M, YN, N, T = (
    QuestionType.RATING,
    QuestionType.SINGLE,
    QuestionType.MULTIPLE,
    QuestionType.YES_NO,
    QuestionType.NUMBER,
    QuestionType.TEXT,
)

RATING_HELP = "1 = pas du tout satisfait·e, 5 = très satisfait·e"
INTEREST_HELP = "1 = pas du tout intéressé·e, 5 = très intéressé·e"
USEFULNESS_HELP = "1 = pas utile, 5 = très utile"

CONFERENCE: tuple[Question, ...] = (
    Question(
        "interet",
        "Le thème de la conférence vous a-t-il intéressé·e ?",
        R,
        required=True,
        help=INTEREST_HELP,
    ),
    Question(
        "intervenants",
        "Qualité des intervenantes et intervenants",
        R,
        required=True,
        help=RATING_HELP,
    ),
    Question(
        "utilite",
        "Ce que vous avez entendu vous sera-t-il utile pour votre projet ?",
        R,
        required=True,
        help=USEFULNESS_HELP,
    ),
    Question("commentaires", "Une remarque, une suggestion de thème ?", T),
)

DAY: tuple[Question, ...] = (
    Question(
        "organisation",
        "Organisation de la journée (accueil, horaires, lieu)",
        R,
        required=True,
        help=RATING_HELP,
    ),
    Question(
        "qualite_rdv",
        "Qualité des rendez-vous dans leur ensemble",
        R,
        required=True,
        help=RATING_HELP,
    ),
    Question(
        "rdv", "Votre avis sur chacun de vos rendez-vous", QuestionType.MEETINGS, help=RATING_HELP
    ),
    Question("reviendrait", "Participeriez-vous à la prochaine édition ?", YN, required=True),
    Question(
        "recommandation",
        "Recommanderiez-vous cette journée à une autre structure de l'ESS ?",
        R,
        required=True,
        scale_min=0,
        scale_max=10,
        help="0 = pas du tout, 10 = certainement",
    ),
    Question("commentaires", "Commentaires et suggestions", T),
)

AMOUNT_BANDS = (
    "Moins de 5 000 €",
    "De 5 000 à 20 000 €",
    "De 20 000 à 50 000 €",
    "Plus de 50 000 €",
)
FUNDERS = (
    "Banque",
    "Fondation",
    "Collectivité",
    "Finance solidaire",
    "Réseau d'accompagnement",
    "Autre",
)

EX_POST: tuple[Question, ...] = (
    Question(
        "contacts_suivis",
        "Avez-vous poursuivi les échanges avec des contacts de la journée ?",
        YN,
        required=True,
    ),
    Question(
        "financement_obtenu",
        "Avez-vous obtenu un financement depuis la journée ?",
        YN,
        required=True,
    ),
    Question(
        "financeurs",
        "Auprès de qui ?",
        M,
        options=FUNDERS,
        show_if=Condition("financement_obtenu", ("oui",)),
    ),
    Question(
        "montant",
        "Montant obtenu",
        S,
        options=AMOUNT_BANDS,
        show_if=Condition("financement_obtenu", ("oui",)),
    ),
    Question("financement_participatif", "Avez-vous lancé un financement participatif ?", YN),
    Question("relation_bancaire", "Avez-vous ouvert une relation bancaire ?", YN),
    Question("emplois", "Emplois créés ou maintenus grâce à ces suites", N),
    Question("commentaires", "Ce que la journée a changé pour votre projet", T),
)

DEFAULT_QUESTIONS: dict[SurveyKind, tuple[Question, ...]] = {
    SurveyKind.CONFERENCE: CONFERENCE,
    SurveyKind.DAY: DAY,
    SurveyKind.EX_POST: EX_POST,
}

KIND_LABELS: dict[SurveyKind, str] = {
    SurveyKind.CONFERENCE: "Conférence",
    SurveyKind.DAY: "Évaluation de la journée",
    SurveyKind.EX_POST: "Questionnaire de suivi",
}


def default_title(kind: SurveyKind, session_title: str = "") -> str:
    if kind is SurveyKind.CONFERENCE:
        return (
            f"Votre avis sur la conférence : {session_title}"
            if session_title
            else ("Votre avis sur la conférence")
        )
    if kind is SurveyKind.DAY:
        return "Votre avis sur la journée des Rencontres du financement de l'ESS"
    return "Et depuis la journée ? Questionnaire de suivi"
