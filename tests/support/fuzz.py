"""schemathesis over a service's OpenAPI document: no generated input may make it answer 5xx."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import schemathesis.openapi
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error


def assert_no_server_error(
    app: FastAPI, header_sets: Iterable[Mapping[str, str]], max_examples: int = 40
) -> set[int]:
    """Every operation, with each set of headers; returns the statuses seen (for sanity)."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, "the OpenAPI document lists no operation"
    header_sets = list(header_sets)
    statuses: set[int] = set()
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=max_examples, deadline=None, suppress_health_check=list(HealthCheck))
        def no_server_error(case):
            for headers in header_sets:
                response = case.call_and_validate(
                    headers=dict(headers), checks=[not_a_server_error]
                )
                statuses.add(response.status_code)

        no_server_error()
    return statuses
