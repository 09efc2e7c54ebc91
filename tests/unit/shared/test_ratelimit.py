"""Rate limits when Redis is out of reach: nothing raises, the process counts alone."""

from __future__ import annotations

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from shared.ratelimit import RateLimiter
from tests.support.servers import free_port


def unreachable() -> redis.Redis:
    # A port where nothing listens: every command fails to connect.
    return redis.Redis(port=free_port(), socket_connect_timeout=1, retry=Retry(NoBackoff(), 0))


def test_an_attempt_goes_on_when_redis_cannot_be_reached():
    limiter = RateLimiter(unreachable(), "test:", "secret")
    assert limiter.hit_all([("form-ip", "192.0.2.1", 1), ("form-email", "a@b.fr", 1)], 60)
    assert not limiter.over("form-ip", "192.0.2.1", 2)


def test_limits_still_hold_in_the_process_while_redis_is_away():
    limiter = RateLimiter(unreachable(), "test:", "secret", namespace="surveys")
    assert [limiter.hit("venue-ip", "192.0.2.1", 2, 60) for _ in range(3)] == [True, True, False]
    assert limiter.over("venue-ip", "192.0.2.1", 2)
    assert limiter.hit("venue-ip", "192.0.2.2", 2, 60)  # another address, its own counter
    assert limiter.key("venue-ip", "192.0.2.1").startswith("test:surveys:rate:venue-ip:")
    assert "192.0.2.1" not in limiter.key("venue-ip", "192.0.2.1")
