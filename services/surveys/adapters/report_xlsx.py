"""The evaluation report and the comparison of editions as spreadsheets (openpyxl)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where a spreadsheet is made: 35 MB the service may never need
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

from services.surveys.domain.report import (
    EXPERT,
    GROUP_LABELS,
    HOLDER,
    VENUE,
    ComparisonRow,
    Counts,
    EditionReport,
    SurveyFigures,
)
from shared.formats.spreadsheets import xlsx_row
from shared.french import french_date


def _workbook() -> Workbook:
    from openpyxl import Workbook

    return Workbook()


def _bold() -> object:
    from openpyxl.styles import Font

    return Font(bold=True)


def _sheet(
    wb: Workbook, title: str, rows: Sequence[Sequence[object]], widths: Sequence[int]
) -> Worksheet:
    ws = wb.create_sheet(title)
    for row in rows:
        ws.append(xlsx_row(row))
    if rows:
        for cell in ws[1]:
            cell.font = _bold()
    for i, width in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + i)].width = width
    return ws


def _counts(title: str, items: Counts) -> list[list[object]]:
    return [[title, ""], *([label, count] for label, count in items), ["", ""]]


def _per_group(s: SurveyFigures, values: Mapping[str, object]) -> list[object]:
    """One cell per group, holders, experts, venue, everyone; a lone group is also everyone."""
    if len(s.groups) == 1:
        values = {**values, "": values[s.groups[0].key]}
    return [values.get(k) for k in (HOLDER, EXPERT, VENUE, "")]


def report_xlsx(r: EditionReport) -> bytes:
    """Numbers stay numbers (percentages as 0-100, amounts in euros) so they can be reworked."""
    wb = _workbook()
    wb.remove(wb.active)
    head = r.masthead
    _sheet(
        wb,
        "Rapport",
        [
            ["Rapport d'évaluation", f"édition {r.edition_id}"],
            ["Organisation", head.organisation],
            ["Financeur", head.funder],
            ["Titre", r.title],
            ["Date", french_date(r.date, weekday=True)],
            ["Lieu", r.venue],
        ],
        [24, 70],
    )
    p = r.participants
    _sheet(
        wb,
        "Participants",
        [
            ["Rôle", "Inscrits", "Présents"],
            ["Porteurs de projet", p.registered["porteur"], p.present["porteur"]],
            ["Experts et financeurs", p.registered["expert"], p.present["expert"]],
            ["Acteurs associatifs présents", None, p.associations_present],
            [],
            *_counts("Porteurs présents par forme juridique", p.holders_by_legal_form),
            *_counts("Porteurs présents par stade", p.holders_by_stage),
            *_counts("Experts par type d'organisation", p.experts_by_organisation_type),
            *_counts("Présents par commune", p.present_by_commune),
        ],
        [40, 12, 12],
    )
    m = r.meetings
    _sheet(
        wb,
        "Rendez-vous",
        [
            ["Rendez-vous", "Nombre"],
            ["Planifiés", m.planned],
            ["Tenus", m.held],
            ["Manqués", m.missed],
        ],
        [30, 12],
    )
    _sheet(
        wb,
        "Satisfaction",
        [
            [
                "Temps",
                "Invités",
                "Réponses",
                "Réponses sur place",
                "Taux de réponse (%)",
                "Satisfaction (/5)",
                "NPS",
            ],
            *(
                [
                    s.label,
                    s.invited,
                    s.answered,
                    s.anonymous,
                    s.response_rate,
                    s.satisfaction,
                    s.net_promoter,
                ]
                for s in r.sessions
            ),
            [
                "Ensemble",
                sum(s.invited for s in r.sessions),
                sum(s.answered for s in r.sessions),
                sum(s.anonymous for s in r.sessions),
                r.overall_response_rate,
                r.overall_satisfaction,
                None,
            ],
        ],
        [60, 10, 10, 18, 20, 18, 8],
    )
    rows: list[list[object]] = [["Question", "Réponse", "Nombre"]]
    if r.ex_post:
        for res in r.ex_post.results:
            if res.question.type.value == "text":
                continue
            rows += [[res.question.text, label, n] for label, n in res.counts.items()]
            if res.total is not None:
                rows.append([res.question.text, "Total", res.total])
    _sheet(wb, "Suivi", rows, [60, 30, 10])
    if r.quotes:  # the sheet only when the operator chose comments to quote
        said = [[q.source, q.role, q.text] for q in r.quotes]
        header = ["Questionnaire", "Rôle", "Parole de participant"]
        _sheet(wb, "Paroles", [header, *said], [40, 22, 90])
    keys = (HOLDER, EXPERT, VENUE, "")
    by_role: list[list[object]] = [
        ["Questionnaire", "Question", "Détail", *(GROUP_LABELS[k] for k in keys)]
    ]
    for s in (*r.sessions, *([r.ex_post] if r.ex_post else [])):
        by_role.append(
            [
                s.label,
                "Nombre de réponses",
                "",
                *_per_group(s, {g.key: g.answered for g in s.groups}),
            ]
        )
        for line in s.lines:
            values = dict(zip((g.key for g in s.groups), line.values, strict=True))
            by_role.append([s.label, line.question, line.detail, *_per_group(s, values)])
    _sheet(wb, "Par rôle", by_role, [40, 60, 26, 12, 12, 12, 12])
    b = r.budget
    _sheet(
        wb,
        "Budget",
        [
            ["Compte", "Libellé", "Prévisionnel (€)", "Réalisé (€)", "Écart (€)"],
            *(
                [
                    line.code,
                    line.label,
                    line.forecast_cents / 100,
                    None if line.actual_cents is None else line.actual_cents / 100,
                    None if line.gap_cents is None else line.gap_cents / 100,
                ]
                for line in b.rows
            ),
            [
                "solde",
                "Solde (produits - charges)",
                b.balance_forecast_cents / 100,
                None if b.balance_actual_cents is None else b.balance_actual_cents / 100,
                None,
            ],
        ],
        [8, 55, 16, 14, 12],
    )
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def comparison_xlsx(rows: Sequence[ComparisonRow]) -> bytes:
    wb = _workbook()
    wb.remove(wb.active)
    _sheet(
        wb,
        "Éditions",
        [
            [
                "Édition",
                "Inscrits",
                "Présents",
                "Porteurs présents",
                "Experts présents",
                "Associations présentes",
                "RDV planifiés",
                "RDV tenus",
                "Satisfaction (/5)",
                "Taux de réponse (%)",
                "NPS",
                "Dépenses réalisées (€)",
            ],
            *(
                [
                    x.edition_id,
                    x.registered,
                    x.present,
                    x.holders_present,
                    x.experts_present,
                    x.associations_present,
                    x.meetings_planned,
                    x.meetings_held,
                    x.overall_satisfaction,
                    x.overall_response_rate,
                    x.net_promoter,
                    None if x.charges_actual_cents is None else x.charges_actual_cents / 100,
                ]
                for x in rows
            ),
        ],
        [10] + [14] * 11,
    )
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
