"""Writes docs/openapi/registration.json from the app; a test fails when it no longer matches.

`python -m services.registration.entrypoints.openapi` rewrites it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from services.registration.bootstrap import bootstrap
from services.registration.entrypoints.http import create_app
from services.registration.settings import RegistrationSettings

DOCUMENT = Path(__file__).resolve().parents[3] / "docs" / "openapi" / "registration.json"


def openapi_json() -> str:
    # An in-memory database: building the app must not create files or need a server.
    kit = bootstrap(RegistrationSettings(database_url="sqlite://")).kit
    schema = create_app(kit).openapi()
    kit.engine.dispose()
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> None:
    DOCUMENT.parent.mkdir(parents=True, exist_ok=True)
    DOCUMENT.write_text(openapi_json())
    sys.stdout.write(f"{DOCUMENT.relative_to(DOCUMENT.parents[2])} écrit\n")


if __name__ == "__main__":
    main()
