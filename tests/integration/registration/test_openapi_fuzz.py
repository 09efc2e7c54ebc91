"""schemathesis over registration's OpenAPI document: no input makes the API answer 5xx."""

from __future__ import annotations

from services.registration.entrypoints.http import create_app
from tests.integration.registration.conftest import SERVICE_TOKEN, holder_form, submit
from tests.support.fuzz import assert_no_server_error


def test_no_input_makes_a_server_error(kit, client):
    submit(client, "porteur", holder_form())  # one real participant among the generated ids
    statuses = assert_no_server_error(
        create_app(kit), [{"Authorization": f"Bearer {SERVICE_TOKEN}"}, {}]
    )
    assert {401, 404} <= statuses  # the requests did reach the API, with and without token
