"""The base of every printed document (fpdf2): A4, a Unicode font when the system has one
(Debian: fonts-dejavu-core), else the PDF core font with text reduced to Latin-1; text fitted
into a box by shrinking then wrapping, never cut; a QR code as an image."""

from __future__ import annotations

import io
from pathlib import Path

import segno
from fpdf import FPDF

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
# What the core font cannot draw, as readers expect it in plain text.
_PLAIN = {"–": "-", "—": "-", "’": "'", "…": "...", "€": "EUR", "−": "-"}


def unicode_font() -> tuple[Path, Path] | None:
    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            return regular, bold
    return None


class Document(FPDF):
    """An A4 page in millimetres with the family `self.family_name` in regular and bold."""

    def __init__(self, orientation: str = "P") -> None:
        super().__init__(orientation=orientation, unit="mm", format="A4")
        font = unicode_font()
        self.unicode = font is not None
        if font is not None:
            self.add_font("Body", "", str(font[0]))
            self.add_font("Body", "B", str(font[1]))
        self.family_name = "Body" if self.unicode else "helvetica"

    def t(self, text: str) -> str:
        """Text the chosen font can draw."""
        text = text.replace("\u202f", " ").replace("\xa0", " ")
        if self.unicode:
            return text
        for wide, plain in _PLAIN.items():
            text = text.replace(wide, plain)
        return text.encode("latin-1", "replace").decode("latin-1")

    def fit(
        self,
        text: str,
        x: float,
        y: float,
        w: float,
        h: float,
        size: float,
        smallest: float,
        bold: bool = False,
        align: str = "L",
    ) -> float:
        """Writes `text` in the box at the largest size from `size` down to `smallest` at
        which it fits, on as many lines as it needs (a word too long for a line is broken);
        if it fits at no size, at `smallest` past the box's bottom rather than cut. Returns
        the height written."""
        safe = self.t(text)
        style = "B" if bold else ""
        current = size
        while True:
            self.set_font(self.family_name, style, current)
            line = current * 0.3528 * 1.18  # points to mm, and the leading
            if "\n" not in safe and self.get_string_width(safe) <= w - 2 * self.c_margin:
                count = 1  # one line: no need to break it into lines (the slow part)
            else:
                lines = self.multi_cell(w, line, safe, dry_run=True, output="LINES")
                assert isinstance(lines, list)
                count = len(lines)
            if count * line <= h + 0.01 or current <= smallest:
                break
            # Big steps while far from fitting, then half points.
            current = max(smallest, current - (2 if count * line > 2 * h else 0.5))
        self.set_xy(x, y)
        if count == 1:
            self.cell(w, line, safe, align=align)
        else:
            self.multi_cell(w, line, safe, align=align)
        return count * line

    def qr(self, payload: str, x: float, y: float, size: float) -> None:
        """A QR code (error correction M, quiet zone of 2 modules included in `size`),
        4 pixels a module so that no viewer blurs it."""
        image = io.BytesIO()
        segno.make_qr(payload, error="m").save(image, kind="png", scale=4, border=2)
        image.seek(0)
        self.image(image, x=x, y=y, w=size, h=size)

    def pdf_bytes(self) -> bytes:
        return bytes(self.output())
