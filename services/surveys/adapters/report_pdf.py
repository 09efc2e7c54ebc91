"""The evaluation report as a PDF (fpdf2): tables and bar charts, A4, in French. Labels wrap
inside their cell: nothing is cut."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from services.surveys.adapters.report_text import (
    budget_rows,
    fr,
    meetings_rows,
    participants_rows,
    role_rows,
    satisfaction_rows,
)
from services.surveys.domain.report import HOLDER, Counts, EditionReport, SurveyFigures
from shared.formats.pdf import unicode_font
from shared.french import french_date

log = logging.getLogger(__name__)

ACCENT = (0, 90, 112)
LINE = 4.6  # mm, the height of a line of 9-point text


class ReportPDF(FPDF):
    def __init__(self, title: str, author: str) -> None:
        super().__init__(format="A4")
        self.report_title = title
        font = unicode_font()  # else the PDF core font
        if font:
            self.add_font("Body", "", str(font[0]))
            self.add_font("Body", "B", str(font[1]))
            self.family = "Body"
            self.unicode = True
        else:
            self.family = "Helvetica"
            self.unicode = False
        self.set_auto_page_break(True, margin=15)
        self.set_title(title)
        self.set_author(author)

    def t(self, text: str) -> str:
        """Text the chosen font can draw: the core font only knows Latin-1."""
        text = text.replace("\u202f", " ").replace("\xa0", " ")
        if self.unicode:
            return text
        text = text.replace("–", "-").replace("—", "-").replace("’", "'").replace("€", "EUR")
        text = text.replace("−", "-")
        return text.encode("latin-1", "replace").decode("latin-1")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.family, "", 8)
        self.cell(0, 5, self.t(f"{self.report_title} – page {self.page_no()}"), align="C")

    def heading(self, text: str, size: int = 13) -> None:
        if self.get_y() > 235:
            self.add_page()
        self.ln(3 if size > 11 else 1)
        self.set_font(self.family, "B", size)
        self.set_text_color(*ACCENT)
        self.multi_cell(0, size * 0.5 + 1, self.t(text), new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)
        self.set_font(self.family, "", 10)

    def paragraph(self, text: str) -> None:
        self.set_font(self.family, "", 10)
        self.multi_cell(0, 5, self.t(text), new_x="LMARGIN", new_y="NEXT")

    def quote(self, text: str, source: str) -> None:
        """A participant's words, indented (the Unicode font may have no italics), then where
        they come from in small grey letters."""
        if self.get_y() > 255:
            self.add_page()
        self.set_x(self.l_margin + 6)
        self.set_font(self.family, "", 10)
        self.multi_cell(0, 5, self.t(f"« {text} »"), new_x="LMARGIN", new_y="NEXT")
        self.set_x(self.l_margin + 6)
        self.set_font(self.family, "", 8)
        self.set_text_color(90, 90, 90)
        self.multi_cell(0, 4, self.t(source), new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)
        self.set_font(self.family, "", 10)
        self.ln(2)

    def rows(
        self,
        rows: list[list[str]],
        widths: list[float],
        header: bool = True,
        text_columns: int = 1,
        bold: Callable[[list[str]], bool] = lambda row: False,
    ) -> None:
        """A table whose cells wrap their text; the header row repeats on a new page. The
        first `text_columns` are left-aligned, the figures after them right-aligned."""
        if not rows:
            return
        self.set_font(self.family, "", 9)
        self.set_fill_color(255, 255, 255)
        self.set_draw_color(160, 160, 160)
        align = (*(["LEFT"] * text_columns), *(["RIGHT"] * (len(widths) - text_columns)))
        with self.table(
            col_widths=widths,
            width=sum(widths),
            align="LEFT",
            text_align=align,
            first_row_as_headings=header,
            headings_style=FontFace(emphasis="BOLD", fill_color=(232, 240, 242)),
            cell_fill_mode="NONE",
            borders_layout="HORIZONTAL_LINES",
            line_height=LINE,
            padding=(0.8, 1),
        ) as table:
            for row in rows:
                style = FontFace(emphasis="BOLD") if bold(row) else None
                table.row([self.t(cell) for cell in row], style=style)
        self.ln(2)

    def bars(self, items: Counts, total: int | None = None) -> None:
        if not items:
            return
        peak = max(v for _, v in items) or 1
        self.set_font(self.family, "", 9)
        for label, value in items:
            text = self.t(label)
            lines = self.multi_cell(62, LINE, text, dry_run=True, output="LINES")
            assert isinstance(lines, list)
            height = max(5.5, LINE * len(lines) + 0.9)
            if self.get_y() + height > self.h - 18:
                self.add_page()
            y = self.get_y()
            self.set_x(self.l_margin)
            self.multi_cell(62, LINE, text)
            self.set_fill_color(227, 233, 235)
            self.rect(75, y + 0.6, 90, 3.4, style="F")
            self.set_fill_color(*ACCENT)
            self.rect(75, y + 0.6, 90 * value / peak, 3.4, style="F")
            self.set_xy(168, y)
            share = f" ({round(100 * value / total)} %)" if total else ""
            self.cell(30, LINE, self.t(f"{value}{share}"))
            self.set_xy(self.l_margin, y + height)
        self.ln(1)

    def logo(self, path: Path | None) -> None:
        """The organisation's logo, top left, 20 mm high; an unreadable file is left out."""
        if path is None:
            return
        try:
            self.image(str(path), x=self.l_margin, y=self.t_margin, h=20)
        except (OSError, ValueError, RuntimeError) as error:  # Pillow and fpdf2 say it so
            log.warning("report logo left out: %s", type(error).__name__)
            return
        self.set_y(self.t_margin + 23)


def _survey(pdf: ReportPDF, s: SurveyFigures, widths: tuple[float, float]) -> None:
    rows = role_rows(s)
    groups = len(rows[0]) - 2
    pdf.rows(
        rows, [widths[0], widths[1], *([(190 - sum(widths)) / groups] * groups)], text_columns=2
    )


def report_pdf(report: EditionReport) -> bytes:
    m = report.masthead
    title = f"Rapport d'évaluation – édition {report.edition_id}"
    pdf = ReportPDF(title, m.organisation)
    pdf.add_page()
    pdf.logo(m.logo)
    pdf.set_font(pdf.family, "B", 12)
    pdf.multi_cell(0, 6, pdf.t(m.organisation), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font(pdf.family, "B", 18)
    pdf.set_text_color(*ACCENT)
    pdf.multi_cell(0, 9, pdf.t(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(pdf.family, "B", 11)
    pdf.multi_cell(0, 6, pdf.t(report.title), new_x="LMARGIN", new_y="NEXT")
    place = f", {report.venue}" if report.venue else ""
    pdf.paragraph(f"{french_date(report.date, weekday=True).capitalize()}{place}.")
    pdf.paragraph(f"Action menée par {m.organisation}. Financeur : {m.funder}.")
    p = report.participants

    pdf.heading("Participants")
    pdf.rows(participants_rows(report), [90, 40, 40])
    pdf.paragraph(
        f"Acteurs associatifs présents : {p.associations_present}. "
        f"Experts et financeurs présents : {p.experts_present}."
    )
    pdf.heading("Porteurs présents par forme juridique", 11)
    pdf.bars(p.holders_by_legal_form, p.present[HOLDER])
    pdf.heading("Porteurs présents par stade du projet", 11)
    pdf.bars(p.holders_by_stage, p.present[HOLDER])
    pdf.heading("Experts et financeurs présents par type d'organisation", 11)
    pdf.bars(p.experts_by_organisation_type, p.experts_present)
    pdf.heading("Présents par commune", 11)
    pdf.bars(p.present_by_commune, sum(p.present.values()))

    pdf.heading("Rendez-vous")
    pdf.rows(meetings_rows(report), [90, 40], header=False)

    pdf.heading("Évaluations par les participants")
    pdf.paragraph(
        f"Satisfaction globale : {fr(report.overall_satisfaction, 2)} / 5 ; "
        f"taux de réponse global : {fr(report.overall_response_rate, suffix=' %')}."
    )
    pdf.rows(satisfaction_rows(report), [72, 16, 32, 18, 28, 14])
    for s in report.sessions:
        pdf.heading(s.label, 11)
        _survey(pdf, s, (70, 36))

    if report.quotes:
        pdf.heading("Paroles de participants", 11)
        for q in report.quotes:
            pdf.quote(q.text, f"— {q.role}, {q.source}")

    pdf.heading("Suites de la journée (questionnaire de suivi)")
    if report.ex_post:
        e = report.ex_post
        pdf.paragraph(
            f"{e.answered} réponse(s) sur {e.invited} porteurs interrogés "
            f"({fr(e.response_rate, suffix=' %')})."
        )
        _survey(pdf, e, (90, 50))
    else:
        pdf.paragraph("Le questionnaire de suivi n'a pas encore été envoyé.")

    pdf.heading("Budget : prévisionnel et réalisé")
    # Chapters and totals in bold, their lines (indented) in plain text.
    pdf.rows(budget_rows(report), [100, 30, 30, 30], bold=lambda row: not row[0].startswith(" "))
    return bytes(pdf.output())
