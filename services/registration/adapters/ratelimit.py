"""Fixed-window rate limits in Redis: counters under the bus prefix, never a raw IP or email."""

from __future__ import annotations

import hashlib

import redis


class RateLimiter:
    def __init__(self, client: redis.Redis, prefix: str, secret: str) -> None:
        self.client = client
        self.prefix = prefix
        self.secret = secret

    def key(self, scope: str, value: str) -> str:
        digest = hashlib.sha256(f"{self.secret}:{scope}:{value}".encode()).hexdigest()[:32]
        return f"{self.prefix}registration:rate:{scope}:{digest}"

    def hit(self, scope: str, value: str, limit: int, window_s: int) -> bool:
        """Count one attempt; False once `limit` attempts were made within the window."""
        key = self.key(scope, value)
        pipe = self.client.pipeline()
        pipe.incr(key)
        pipe.expire(key, window_s, nx=True)
        count, _ = pipe.execute()
        return int(count) <= limit
