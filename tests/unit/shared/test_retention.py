"""The retention's cutoff and how the notice states its duration."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from shared.retention import french_duration, months_before
from shared.settings import BaseServiceSettings

NOON = dt.time(12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2026, 12, 3), 12, dt.date(2025, 12, 3)),
        (dt.date(2026, 3, 31), 1, dt.date(2026, 2, 28)),
        (dt.date(2028, 3, 31), 1, dt.date(2028, 2, 29)),
        (dt.date(2026, 1, 15), 1, dt.date(2025, 12, 15)),
        (dt.date(2026, 5, 31), 18, dt.date(2024, 11, 30)),
    ],
)
def test_months_before_keeps_the_day_or_takes_the_months_last(day, months, expected):
    moment = dt.datetime.combine(day, NOON)
    assert months_before(moment, months) == dt.datetime.combine(expected, NOON)


def test_the_notice_says_years_when_it_can():
    assert [french_duration(m) for m in (12, 18, 24, 36, 6)] == [
        "un an",
        "18 mois",
        "deux ans",
        "3 ans",
        "6 mois",
    ]


def test_the_setting_is_read_from_the_environment_and_bounded(monkeypatch):
    assert BaseServiceSettings().retention_months == 12
    monkeypatch.setenv("RETENTION_MONTHS", "18")
    assert BaseServiceSettings().retention_months == 18
    monkeypatch.setenv("RETENTION_MONTHS", "0")
    with pytest.raises(ValidationError):
        BaseServiceSettings()
