"""The evaluation report as a PDF (fpdf2): tables and bar charts, A4, in French."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

from services.surveys.adapters.report_text import (
    budget_rows,
    ex_post_rows,
    fr,
    meetings_rows,
    participants_rows,
    satisfaction_rows,
)
from services.surveys.domain.report import HOLDER, Counts, EditionReport

# A Unicode font when the system has one (Debian: fonts-dejavu-core); else the PDF core font.
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
ACCENT = (0, 90, 112)


def _unicode_font() -> tuple[Path, Path] | None:
    for d in FONT_DIRS:
        regular, bold = d / "DejaVuSans.ttf", d / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            return regular, bold
    return None


class ReportPDF(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(format="A4")
        self.report_title = title
        font = _unicode_font()
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
        self.set_author("PES 21")

    def t(self, text: str) -> str:
        """Text the chosen font can draw: the core font only knows Latin-1."""
        text = text.replace("\u202f", " ").replace("\xa0", " ")
        if self.unicode:
            return text
        text = text.replace("–", "-").replace("—", "-").replace("’", "'").replace("€", "EUR")
        return text.encode("latin-1", "replace").decode("latin-1")

    def fit(self, text: str, width: float) -> str:
        """The text, shortened with an ellipsis to fit the cell's width (in mm)."""
        text = self.t(text)
        if self.get_string_width(text) <= width:
            return text
        ellipsis = "…" if self.unicode else "..."
        while text and self.get_string_width(text + ellipsis) > width:
            text = text[:-1]
        return text.rstrip() + ellipsis

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.family, "", 8)
        self.cell(0, 5, self.t(f"{self.report_title} – page {self.page_no()}"), align="C")

    def heading(self, text: str) -> None:
        if self.get_y() > 240:
            self.add_page()
        self.ln(3)
        self.set_font(self.family, "B", 13)
        self.set_text_color(*ACCENT)
        self.cell(0, 8, self.t(text), new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)
        self.set_font(self.family, "", 10)

    def paragraph(self, text: str) -> None:
        self.set_font(self.family, "", 10)
        self.multi_cell(0, 5, self.t(text), new_x="LMARGIN", new_y="NEXT")

    def rows(self, rows: list[list[str]], widths: list[float], header: bool = True) -> None:
        for i, row in enumerate(rows):
            bold = header and i == 0
            self.set_font(self.family, "B" if bold else "", 9)
            height = 6
            if self.get_y() + height > self.h - 18:
                self.add_page()
            for j, (cell, width) in enumerate(zip(row, widths, strict=False)):
                self.cell(
                    width,
                    height,
                    self.fit(cell, width - 2),
                    border="B",
                    align="L" if j == 0 else "R",
                )
            self.ln(height)
        self.ln(2)

    def bars(self, items: Counts, total: int | None = None) -> None:
        if not items:
            return
        peak = max(v for _, v in items) or 1
        self.set_font(self.family, "", 9)
        for label, value in items:
            if self.get_y() + 6 > self.h - 18:
                self.add_page()
            y = self.get_y()
            self.cell(60, 5, self.fit(label, 58))
            self.set_fill_color(227, 233, 235)
            self.rect(75, y + 0.8, 90, 3.6, style="F")
            self.set_fill_color(*ACCENT)
            self.rect(75, y + 0.8, 90 * value / peak, 3.6, style="F")
            self.set_x(168)
            share = f" ({round(100 * value / total)} %)" if total else ""
            self.cell(30, 5, self.t(f"{value}{share}"))
            self.ln(5.5)
        self.ln(1)


def report_pdf(report: EditionReport) -> bytes:
    title = f"Rapport d'évaluation – édition {report.edition_id}"
    pdf = ReportPDF(title)
    pdf.add_page()
    pdf.set_font(pdf.family, "B", 18)
    pdf.multi_cell(0, 9, pdf.t(title), new_x="LMARGIN", new_y="NEXT")
    pdf.paragraph(
        f"{report.title} – {report.date}. PES 21, Dijon. Action financée par la Ville de Dijon."
    )
    p = report.participants

    pdf.heading("Participants")
    pdf.rows(participants_rows(report), [90, 40, 40])
    pdf.paragraph(
        f"Acteurs associatifs présents : {p.associations_present}. "
        f"Experts et financeurs présents : {p.experts_present}."
    )
    pdf.heading("Porteurs présents par forme juridique")
    pdf.bars(p.holders_by_legal_form, p.present[HOLDER])
    pdf.heading("Porteurs présents par stade du projet")
    pdf.bars(p.holders_by_stage, p.present[HOLDER])
    pdf.heading("Experts et financeurs par type d'organisation")
    pdf.bars(p.experts_by_organisation_type, p.experts_present)
    pdf.heading("Présents par commune")
    pdf.bars(p.present_by_commune, sum(p.present.values()))

    pdf.heading("Rendez-vous")
    pdf.rows(meetings_rows(report), [90, 40], header=False)

    pdf.heading("Satisfaction")
    pdf.paragraph(
        f"Satisfaction globale : {fr(report.overall_satisfaction, 2)} / 5 ; "
        f"taux de réponse global : {fr(report.overall_response_rate, suffix=' %')}."
    )
    pdf.rows(satisfaction_rows(report), [72, 16, 32, 18, 28, 14])

    pdf.heading("Suites de la journée (questionnaire de suivi)")
    if report.ex_post:
        e = report.ex_post
        pdf.paragraph(
            f"{e.answered} réponse(s) sur {e.invited} porteurs interrogés "
            f"({fr(e.response_rate, suffix=' %')})."
        )
        pdf.rows(ex_post_rows(report), [110, 50, 20])
    else:
        pdf.paragraph("Le questionnaire de suivi n'a pas encore été envoyé.")

    pdf.heading("Budget : prévisionnel et réalisé")
    pdf.rows(budget_rows(report), [104, 26, 26, 24])
    return bytes(pdf.output())
