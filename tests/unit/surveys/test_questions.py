"""Questionnaires: defaults are valid, conditions show and hide, forms are validated."""

from __future__ import annotations

import pytest

from services.surveys.domain.defaults import DAY, DEFAULT_QUESTIONS, EX_POST
from services.surveys.domain.questions import (
    Condition,
    Meeting,
    Question,
    QuestionType,
    SurveyError,
    check_questionnaire,
    dump_questions,
    load_questions,
    meeting_field,
    move,
    remove,
    scores,
    validate,
    visible,
)


@pytest.mark.parametrize("kind", list(DEFAULT_QUESTIONS))
def test_defaults_are_valid_and_survive_a_round_trip(kind):
    questions = DEFAULT_QUESTIONS[kind]
    check_questionnaire(questions)
    assert load_questions(dump_questions(questions)) == questions


def test_conditional_question_is_shown_only_when_the_earlier_answer_matches():
    ids = [q.id for q in visible(EX_POST, {"financement_obtenu": True})]
    assert "financeurs" in ids and "montant" in ids
    ids = [q.id for q in visible(EX_POST, {"financement_obtenu": False})]
    assert "financeurs" not in ids and "montant" not in ids
    assert "montant" not in [q.id for q in visible(EX_POST, {})]


def test_answers_to_a_hidden_question_are_dropped_and_not_required():
    form = {
        "contacts_suivis": ["oui"],
        "financement_obtenu": ["non"],
        "montant": ["Plus de 50 000 €"],
        "financeurs": ["Banque"],
        "emplois": ["2"],
    }
    result = validate(EX_POST, form)
    assert result.ok
    assert result.answers == {"contacts_suivis": True, "financement_obtenu": False, "emplois": 2}


def test_a_shown_conditional_question_is_validated():
    form = {
        "contacts_suivis": ["oui"],
        "financement_obtenu": ["oui"],
        "financeurs": ["Banque", "Fondation", "Inconnu"],
        "montant": ["De 5 000 à 20 000 €"],
    }
    result = validate(EX_POST, form)
    assert result.errors == {"financeurs": "Choix inconnu."}
    form["financeurs"] = ["Fondation", "Banque"]
    result = validate(EX_POST, form)
    assert result.ok
    assert result.answers["financeurs"] == ["Banque", "Fondation"]  # in the options' order
    assert result.answers["montant"] == "De 5 000 à 20 000 €"


def test_chained_conditions_hide_grandchildren():
    qs = (
        Question("a", "A ?", QuestionType.YES_NO),
        Question(
            "b", "B ?", QuestionType.SINGLE, options=("x", "y"), show_if=Condition("a", ("oui",))
        ),
        Question("c", "C ?", QuestionType.TEXT, required=True, show_if=Condition("b", ("x",))),
    )
    check_questionnaire(qs)
    assert validate(qs, {"a": ["non"], "b": ["x"]}).ok
    assert validate(qs, {"a": ["oui"], "b": ["x"]}).errors == {
        "c": "Merci de répondre à cette question."
    }


def test_required_ratings_and_scales():
    result = validate(DAY, {"organisation": ["6"], "qualite_rdv": ["4"], "reviendrait": ["oui"]})
    assert result.errors == {
        "organisation": "Choisissez une note de 1 à 5.",
        "recommandation": "Merci de répondre à cette question.",
    }
    result = validate(
        DAY,
        {
            "organisation": ["5"],
            "qualite_rdv": ["4"],
            "reviendrait": ["oui"],
            "recommandation": ["0"],
        },
    )
    assert result.ok and result.answers["recommandation"] == 0


def test_each_meeting_is_rated_and_only_ratings_become_scores():
    meetings = [Meeting("m1", "10:00"), Meeting("m2", "10:30")]
    form = {
        "organisation": ["5"],
        "qualite_rdv": ["4"],
        "reviendrait": ["oui"],
        "recommandation": ["9"],
        meeting_field("rdv", "m1"): ["5"],
        meeting_field("rdv", "m2"): ["2"],
        meeting_field("rdv", "forged"): ["1"],
        "commentaires": ["Très bien"],
    }
    result = validate(DAY, form, meetings)
    assert result.ok
    assert result.answers["rdv"] == {"m1": 5, "m2": 2}
    assert scores(DAY, result.answers) == {
        "organisation": 5,
        "qualite_rdv": 4,
        "rdv:m1": 5,
        "rdv:m2": 2,
        "recommandation": 9,
    }


def test_numbers_and_text():
    qs = (Question("n", "N", QuestionType.NUMBER), Question("t", "T", QuestionType.TEXT))
    assert validate(qs, {"n": ["1 200"]}).answers == {"n": 1200}
    assert validate(qs, {"n": ["-1"]}).errors == {"n": "Indiquez un nombre entre 0 et 1 000 000."}
    assert validate(qs, {"n": ["deux"]}).errors == {"n": "Indiquez un nombre entier."}
    assert validate(qs, {"t": ["x" * 5001]}).errors == {"t": "5000 caractères au plus."}


def test_editing_checks():
    with pytest.raises(SurveyError, match="doit la précéder"):
        check_questionnaire(
            (
                Question("b", "B", QuestionType.TEXT, show_if=Condition("a", ("oui",))),
                Question("a", "A", QuestionType.YES_NO),
            )
        )
    with pytest.raises(SurveyError, match="deux choix"):
        check_questionnaire((Question("a", "A", QuestionType.SINGLE, options=("x",)),))
    with pytest.raises(SurveyError, match="identifiant"):
        check_questionnaire((Question("a", "A", QuestionType.TEXT),) * 2)
    moved = move(EX_POST, "montant", -1)
    assert [q.id for q in moved][2:4] == ["montant", "financeurs"]
    assert move(EX_POST, "inconnue", 1) == tuple(EX_POST)  # removed meanwhile: nothing moves
    assert move((), "commentaires", -1) == ()
    removed = remove(EX_POST, "financement_obtenu")
    assert all(q.show_if is None for q in removed)
    check_questionnaire(removed)
