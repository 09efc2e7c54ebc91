"""The PDF base: text fitted into a box is shrunk, then wrapped, never cut; without DejaVu the
core font still writes Latin-1 text."""

from __future__ import annotations

import io

import pypdf
import pytest

from shared.formats import pdf as base

WORDS = "Société coopérative d'intérêt collectif des énergies citoyennes de la Côte-d'Or"


def _text(document: base.Document) -> str:
    reader = pypdf.PdfReader(io.BytesIO(document.pdf_bytes()))
    return "".join(reader.pages[0].extract_text().split())


@pytest.mark.parametrize(
    "text", [WORDS, "Wolfeschlegelsteinhausenbergerdorffvoralternwarengewissenhaft", "Zoé"]
)
def test_fit_shrinks_then_wraps_and_keeps_every_letter(text: str):
    document = base.Document()
    document.add_page()
    height = document.fit(text, 10, 10, 40, 9, size=20, smallest=8, bold=True)
    if text == "Zoé":
        assert document.font_size_pt == 20 and height < 9  # fits as it is
    else:
        assert document.font_size_pt < 20  # shrunk first
    assert _text(document) == "".join(text.split())


def test_text_that_fits_at_no_size_runs_past_the_box_whole():
    document = base.Document()
    document.add_page()
    height = document.fit(WORDS * 3, 10, 40, 40, 5, size=12, smallest=6)
    assert height > 5 and document.font_size_pt == 6
    assert _text(document) == "".join((WORDS * 3).split())


def test_without_dejavu_the_core_font_writes_latin_1(monkeypatch):
    monkeypatch.setattr(base, "unicode_font", lambda: None)
    document = base.Document()
    document.add_page()
    assert not document.unicode
    document.fit("Éloïse Øster – « Écume »", 10, 10, 100, 10, size=12, smallest=8)
    assert _text(document) == "ÉloïseØster-«Écume»"
