"""An idle service loads no document, spreadsheet or solver library: they load when used.
Each weighs 10-85 MB in every process that imports it (docs/performance.md, footprint).
The command line loads no service, database or bus module for its help, and only the
planner for `plan`. Each check starts a fresh Python process.
"""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from tests.unit.formats.spreadsheets import realistic_rows, to_csv

HEAVY = ("openpyxl", "fpdf", "segno", "icalendar", "ortools", "numpy", "PIL", "fontTools")

LOADS = f"""
import sys
from importlib import import_module
import_module(f"services.{{sys.argv[1]}}.entrypoints.http").create_app()
print(sorted({{m.split(".")[0] for m in sys.modules}} & set({HEAVY!r})))
"""


@pytest.mark.parametrize("service", ["registration", "scheduler", "notifier", "surveys"])
def test_a_started_service_loads_no_heavy_library(service: str) -> None:
    out = subprocess.run(
        [sys.executable, "-c", LOADS, service], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert ast.literal_eval(out[-1]) == []


CLI_LOADS = """
import sys
from click.testing import CliRunner
from rencontres.cli import main
result = CliRunner().invoke(main, sys.argv[1:])
assert result.exit_code == 0, result.output
heavy = ("services", "sqlalchemy", "faststream", "celery", "fastapi", "redis", "pandas")
print(sorted({m.split(".")[0] for m in sys.modules if m.split(".")[0] in heavy}))
print(sorted(m for m in sys.modules if m.startswith("services.")))
"""


def cli_loaded(*args: str) -> tuple[list[str], list[str]]:
    out = subprocess.run(
        [sys.executable, "-c", CLI_LOADS, *args], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    return ast.literal_eval(out[-2]), ast.literal_eval(out[-1])


def test_help_loads_no_service_database_bus_or_worker_module() -> None:
    assert cli_loaded("--help") == ([], [])
    assert cli_loaded("plan", "--help") == ([], [])


def test_plan_loads_the_planner_only(tmp_path) -> None:
    participants = tmp_path / "participants.csv"
    participants.write_bytes(to_csv(realistic_rows(10, 3)))
    tops, services = cli_loaded(
        "plan", "--participants", str(participants), "--out", str(tmp_path / "p.csv")
    )
    assert tops == ["services"]
    assert services and all(
        m.startswith(("services.scheduler.domain", "services.scheduler.service_layer.offline"))
        or m in ("services.scheduler", "services.scheduler.service_layer")
        for m in services
    ), services
