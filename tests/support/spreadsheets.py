"""Formula-shaped values, and checks that a CSV or XLSX file the platform wrote runs none."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from pathlib import Path

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


# -- LibreOffice ---------------------------------------------------------------------------
SOFFICE = shutil.which("soffice")
NO_SOFFICE = (
    "LibreOffice (soffice) is not installed here: the check that it opens the exports as "
    "columns with the accents right runs where it is (apt install libreoffice-calc)"
)
# LibreOffice's CSV filter options: separator `;` (59), text quoted by `"` (34), UTF-8 (76).
FRENCH_CSV_FILTER = "CSV:59,34,76"


def soffice_convert(source: Path, to: str, infilter: str | None = None) -> Path:
    """`source` converted by `soffice --headless --convert-to TO` into the same folder, with a
    profile of its own (two runs never share one)."""
    assert SOFFICE is not None, NO_SOFFICE
    profile = source.parent / "lo-profile"
    command = [
        SOFFICE,
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--norestore",
        "--convert-to",
        to,
        "--outdir",
        str(source.parent / "converted"),
        str(source),
    ]
    if infilter:
        command[3:3] = [f"--infilter={infilter}"]
    subprocess.run(command, check=True, capture_output=True, timeout=180)
    extension = to.split(":", 1)[0]
    converted = source.parent / "converted" / f"{source.stem}.{extension}"
    assert converted.exists(), f"soffice wrote no {converted.name}"
    return converted
