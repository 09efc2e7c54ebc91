"""`rencontres surveys run-due --now`: the date an operator gives is read as Paris time."""

from __future__ import annotations

import datetime as dt

import click
import pytest

from services.surveys.entrypoints.cli import parse_now


def test_a_date_without_zone_is_paris_time():
    assert parse_now("2027-01-05T10:00") == dt.datetime(2027, 1, 5, 9, 0, tzinfo=dt.UTC)
    assert parse_now("2027-07-05") == dt.datetime(2027, 7, 4, 22, 0, tzinfo=dt.UTC)


def test_a_zone_given_is_kept():
    assert parse_now("2027-01-05T10:00+00:00") == dt.datetime(2027, 1, 5, 10, 0, tzinfo=dt.UTC)


def test_a_bad_date_is_refused_in_french():
    with pytest.raises(click.BadParameter, match="date invalide"):
        parse_now("demain")
