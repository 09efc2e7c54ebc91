"""Raw answers as a table: one row per response, one column per question, nobody named."""

from __future__ import annotations

from services.surveys.domain.aggregate import ERASED_TEXT, answers_table
from services.surveys.domain.defaults import EX_POST


def test_every_type_of_answer_becomes_a_cell():
    answers = [
        (
            "porteur",
            {
                "contacts_suivis": True,
                "financement_obtenu": True,
                "financeurs": ["Banque", "Fondation"],
                "montant": "De 5 000 à 20 000 €",
                "emplois": 3,
                "commentaires": ERASED_TEXT,
            },
        ),
        (None, {"contacts_suivis": False, "financement_obtenu": False}),
    ]
    table = answers_table(EX_POST, answers)
    assert table[0] == ["N°", "Répondant", *(q.text for q in EX_POST)]
    by_id = [dict(zip([q.id for q in EX_POST], row[2:], strict=True)) for row in table[1:]]
    assert table[1][:2] == [1, "Porteur"] and table[2][:2] == [2, "Sur place (QR code)"]
    assert by_id[0]["financeurs"] == "Banque; Fondation"
    assert by_id[0]["emplois"] == 3 and by_id[0]["contacts_suivis"] == "Oui"
    # An erased person's free text stays counted behind its marker, never shown.
    assert by_id[0]["commentaires"] == ERASED_TEXT
    assert by_id[1]["financement_obtenu"] == "Non" and by_id[1]["montant"] is None
