"""Writes the scheduler's OpenAPI document: `python -m services.scheduler.entrypoints.openapi`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OPENAPI_PATH = Path(__file__).resolve().parents[3] / "docs" / "openapi" / "scheduler.json"


def document() -> dict[str, Any]:
    from services.scheduler.bootstrap import bootstrap
    from services.scheduler.entrypoints.http import create_app
    from services.scheduler.settings import SchedulerSettings

    # Nothing is connected to: the engine and Redis clients are lazy.
    settings = SchedulerSettings.model_validate({"SCHEDULER_DATABASE_URL": "sqlite://"})
    return create_app(bootstrap(settings)).openapi()


def render() -> str:
    return json.dumps(document(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    OPENAPI_PATH.write_text(render(), encoding="utf-8")
    print(f"écrit : {OPENAPI_PATH}")
