"""Fixtures shared by every layer: real Redis isolated by key prefix, a fresh database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.support.servers import RedisServer, create_test_database

# `make test` runs on SQLite; `TEST_DATABASE=postgresql make test` on PostgreSQL.
TEST_DATABASE = os.environ.get("TEST_DATABASE", "sqlite")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


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
