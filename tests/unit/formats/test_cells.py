import datetime as dt
from decimal import Decimal

import pytest

from shared.formats.cells import spreadsheet_row, spreadsheet_text, unescape_text
from shared.formats.schedule import ScheduleRow, read_schedule, write_schedule
from tests.support.spreadsheets import FORMULAS, csv_cells


@pytest.mark.parametrize("value", FORMULAS)
def test_text_that_would_run_gets_a_quote_in_front(value: str) -> None:
    assert spreadsheet_text(value) == "'" + value
    assert unescape_text(spreadsheet_text(value)) == value


@pytest.mark.parametrize("value", ["Les Jardins du Suzon", "", "'Les Amis'", "a=b", "2026"])
def test_plain_text_is_unchanged(value: str) -> None:
    assert spreadsheet_text(value) == value
    assert unescape_text(value) == value


def test_text_already_quoted_is_quoted_again_and_comes_back_as_it_was() -> None:
    for value in ("'=1", "''+1"):
        assert spreadsheet_text(value) == "'" + value
        assert unescape_text(spreadsheet_text(value)) == value


def test_numbers_dates_and_empty_cells_stay_what_they_are() -> None:
    values = [-2, 0, 3.75, -54.5, Decimal("-1.50"), True, dt.date(2026, 11, 19), None]
    assert spreadsheet_row(values) == values
    assert all(type(a) is type(b) for a, b in zip(spreadsheet_row(values), values, strict=True))


def test_other_values_are_written_as_their_text() -> None:
    class Odd:
        def __str__(self) -> str:
            return "=1+1"

    assert spreadsheet_text(Odd()) == "'=1+1"


def test_the_schedule_runs_no_formula_and_reads_back_exactly() -> None:
    day = dt.date(2026, 11, 19)
    rows = [
        ScheduleRow(day, dt.time(10), dt.time(10, 30), n + 1, f"{v}@x.example", v, "'" + v, v)
        for n, v in enumerate(FORMULAS)
    ]
    text = write_schedule(rows)
    cells = csv_cells(text)
    assert cells[1][5] == "'" + FORMULAS[0] and cells[1][6] == "''" + FORMULAS[0]
    assert read_schedule(text) == rows
