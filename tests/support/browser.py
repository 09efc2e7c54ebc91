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


def download_exports(
    browser: Any,
    url: str,
    cookie: str,
    labels: tuple[str, ...],
    screenshot: Any,
) -> tuple[str, dict[str, bytes]]:
    """Open a back-office page as the operator (session cookie `cookie`), screenshot it, click
    each link of its `#exports` block by label; returns the block's text and the files by the
    name the browser was given."""
    from pathlib import Path
    from urllib.parse import urlsplit

    from shared.web.auth import ADMIN_COOKIE

    parts = urlsplit(url)
    context = browser.new_context(locale="fr-FR", accept_downloads=True)
    context.add_cookies(
        [{"name": ADMIN_COOKIE, "value": cookie, "url": f"{parts.scheme}://{parts.netloc}"}]
    )
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(url)
    exports = page.locator("#exports")
    text = exports.inner_text()
    page.screenshot(path=str(screenshot), full_page=True)
    files = {}
    for label in labels:
        with page.expect_download() as download:
            exports.get_by_role("link", name=label).click()
        files[download.value.suggested_filename] = Path(download.value.path()).read_bytes()
    context.close()
    return text, files
