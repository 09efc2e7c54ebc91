"""The committed OpenAPI document is the one the code produces."""

from __future__ import annotations

import json

from services.registration.entrypoints.openapi import DOCUMENT, openapi_json


def test_committed_openapi_matches_the_code():
    assert DOCUMENT.read_text() == openapi_json(), (
        "docs/openapi/registration.json is stale: run `make docs`"
    )


def test_internal_contact_api_is_documented_with_its_token():
    schema = json.loads(openapi_json())
    operation = schema["paths"]["/internal/participants/{participant_id}"]["get"]
    assert set(operation["responses"]) >= {"200", "401", "404"}
    assert operation["security"] == [{"HTTPBearer": []}]
    contact = schema["components"]["schemas"]["ParticipantContact"]
    assert set(contact["properties"]) == {
        "participant_id", "edition_id", "role", "status", "first_name", "last_name", "email",
        "phone", "organisation", "self_service_url",
    }  # fmt: skip
    # The HTML pages are for people, not part of the API.
    assert not any(
        p.startswith(("/inscription", "/admin", "/mon-inscription")) for p in schema["paths"]
    )
