"""Report figures and budget as pure functions: exact numbers from plain facts."""

from __future__ import annotations

import datetime as dt

import pytest

from services.surveys.domain.budget import LINES, budget, chapter_label, euros, parse_euros
from services.surveys.domain.questions import Question, QuestionType
from services.surveys.domain.report import (
    EXPERT,
    HOLDER,
    ClosedSessionFacts,
    MeetingFacts,
    ParticipantFacts,
    RoleGroup,
    SurveyFacts,
    edition_report,
    meeting_figures,
    participant_figures,
)
from shared.events import SurveyKind
from shared.vocabulary import EXPERT_KINDS, HOLDER_LEGAL_FORMS


def test_participants_by_role_form_stage_and_commune():
    people = [
        ParticipantFacts("porteur", "inscrit", "association", "creation", "Dijon", True),
        ParticipantFacts("porteur", "inscrit", "Association", "developpement", "Chenôve", True),
        ParticipantFacts("porteur", "inscrit", "SCOP", "creation", None, True),
        ParticipantFacts("porteur", "inscrit", "association", "creation", "Dijon", False),
        ParticipantFacts("porteur", "annule", "association", "creation", "Dijon", False),
        ParticipantFacts("porteur", "liste-attente", "SCIC", "creation", "Dijon", False),
        ParticipantFacts("expert", "inscrit", "banque", None, "Dijon", True),
        ParticipantFacts("expert", "inscrit", "fondation", None, "Beaune", True),
        ParticipantFacts("expert", "inscrit", "banque", None, "Dijon", False),
    ]
    f = participant_figures(people)
    assert f.registered == {"porteur": 4, "expert": 3}
    assert f.present == {"porteur": 3, "expert": 2}
    assert f.associations_present == 2  # case and accents do not matter
    assert f.holders_by_legal_form == [("Association", 2), ("SCOP", 1)]
    assert f.holders_by_stage == [("Création", 2), ("Développement", 1)]
    assert f.present_by_commune == [
        ("Dijon", 2),
        ("Beaune", 1),
        ("Chenôve", 1),
        ("Non renseigné", 1),
    ]
    assert f.experts_present == 2
    assert f.experts_by_organisation_type == [("Banque", 1), ("Fondation", 1)]


def test_every_code_is_counted_under_its_french_label():
    """The codes of the events (as registration's forms send them) read as the forms show them."""
    holders = [
        ParticipantFacts("porteur", "inscrit", code, stage, "Dijon", True)
        for code in HOLDER_LEGAL_FORMS
        for stage in ("creation", "developpement")
    ]
    experts = [
        ParticipantFacts("expert", "inscrit", code, None, "Dijon", True) for code in EXPERT_KINDS
    ]
    f = participant_figures(holders + experts)
    assert dict(f.holders_by_legal_form) == {label: 2 for label in HOLDER_LEGAL_FORMS.values()}
    assert dict(f.experts_by_organisation_type) == {label: 1 for label in EXPERT_KINDS.values()}
    assert dict(f.holders_by_stage) == {"Création": 8, "Développement": 8}
    for expected in ("Coopérative", "SCIC", "En création", "Entreprise ESUS"):
        assert expected in dict(f.holders_by_legal_form)
    assert "Réseau d'accompagnement" in dict(f.experts_by_organisation_type)
    # A label written loosely, or a word from an older version, still reads well.
    loose = participant_figures(
        [
            ParticipantFacts("porteur", "inscrit", "Entreprise esus", None, None, True),
            ParticipantFacts("porteur", "inscrit", "collectif", None, None, True),
        ]
    )
    assert dict(loose.holders_by_legal_form) == {"Entreprise ESUS": 1, "Collectif": 1}


def test_meetings_planned_held_missed():
    slots = [MeetingFacts(False, None)] * 3 + [
        MeetingFacts(True, "absence"),
        MeetingFacts(True, "annulation"),
    ]
    closed = [
        ClosedSessionFacts("matin", "window", 0, 2, 1),
        ClosedSessionFacts("apres-midi", "window", 0, 1, 0),
        ClosedSessionFacts("journee", "day", 10, 3, 1),  # not added twice
    ]
    assert meeting_figures(slots, closed) == (m := meeting_figures(slots, closed))
    assert (m.planned, m.held, m.missed) == (4, 3, 1)
    only_day = meeting_figures(slots, [closed[2]])
    assert (only_day.held, only_day.missed) == (3, 1)
    nothing = meeting_figures(slots, [])
    assert (nothing.planned, nothing.held, nothing.missed) == (4, None, 1)


def test_budget_forecast_matches_the_action_sheet():
    b = budget({})
    chapters = {r.code: r.forecast_cents for r in b.charges if r.is_chapter}
    assert chapters == {"60": 200_00, "61": 0, "62": 260_00, "63": 0, "64": 3540_00}
    assert b.total_charges.forecast_cents == 4000_00
    assert b.total_receipts.forecast_cents == 4000_00
    assert b.balance_forecast_cents == 0
    assert b.total_charges.actual_cents is None and b.balance_actual_cents is None


def test_budget_chapters_follow_the_chart_of_accounts_of_associations():
    """A line adds up to the chapter of its account's first two digits: 613 Location de salles
    to « 61 – Services extérieurs », never to « 60 – Achats »."""
    rows = budget({}).rows
    labels = [r.label for r in rows]
    assert labels == [
        "60 – Achats",
        "Achat matières et fournitures",
        "61 – Services extérieurs",
        "Location de salles",
        "62 – Autres services extérieurs",
        "Communication, publicité",
        "Déplacements",
        "Autres : téléphone, internet, missions, réception",
        "63 – Impôts et taxes",
        "64 – Charges de personnel",
        "Rémunération des personnels",
        "Charges sociales",
        "Autres charges de personnel",
        "Total des charges",
        "74 – Subventions d'exploitation : Ville de Dijon / Dijon Métropole",
        "Total des produits",
    ]
    chapter = ""
    for r in rows:
        if r.is_chapter:
            chapter = r.code
        else:
            assert r.code[:2] == chapter, r
    for line in LINES:
        assert chapter_label(line.chapter).startswith(line.code[:2] + " – ")
        assert line.code.startswith(("60", "61", "62", "63", "64", "65", "68", "7"))


def test_budget_actuals_and_gaps():
    b = budget(
        {"601": 180_00, "613": 300_00, "625": 95_50, "623": 120_00, "641": 2410_00, "74": 4000_00}
    )
    rows = {r.code: r for r in b.charges}
    assert rows["60"].actual_cents == 180_00 and rows["60"].gap_cents == -20_00
    assert rows["61"].actual_cents == 300_00 and rows["61"].gap_cents == 300_00
    assert rows["62"].actual_cents == 215_50
    assert rows["63"].actual_cents is None
    assert b.total_charges.actual_cents == 3105_50
    assert b.total_receipts.actual_cents == 4000_00
    assert b.balance_actual_cents == 894_50


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("1 234,50", 123450),
        ("1234.5", 123450),
        ("200", 20000),
        ("", None),
        ("12 €", 1200),
        ("0,05", 5),
    ],
)
def test_parse_euros(text, cents):
    assert parse_euros(text) == cents


def test_parse_euros_refuses_nonsense_and_formats_in_french():
    for bad in ("douze", "1,234", "1.2.3"):
        with pytest.raises(ValueError):
            parse_euros(bad)
    assert euros(400000) == "4\u202f000 €"
    assert euros(394550) == "3\u202f945,50 €"
    assert euros(-2000) == "-20 €"
    assert euros(None) == "—"


def test_questionnaires_follow_the_day_and_results_split_by_role():
    """Conferences in the day's order (not their codes'), then the day; each questionnaire's
    figures for holders, experts, the venue link and everyone."""
    rating = Question("q", "Intérêt", QuestionType.RATING)

    def facts(key, hour, answers=(), roles=()):
        return SurveyFacts(
            SurveyKind.CONFERENCE, key, key, (rating,), answers, 3, len(answers), 0,
            starts=dt.time(hour), roles=roles,
        )  # fmt: skip

    report = edition_report(
        edition_id="2026",
        title="Rencontres",
        date=dt.date(2026, 11, 19),
        people=[],
        slots=[],
        closed=[],
        surveys=[
            facts("conference-matin", 10, ({"q": 5}, {"q": 3}, {"q": 4}), (HOLDER, EXPERT, None)),
            facts("conference-apres-midi", 14),
        ],
        budget=budget({}),
    )  # fmt: skip
    assert [s.session_key for s in report.sessions] == ["conference-matin", "conference-apres-midi"]
    morning = report.sessions[0]
    assert [(g.label, g.answered) for g in morning.groups] == [
        ("Porteurs", 1),
        ("Experts", 1),
        ("Sur place", 1),
        ("Ensemble", 3),
    ]
    assert [(x.detail, x.values) for x in morning.lines] == [
        ("Moyenne (1 à 5)", (5.0, 3.0, 4.0, 4.0))
    ]
    assert report.sessions[1].groups == (RoleGroup("", 0),) and report.sessions[1].lines[
        0
    ].values == (None,)


def test_the_comparison_workbook_drops_what_xlsx_cannot_store():
    """An edition id with a control character (any program could create one) still gives the
    workbook, the character left out."""
    import io

    from openpyxl import load_workbook

    from services.surveys.adapters.report_xlsx import comparison_xlsx
    from services.surveys.domain.report import ComparisonRow

    row = ComparisonRow("2026\x1f\x00x", 3, 2, 1, 1, 1, 2, 1, 4.5, 0.5, 10, None)
    sheet = load_workbook(io.BytesIO(comparison_xlsx([row])))["Éditions"]
    assert sheet["A2"].value == "2026x" and sheet["B2"].value == 3
