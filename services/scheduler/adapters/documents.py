"""The scheduler's documents: the calendar file (RFC 5545), the printable one-page agenda and
the experts' table sheets (PDF, on shared/formats/pdf.py)."""

from __future__ import annotations

import datetime as dt

import icalendar
from fpdf.fonts import FontFace

from services.scheduler.service_layer.agenda import Agenda
from services.scheduler.service_layer.table_sheets import TableSheet
from shared.edition import EditionSettings
from shared.formats.pdf import Document
from shared.french import french_date

PRODID = "-//PES 21//Rencontres du financement de l'ESS//FR"


def agenda_ics(agenda: Agenda, now: dt.datetime) -> str:
    """One VEVENT per meeting, conference and lunch, in the edition's time zone (VTIMEZONE)."""
    edition = agenda.edition
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", edition.title)
    cal.add("x-wr-timezone", edition.timezone)
    # Only the transitions around the day: a short VTIMEZONE every calendar understands.
    cal.add_component(
        icalendar.Timezone.from_tzid(
            edition.timezone,
            first_date=edition.date.replace(month=1, day=1),
            last_date=edition.date.replace(year=edition.date.year + 1, month=1, day=1),
        )
    )
    for n, item in enumerate(agenda.items):
        event = icalendar.Event()
        key = item.counterpart_id or item.kind
        event.add("uid", f"{edition.edition_id}-{agenda.participant_id}-{key}-{n}@rencontres")
        event.add("dtstamp", now.astimezone(dt.UTC))
        event.add("dtstart", item.start)
        event.add("dtend", item.end)
        event.add("summary", item.title)
        location = edition.venue
        if item.table:
            location = f"{edition.venue} – table {item.table}"
        event.add("location", location)
        lines = []
        if item.table:
            lines.append(f"Table : {item.table}")
        if item.counterpart_organisation:
            lines.append(f"Structure : {item.counterpart_organisation}")
        if item.detail:
            lines.append(item.detail)
        if lines:
            event.add("description", "\n".join(lines))
        cal.add_component(event)
    return cal.to_ical().decode("utf-8")


class _Pdf(Document):
    def text_safe(self, text: str) -> str:
        return self.t(text)

    def write_line(self, text: str, size: float = 11, bold: bool = False, height: float = 6):
        self.set_font(self.family_name, "B" if bold else "", size)
        self.multi_cell(0, height, self.t(text), new_x="LMARGIN", new_y="NEXT")


def agenda_pdf(agenda: Agenda, url: str) -> bytes:
    """A one-page A4 agenda with a QR code leading back to the agenda page."""
    edition = agenda.edition
    pdf = _Pdf()
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    pdf.set_margins(15, 15, 15)
    pdf.qr(url, x=160, y=12, size=35)
    pdf.set_xy(15, 15)
    pdf.set_right_margin(55)
    pdf.write_line(edition.title, size=15, bold=True, height=7)
    pdf.write_line(f"{french_date(edition.date, weekday=True)} – {edition.venue}", size=10)
    who = "Porteur de projet" if agenda.role.value == "porteur" else "Expert / financeur"
    if agenda.contact is not None:
        name = agenda.contact.name
        org = agenda.contact.organisation
        pdf.write_line(f"{name} – {org}" if org else name, size=12, bold=True)
    pdf.write_line(f"Mon agenda ({who})", size=11)
    pdf.set_right_margin(15)
    pdf.set_y(max(pdf.get_y(), 52) + 4)
    lines = len(agenda.items)
    height = 7 if lines <= 20 else max(4.5, 200 / max(lines, 1))
    pdf.set_fill_color(235, 235, 235)
    pdf.set_font(pdf.family_name, "B", 10)
    for label, width in (("Heure", 28), ("Table", 18), ("Quoi", 134)):
        pdf.cell(width, height, label, border=1, fill=True)
    pdf.ln(height)
    pdf.set_font(pdf.family_name, "", 10)
    for item in agenda.items:
        when = f"{item.start:%H:%M}–{item.end:%H:%M}"
        what = item.title
        if item.detail and item.kind != "rendez-vous":
            what += f" ({item.detail})"
        pdf.cell(28, height, pdf.text_safe(when), border=1)
        pdf.cell(18, height, item.table, border=1)
        pdf.cell(134, height, pdf.text_safe(_fit(pdf, what, 132)), border=1)
        pdf.ln(height)
    if not agenda.items:
        pdf.write_line("Aucun rendez-vous pour le moment.", size=11)
    pdf.set_y(270)
    pdf.write_line(f"Agenda à jour en ligne : {url}", size=7, height=4)
    return bytes(pdf.output())


def _fit(pdf: _Pdf, text: str, width: float) -> str:
    safe = pdf.text_safe(text)
    while safe and pdf.get_string_width(safe) > width:
        safe = safe[:-2] + "…" if pdf.unicode else safe[:-4] + "..."
    return safe


SHEET_ACCENT = (0, 90, 112)
SHEET_COLUMNS = (("Heure", 27), ("Porteur de projet", 40), ("Structure", 45),
                 ("Thématiques", 40), ("Raison", 28))  # fmt: skip


def table_sheets_pdf(edition: EditionSettings, sheets: list[TableSheet]) -> bytes:
    """One A4 page per expert (more if their meetings need it): the table in large type,
    the expert, then the day's meetings; every cell wraps, nothing is cut."""
    pdf = Document()
    pdf.set_title(f"Fiches de table – {edition.title}")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=15)
    day = f"{french_date(edition.date, weekday=True).capitalize()} – {edition.venue}"
    for sheet in sheets:
        pdf.add_page()
        tables = ", ".join(sheet.tables)
        pdf.set_fill_color(*SHEET_ACCENT)
        pdf.rect(140, 12, 55, 24, style="F")
        pdf.set_text_color(255, 255, 255)
        pdf.set_font(pdf.family_name, "", 9)
        pdf.set_xy(140, 13.5)
        pdf.cell(55, 5, "TABLE" if len(sheet.tables) == 1 else "TABLES", align="C")
        pdf.fit(tables, 142, 19, 51, 15, size=30, smallest=10, bold=True, align="C")
        pdf.set_text_color(0, 0, 0)
        pdf.set_font(pdf.family_name, "", 9)
        pdf.set_xy(15, 12)
        pdf.multi_cell(120, 4.5, pdf.t(f"{edition.title}\n{day}"), new_x="LMARGIN", new_y="NEXT")
        y = pdf.get_y() + 3
        y += pdf.fit(sheet.organisation or "Expert", 15, y, 120, 16, 18, 11, bold=True)
        if sheet.name:
            y += pdf.fit(sheet.name, 15, y, 120, 10, 13, 9)
        pdf.set_y(max(y, 38) + 5)
        pdf.set_font(pdf.family_name, "B", 11)
        pdf.set_text_color(*SHEET_ACCENT)
        count = len(sheet.meetings)
        pdf.cell(0, 6, f"{count} rendez-vous", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
        pdf.ln(1)
        pdf.set_font(pdf.family_name, "", 10)
        pdf.set_draw_color(160, 160, 160)
        pdf.set_fill_color(255, 255, 255)
        with pdf.table(
            col_widths=[w for _, w in SHEET_COLUMNS],
            width=sum(w for _, w in SHEET_COLUMNS),
            align="LEFT",
            text_align="LEFT",
            first_row_as_headings=True,
            headings_style=FontFace(emphasis="BOLD", fill_color=(232, 240, 242)),
            cell_fill_mode="NONE",
            borders_layout="HORIZONTAL_LINES",
            line_height=5,
            padding=(1.5, 1),
        ) as table:
            table.row([label for label, _ in SHEET_COLUMNS])
            for m in sheet.meetings:
                table.row(
                    [
                        # Another table than the sheet's (a meeting moved): said beside it.
                        pdf.t(f"{m.start:%H:%M}–{m.end:%H:%M}")
                        + (f"\n{m.table}" if len(sheet.tables) > 1 else ""),
                        pdf.t(m.holder_name or "—"),
                        pdf.t(m.holder_organisation or "—"),
                        pdf.t(", ".join(m.topics)),
                        pdf.t(m.reason),
                    ]
                )
    return pdf.pdf_bytes()
