"""The committed OpenAPI document is the app's: regenerate it when a route changes."""

from services.scheduler.entrypoints.openapi import OPENAPI_PATH, render


def test_committed_openapi_matches_the_app():
    assert OPENAPI_PATH.read_text(encoding="utf-8") == render(), (
        "docs/openapi/scheduler.json is stale: "
        "run `uv run python -m services.scheduler.entrypoints.openapi`"
    )
