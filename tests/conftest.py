"""Fixtures shared by every layer: real Redis isolated by key prefix, a fresh database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.support import browser
from tests.support.servers import RedisServer, create_test_database

# `make test` runs on SQLite; `TEST_DATABASE=postgresql make test` on PostgreSQL.
TEST_DATABASE = os.environ.get("TEST_DATABASE", "sqlite")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

BROWSER_SKIPPED = pytest.StashKey[int]()


@pytest.fixture
def chromium_browser() -> Iterator[Any]:
    """Debian's headless Chromium, a Playwright Browser: a test that uses it is a browser test."""
    with browser.chromium() as launched:
        yield launched


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test using `chromium_browser` `browser`; skip them all without Chromium."""
    reason = browser.missing()
    skipped = 0
    for item in items:
        if "chromium_browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
        if reason and item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.skip(reason=reason))
            skipped += 1
    config.stash[BROWSER_SKIPPED] = skipped


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    skipped = config.stash.get(BROWSER_SKIPPED, 0)
    if skipped:
        terminalreporter.write_line(f"{skipped} browser tests skipped: {browser.missing()}")


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    url, drop = create_test_database(TEST_DATABASE, tmp_path)
    yield url
    drop()


@pytest.fixture
def redis_url() -> str:
    return REDIS_URL


@pytest.fixture
def bus_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of the test's own on the shared Redis; everything under it is removed."""
    prefix = f"test-{uuid.uuid4().hex[:10]}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A private redis-server, for tests that kill or restart Redis."""
    server = RedisServer(tmp_path / "redis")
    server.directory.mkdir()
    server.start()
    yield server
    server.kill()
