"""Without Chromium, every browser test of the suite is skipped with one message, and counted
(in a child pytest that collects the whole suite)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The suite's browser tests, in a child pytest where Chromium's path leads nowhere.
CHILD = """
import importlib
import sys
import pytest
importlib.import_module("tests.support.browser").CHROMIUM = "/nonexistent/chromium"
sys.exit(pytest.main(["-m", "browser", "-p", "no:cacheprovider", "-q", "-rs", "tests"]))
"""


def test_every_browser_test_is_skipped_with_the_same_message_without_chromium():
    result = subprocess.run(
        [sys.executable, "-c", CHILD], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    reason = (
        "browser test: Chromium is not installed at /nonexistent/chromium (apt install chromium)"
    )
    skipped = [line for line in output.splitlines() if line.startswith("SKIPPED")]
    assert len(skipped) >= 3, output
    assert all(line.endswith(reason) for line in skipped), output
    count = sum(int(line.split("[")[1].split("]")[0]) for line in skipped)
    assert f"{count} browser tests skipped: {reason}" in output
    summary = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(rf"{count} skipped, \d+ deselected(, \d+ warnings?)? in .*", summary), (
        output
    )
