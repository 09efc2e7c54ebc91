"""Schedule export: one CSV row per appointment, as operators and partners receive it."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass

from shared.formats.cells import unescape_text, write_rows

HEADER = (
    "date",
    "debut",
    "fin",
    "table",
    "expert_email",
    "expert_structure",
    "porteur_email",
    "porteur_structure",
)


@dataclass(frozen=True, order=True)
class ScheduleRow:
    # Field order is the sort order of the file: start time, then table.
    date: dt.date
    start: dt.time
    end: dt.time
    table: int
    expert_email: str
    expert_organisation: str
    holder_email: str
    holder_organisation: str


def table_label(number: int) -> str:
    return f"T{number:02d}"


def write_schedule(rows: Iterable[ScheduleRow]) -> str:
    """The CSV text: UTF-8 (no BOM), comma-separated, LF line ends, local `HH:MM` times; an
    email or organisation that would start a formula is written with a `'` in front."""
    out = io.StringIO()
    lines = [
        (
            row.date.isoformat(),
            row.start.strftime("%H:%M"),
            row.end.strftime("%H:%M"),
            table_label(row.table),
            row.expert_email,
            row.expert_organisation,
            row.holder_email,
            row.holder_organisation,
        )
        for row in sorted(rows, key=lambda r: (r.date, r.start, r.table))
    ]
    write_rows(out, [HEADER, *lines], lineterminator="\n")
    return out.getvalue()


class ScheduleFormatError(ValueError):
    pass


def read_schedule(text: str) -> list[ScheduleRow]:
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    header = next(reader, None)
    if header is None or tuple(header) != HEADER:
        raise ScheduleFormatError(f"en-tête attendu : {','.join(HEADER)}")
    rows = []
    for line, cells in enumerate(reader, start=2):
        try:
            date, start, end, table, e_mail, e_org, h_mail, h_org = map(unescape_text, cells)
            if not table.startswith("T"):
                raise ValueError(table)
            rows.append(
                ScheduleRow(
                    date=dt.date.fromisoformat(date),
                    start=dt.datetime.strptime(start, "%H:%M").time(),
                    end=dt.datetime.strptime(end, "%H:%M").time(),
                    table=int(table[1:]),
                    expert_email=e_mail,
                    expert_organisation=e_org,
                    holder_email=h_mail,
                    holder_organisation=h_org,
                )
            )
        except ValueError as exc:
            raise ScheduleFormatError(f"ligne {line} : rendez-vous illisible ({exc})") from exc
    return rows
