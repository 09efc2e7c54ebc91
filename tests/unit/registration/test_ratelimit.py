"""Rate limits when Redis is out of reach: the attempt goes on, nothing raises."""

from __future__ import annotations

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from services.registration.adapters.ratelimit import RateLimiter
from tests.support.servers import free_port


def test_an_attempt_goes_on_when_redis_cannot_be_reached():
    # A port where nothing listens: every command fails to connect.
    client = redis.Redis(port=free_port(), socket_connect_timeout=1, retry=Retry(NoBackoff(), 0))
    limiter = RateLimiter(client, "test:", "secret")
    assert limiter.hit_all([("form-ip", "192.0.2.1", 1), ("form-email", "a@b.fr", 1)], 60)
    assert limiter.hit("login-ip", "192.0.2.1", 0, 60)
