"""Headless Chromium for the browser tests: Debian's /usr/bin/chromium, driven by Playwright.

A test that uses the `chromium_browser` fixture (tests/conftest.py) is a browser test: it is
marked `browser` and, on a machine without Chromium, skipped with `missing()`'s one message,
counted in the summary. CI (.ci/run) installs Chromium, so there they all run.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def missing() -> str | None:
    """Why browser tests cannot run here, or None when they can."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"browser test: Chromium is not installed at {CHROMIUM} (apt install chromium)"
    if importlib.util.find_spec("playwright") is None:
        return "browser test: the playwright package is not installed (make install)"
    return None


@contextmanager
def chromium() -> Iterator[Any]:
    """A launched headless Chromium (a Playwright Browser), closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()
