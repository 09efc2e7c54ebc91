"""What goes into a cell of every CSV or XLSX file the platform writes."""

from __future__ import annotations

# A spreadsheet runs a cell that starts with one of these (a formula, or DDE through a tab or
# a carriage return): what people typed must stay text.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value: str) -> str:
    """`value` as a cell that no spreadsheet runs: prefixed with ' when it starts a formula."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value
