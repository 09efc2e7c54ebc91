"""Aggregation of answers: exact counts, means, rates."""

from __future__ import annotations

from services.surveys.domain.aggregate import (
    net_promoter,
    question_result,
    rate,
    results,
    satisfaction,
)
from services.surveys.domain.defaults import DAY, EX_POST

ANSWERS = [
    {
        "organisation": 5,
        "qualite_rdv": 4,
        "rdv": {"m1": 5, "m2": 3},
        "reviendrait": True,
        "recommandation": 10,
        "commentaires": "Bravo",
    },
    {"organisation": 4, "qualite_rdv": 2, "reviendrait": False, "recommandation": 6},
    {
        "organisation": 3,
        "qualite_rdv": 5,
        "rdv": {"m3": 4},
        "reviendrait": True,
        "recommandation": 9,
        "commentaires": "Trop court",
    },
]


def by_id(items):
    return {r.question.id: r for r in items}


def test_results_per_question():
    r = by_id(results(DAY, ANSWERS))
    assert r["organisation"].answered == 3
    assert r["organisation"].mean == 4.0
    assert r["organisation"].counts == {"1": 0, "2": 0, "3": 1, "4": 1, "5": 1}
    assert r["qualite_rdv"].mean == 3.67
    assert r["rdv"].answered == 2 and r["rdv"].mean == 4.0
    assert r["rdv"].counts == {"1": 0, "2": 0, "3": 1, "4": 1, "5": 1}
    assert r["reviendrait"].counts == {"oui": 2, "non": 1}
    assert r["recommandation"].counts["10"] == 1 and len(r["recommandation"].counts) == 11
    assert r["commentaires"].texts == ("Bravo", "Trop court")


def test_satisfaction_averages_only_one_to_five_ratings():
    # organisation 5,4,3 and qualite_rdv 4,2,5: 23 / 6
    assert satisfaction(DAY, ANSWERS) == 3.83
    assert satisfaction(DAY, []) is None


def test_net_promoter_and_rates():
    assert net_promoter([10, 6, 9]) == 33  # 2 promoters, 1 detractor out of 3
    assert net_promoter([]) is None
    assert rate(1, 3) == 33.3
    assert rate(0, 0) is None


def test_choices_and_numbers():
    answers = [
        {
            "financement_obtenu": True,
            "financeurs": ["Banque", "Fondation"],
            "montant": "Plus de 50 000 €",
            "emplois": 2,
        },
        {"financement_obtenu": True, "financeurs": ["Banque"], "emplois": 3},
        {"financement_obtenu": False},
    ]
    r = by_id(results(EX_POST, answers))
    assert r["financeurs"].counts["Banque"] == 2 and r["financeurs"].counts["Fondation"] == 1
    assert r["financeurs"].answered == 2
    assert r["montant"].counts["Plus de 50 000 €"] == 1
    assert r["emplois"].total == 5 and r["emplois"].mean == 2.5
    assert question_result(EX_POST[1], answers).counts == {"oui": 2, "non": 1}
