"""The compose test's timings, printed at the end of the run (CI logs keep them)."""

from __future__ import annotations

from typing import Any

import pytest

TIMINGS: dict[str, float] = {}


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if TIMINGS:
        figures = ", ".join(f"{step} {seconds:.0f} s" for step, seconds in TIMINGS.items())
        terminalreporter.write_line(f"compose test: {figures}")
