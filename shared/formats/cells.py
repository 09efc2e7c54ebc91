"""What goes into a cell of every CSV or XLSX file the platform writes."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, TypeVar, overload

# A spreadsheet runs a cell that starts with one of these (a formula, or DDE through a tab or
# a carriage return): what people typed must stay text.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Values a spreadsheet stores as themselves: never a formula, so they are written unchanged
# (a negative number stays a number; `bool` is an `int`).
Plain = TypeVar("Plain", int, float, Decimal, dt.date, dt.time, dt.datetime, None)


@overload
def spreadsheet_text(value: str) -> str: ...
@overload
def spreadsheet_text(value: Plain) -> Plain: ...
@overload
def spreadsheet_text(value: object) -> object: ...
def spreadsheet_text(value: object) -> object:
    """`value` as a cell that no spreadsheet runs: text that starts a formula (after any `'`)
    gets a `'` in front; numbers, dates and empty cells (None) stay what they are; anything
    else is written as its text, with the same care."""
    if value is None or isinstance(value, int | float | Decimal | dt.date | dt.time):
        return value
    text = value if isinstance(value, str) else str(value)
    return "'" + text if _starts_a_formula(text) else text


def _starts_a_formula(text: str) -> bool:
    # Text already quoted once (`'=x`) is quoted again, so that `unescape_text` gives it back.
    return text.lstrip("'").startswith(FORMULA_TRIGGERS)


def spreadsheet_row(values: Iterable[object]) -> list[object]:
    """Every cell of a row through `spreadsheet_text`."""
    return [spreadsheet_text(v) for v in values]


def unescape_text(value: str) -> str:
    """What `spreadsheet_text` wrote, read back: the `'` it added dropped."""
    return value[1:] if value.startswith("'") and _starts_a_formula(value) else value


def write_rows(out: Any, rows: Iterable[Iterable[object]], **dialect: Any) -> None:
    """`rows` as CSV into `out` (a text stream), every cell through `spreadsheet_text`.

    A row with a carriage return in a cell is written with every cell quoted: the `csv` module
    quotes only the characters of the line terminator, and a bare CR left unquoted ends the row
    for whoever reads the file."""
    writer = csv.writer(out, **dialect)
    careful = csv.writer(out, quoting=csv.QUOTE_ALL, **dialect)
    for values in rows:
        row = spreadsheet_row(values)
        has_cr = any(isinstance(v, str) and "\r" in v for v in row)
        (careful if has_cr else writer).writerow(row)
