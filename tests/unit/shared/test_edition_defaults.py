"""The action sheet's day for an edition id: its year when the id is one, else the next day;
never an exception for an id someone typed into an address."""

from __future__ import annotations

import datetime as dt

import pytest

from shared.edition import default_edition, default_edition_for


def test_an_edition_named_by_its_year_is_the_third_thursday_of_its_november():
    edition = default_edition_for("2030")
    assert edition.edition_id == "2030" and edition.date == dt.date(2030, 11, 21)


@pytest.mark.parametrize("edition_id", ["0000", "0", "99999", "٢٠٢٧", "²⁰²⁷", "printemps", ""])
def test_any_other_id_gets_the_next_day(edition_id: str):
    edition = default_edition_for(edition_id)
    assert edition.date == default_edition().date
    assert edition.edition_id == (edition_id or str(edition.date.year))
