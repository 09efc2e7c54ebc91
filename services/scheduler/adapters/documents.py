"""Agenda documents: the calendar file (RFC 5545) and the printable one-page PDF."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import icalendar
import segno
from fpdf import FPDF

from services.scheduler.service_layer.agenda import Agenda
from shared.french import french_date

PRODID = "-//PES 21//Rencontres du financement de l'ESS//FR"
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))


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


class _Pdf(FPDF):
    def __init__(self) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.unicode = False
        for folder in FONT_DIRS:
            regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
            if regular.exists() and bold.exists():
                self.add_font("DejaVu", "", str(regular))
                self.add_font("DejaVu", "B", str(bold))
                self.unicode = True
                break
        self.family_name = "DejaVu" if self.unicode else "helvetica"

    def text_safe(self, text: str) -> str:
        if self.unicode:
            return text
        text = text.replace("–", "-").replace("’", "'").replace("…", "...")
        return text.encode("latin-1", "replace").decode("latin-1")

    def write_line(self, text: str, size: float = 11, bold: bool = False, height: float = 6):
        self.set_font(self.family_name, "B" if bold else "", size)
        self.multi_cell(0, height, self.text_safe(text), new_x="LMARGIN", new_y="NEXT")


def agenda_pdf(agenda: Agenda, url: str) -> bytes:
    """A one-page A4 agenda with a QR code leading back to the agenda page."""
    edition = agenda.edition
    pdf = _Pdf()
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    pdf.set_margins(15, 15, 15)
    qr = io.BytesIO()
    segno.make(url, error="m").save(qr, kind="png", scale=4, border=2)
    qr.seek(0)
    pdf.image(qr, x=160, y=12, w=35, h=35)
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
