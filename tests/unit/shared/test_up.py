"""`rencontres up` tells how to install Redis when none answers and none can be started."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from rencontres.up import ensure_redis
from tests.support.servers import free_port


def test_no_redis_and_no_redis_server_gives_a_french_and_english_hint(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    monkeypatch.setenv("PATH", str(tmp_path))  # no redis-server to be found
    with pytest.raises(click.ClickException) as raised:
        ensure_redis(f"redis://127.0.0.1:{free_port()}/0", tmp_path)
    message = raised.value.message
    assert "redis-server est introuvable" in message
    assert "redis-server is not installed" in message
    assert "\n" not in message


def test_an_answering_redis_is_used_as_it_is(redis_url: str, tmp_path: Path):
    assert ensure_redis(redis_url, tmp_path) is None
    assert not (tmp_path / "redis").exists()
