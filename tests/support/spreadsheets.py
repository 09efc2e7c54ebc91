"""Formula-shaped values, and checks that a CSV or XLSX file the platform wrote runs none."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from shared.formats.cells import FORMULA_TRIGGERS

# What someone may type in a name, an organisation, a town or a free text, and a spreadsheet
# would run (a formula, or DDE through a leading tab or carriage return).
FORMULAS = (
    '=HYPERLINK("http://evil.example/x","clic")',
    "+1",
    "-2",
    "@SUM(A1)",
    "\tx",
    "\rx",
)


def _check_text(value: str, where: str) -> None:
    assert not value.startswith(FORMULA_TRIGGERS), f"{where}: {value!r} would run"


def csv_cells(text: str, delimiter: str = ",") -> list[list[str]]:
    """Every row of `text`, every cell checked: none starts with a formula trigger."""
    rows = list(
        csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), delimiter=delimiter)
    )
    for n, row in enumerate(rows, start=1):
        for cell in row:
            _check_text(cell, f"ligne {n}")
    return rows


def xlsx_cells(content: bytes) -> dict[str, list[tuple[object, ...]]]:
    """Every sheet's values, every cell checked: no formula, no text starting with a trigger."""
    book = load_workbook(io.BytesIO(content))
    sheets = {}
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"
                if isinstance(cell.value, str):
                    _check_text(cell.value, f"{sheet.title}!{cell.coordinate}")
        sheets[sheet.title] = list(sheet.iter_rows(values_only=True))
    return sheets


def quoted(value: str) -> str:
    """How the platform writes `value` in a cell: after a `'` when it would run."""
    return "'" + value if value.lstrip("'").startswith(FORMULA_TRIGGERS) else value
