"""Badges as a PDF (fpdf2, on shared/formats/pdf.py): A4 sheets of ten 90 x 55 mm badges,
two columns of five, with cut marks in the margins. Each badge: a band in the colour of the
role with the day's date, the first name and the name in large type, the organisation, the
edition's name, and a QR code of the desk's check-in address with its code printed under it.
Names shrink, then wrap: never cut."""

from __future__ import annotations

from services.registration.service_layer.badges import Badge
from shared.edition import EditionSettings
from shared.events import Role
from shared.formats.pdf import Document
from shared.french import french_date
from shared.vocabulary import ROLES

WIDTH, HEIGHT = 90.0, 55.0
COLUMNS, ROWS = 2, 5
LEFT = (210 - COLUMNS * WIDTH) / 2  # 15 mm
TOP = (297 - ROWS * HEIGHT) / 2  # 11 mm
PER_PAGE = COLUMNS * ROWS
COLOURS = {Role.HOLDER: (0, 90, 112), Role.EXPERT: (150, 62, 20)}
BAND = 10.0
PAD = 5.0
QR = 22.0
TEXT_WIDTH = WIDTH - 2 * PAD - QR - 2


def badges_pdf(edition: EditionSettings, badges: list[Badge]) -> bytes:
    pdf = Document()
    pdf.set_title(f"Badges – {edition.title}")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    day = french_date(edition.date)
    for n, badge in enumerate(badges):
        if n % PER_PAGE == 0:
            pdf.add_page()
            _cut_marks(pdf, rows=-(-min(PER_PAGE, len(badges) - n) // COLUMNS))
        column, row = n % COLUMNS, (n % PER_PAGE) // COLUMNS
        _badge(pdf, LEFT + column * WIDTH, TOP + row * HEIGHT, badge, edition.title, day)
    return pdf.pdf_bytes()


def _badge(pdf: Document, x: float, y: float, badge: Badge, footer: str, day: str) -> None:
    # A faint outline: the badge's edge where two badges touch, for whoever cuts.
    pdf.set_draw_color(225, 225, 225)
    pdf.set_line_width(0.1)
    pdf.rect(x, y, WIDTH, HEIGHT)
    pdf.set_fill_color(*COLOURS[badge.role])
    pdf.rect(x, y, WIDTH, BAND, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_font(pdf.family_name, "B", 10)
    pdf.set_xy(x + PAD, y)
    pdf.cell(WIDTH - 2 * PAD, BAND, pdf.t(ROLES[badge.role].upper()))
    pdf.set_font(pdf.family_name, "", 8)
    pdf.set_xy(x + PAD, y)
    pdf.cell(WIDTH - 2 * PAD, BAND, pdf.t(day), align="R")

    pdf.set_text_color(0, 0, 0)
    top = y + BAND + 3.5
    top += pdf.fit(badge.first_name, x + PAD, top, TEXT_WIDTH, 9, 20, 10, bold=True)
    top += pdf.fit(badge.last_name, x + PAD, top, TEXT_WIDTH, 8.5, 17, 9, bold=True)
    top += 1.5
    room = y + HEIGHT - 9 - top
    pdf.set_text_color(60, 60, 60)
    pdf.fit(badge.organisation, x + PAD, top, TEXT_WIDTH, room, 11, 6)

    qr_x, qr_y = x + WIDTH - PAD - QR, y + BAND + 3
    pdf.qr(badge.url, qr_x, qr_y, QR)
    pdf.set_text_color(90, 90, 90)
    pdf.set_font(pdf.family_name, "", 6)
    pdf.set_xy(qr_x - 2, qr_y + QR)
    pdf.cell(QR + 4, 3, badge.code, align="C")

    pdf.set_text_color(90, 90, 90)
    pdf.fit(footer, x + PAD, y + HEIGHT - 6.5, WIDTH - 2 * PAD, 4, 7.5, 5)
    pdf.set_text_color(0, 0, 0)


def _cut_marks(pdf: Document, rows: int) -> None:
    """Short lines in the margins, in line with every edge of the rows used: cut from mark
    to mark."""
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.2)
    right, bottom = LEFT + COLUMNS * WIDTH, TOP + rows * HEIGHT
    for i in range(COLUMNS + 1):
        edge = LEFT + i * WIDTH
        pdf.line(edge, TOP - 6, edge, TOP - 2)
        pdf.line(edge, bottom + 2, edge, bottom + 6)
    for j in range(rows + 1):
        edge = TOP + j * HEIGHT
        pdf.line(LEFT - 9, edge, LEFT - 3, edge)
        pdf.line(right + 3, edge, right + 9, edge)
