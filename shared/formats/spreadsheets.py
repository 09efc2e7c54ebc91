"""Tables as files people open in a French spreadsheet program: a CSV that Excel and
LibreOffice open as columns with the accents right (`;`, UTF-8 with BOM, CRLF), and XLSX.

Every cell goes through `spreadsheet_text` (see cells.py). The first row is the header."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

from shared.formats.cells import spreadsheet_row, write_rows

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Table = Iterable[Sequence[object]]


def _french(value: object) -> object:
    """A cell as a French spreadsheet reads it back from text: `10:00`, `19/11/2026`, `4,5`."""
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, float | Decimal):
        return str(value).replace(".", ",")
    return value


def french_csv(rows: Table) -> bytes:
    """UTF-8 with BOM (Excel then reads the accents right), `;` (the separator of a French
    Excel), CRLF; cells with `;`, quotes or line breaks quoted as CSV requires."""
    buffer = io.StringIO()
    write_rows(
        buffer,
        ([_french(v) for v in row] for row in rows),
        delimiter=";",
        lineterminator="\r\n",
    )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_row(values: Iterable[object]) -> list[object]:
    """A row of any XLSX the platform writes: no cell a spreadsheet runs (`spreadsheet_row`),
    and no control character other than tab and line breaks, which XLSX cannot store at all
    (openpyxl would raise on them)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return [
        ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v
        for v in spreadsheet_row(values)
    ]


def xlsx(rows: Table, title: str, widths: Sequence[int] = ()) -> bytes:
    """One sheet named `title`, its header in bold and frozen; times shown as `HH:MM`, dates
    as `JJ/MM/AAAA`, numbers left numbers so they can be reworked."""
    # openpyxl (35 MB in a process) when a spreadsheet is asked for, not in every service.
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(xlsx_row(row))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            if isinstance(cell.value, dt.datetime):
                cell.number_format = "DD/MM/YYYY HH:MM"
            elif isinstance(cell.value, dt.time):
                cell.number_format = "HH:MM"
            elif isinstance(cell.value, dt.date):
                cell.number_format = "DD/MM/YYYY"
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
