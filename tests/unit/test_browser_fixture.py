"""Every test that drives Chromium does it through the one fixture, so none escapes the rule
that skips browser tests without Chromium (tests/integration/test_browser_skip.py)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_chromium_is_launched_only_by_the_browser_fixture():
    launcher = ROOT / "tests" / "support" / "browser.py"
    launching = [
        path.relative_to(ROOT)
        for path in (ROOT / "tests").rglob("*.py")
        if path not in (launcher, Path(__file__)) and "sync_playwright" in path.read_text()
    ]
    assert not launching, f"use the chromium_browser fixture instead: {launching}"
