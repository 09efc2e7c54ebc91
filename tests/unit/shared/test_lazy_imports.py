"""An idle service loads no document, spreadsheet or solver library: they load when used.

Each weighs 10-85 MB in every process that imports it (docs/performance.md, footprint).
"""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

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
