"""schemathesis over the scheduler's OpenAPI document: no input makes the API answer 5xx."""

from __future__ import annotations

from services.scheduler.entrypoints.http import create_app
from tests.integration.scheduler.conftest import TOKEN
from tests.support.fuzz import assert_no_server_error
from tests.support.scheduler import small_day


def test_no_input_makes_a_server_error(harness):
    small_day(harness)
    statuses = assert_no_server_error(
        create_app(harness.app), [{"Authorization": f"Bearer {TOKEN}"}, {}], max_examples=25
    )
    assert 401 in statuses and any(200 <= s < 300 for s in statuses)
