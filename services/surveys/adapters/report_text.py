"""The report's figures as rows of French text, shared by the PDF and the spreadsheet."""

from __future__ import annotations

from services.surveys.domain.budget import euros
from services.surveys.domain.report import EXPERT, HOLDER, EditionReport, SurveyFigures


def fr(value: float | int | None, digits: int = 1, suffix: str = "") -> str:
    if value is None:
        return "—"
    text = str(value) if isinstance(value, int) else f"{value:.{digits}f}".replace(".", ",")
    return text + suffix


def participants_rows(r: EditionReport) -> list[list[str]]:
    p = r.participants
    return [
        ["", "Inscrits", "Présents"],
        ["Porteurs de projet", str(p.registered[HOLDER]), str(p.present[HOLDER])],
        ["Experts et financeurs", str(p.registered[EXPERT]), str(p.present[EXPERT])],
        ["Total", str(sum(p.registered.values())), str(sum(p.present.values()))],
    ]


def meetings_rows(r: EditionReport) -> list[list[str]]:
    m = r.meetings
    return [
        ["Rendez-vous planifiés", str(m.planned)],
        ["Rendez-vous tenus", fr(m.held)],
        ["Rendez-vous manqués", fr(m.missed)],
    ]


def satisfaction_rows(r: EditionReport) -> list[list[str]]:
    rows = [["Temps", "Invités", "Réponses", "Taux", "Satisf. / 5", "NPS"]]
    for s in r.sessions:
        answered = str(s.answered) + (f" (+{s.anonymous} sur place)" if s.anonymous else "")
        rows.append(
            [
                s.label,
                str(s.invited),
                answered,
                fr(s.response_rate, suffix=" %"),
                fr(s.satisfaction, 2),
                fr(s.net_promoter),
            ]
        )
    rows.append(
        [
            "Ensemble",
            str(sum(s.invited for s in r.sessions)),
            str(sum(s.answered for s in r.sessions)),
            fr(r.overall_response_rate, suffix=" %"),
            fr(r.overall_satisfaction, 2),
            "",
        ]
    )
    return rows


def role_rows(s: SurveyFigures) -> list[list[str]]:
    """Each question's figures for holders, experts, the venue link and everyone (answers
    counted in the header); a question's words head its first line only."""
    rows = [["Question", "", *(f"{g.label} ({g.answered})" for g in s.groups)]]
    previous = ""
    for line in s.lines:
        values = [fr(v, 2) if line.is_mean else fr(v) for v in line.values]
        rows.append(["" if line.question == previous else line.question, line.detail, *values])
        previous = line.question
    return rows


def budget_rows(r: EditionReport) -> list[list[str]]:
    """Charges then receipts, each chapter followed by its lines (indented), then the balance."""
    b = r.budget
    rows = [["Compte", "Prévisionnel", "Réalisé", "Écart"]]
    for line in b.rows:
        label = line.label if line.is_chapter else f"    {line.code} {line.label}"
        rows.append(
            [label, euros(line.forecast_cents), euros(line.actual_cents), euros(line.gap_cents)]
        )
    balance = b.balance_actual_cents
    rows.append(["Solde (produits - charges)", euros(b.balance_forecast_cents), euros(balance), ""])
    return rows
