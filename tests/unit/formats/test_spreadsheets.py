"""The files a French spreadsheet opens: CSV with `;`, BOM and CRLF, and XLSX."""

from __future__ import annotations

import csv
import datetime as dt
import io

from openpyxl import load_workbook

from shared.formats.spreadsheets import french_csv, xlsx


def test_csv_writes_values_as_a_french_spreadsheet_reads_them():
    raw = french_csv(
        [
            ["Heure", "Date", "Note", "Texte"],
            [dt.time(9, 5), dt.date(2026, 11, 19), 4.5, "ligne\rcoupée; « ok »"],
        ]
    )
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert text.startswith("Heure;Date;Note;Texte\r\n")
    # A bare CR in a cell is quoted: the row does not end there for whoever reads it.
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows[1] == ["09:05", "19/11/2026", "4,5", "ligne\rcoupée; « ok »"]


def test_xlsx_keeps_times_as_times_and_drops_what_it_cannot_store():
    content = xlsx([["Début", "Texte"], [dt.time(10, 0), "a\x01b\tc"]], "Feuille", (8, 20))
    sheet = load_workbook(io.BytesIO(content))["Feuille"]
    assert sheet["A1"].font.b and sheet.freeze_panes == "A2"
    assert sheet["A2"].value == dt.time(10, 0) and sheet["A2"].number_format == "HH:MM"
    # XLSX cannot hold most control characters; a tab inside a text stays.
    assert sheet["B2"].value == "ab\tc"
    assert sheet.column_dimensions["B"].width == 20
