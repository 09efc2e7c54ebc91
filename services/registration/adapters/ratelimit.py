"""Fixed-window rate limits in Redis: counters under the bus prefix, never a raw IP or email."""

from __future__ import annotations

import hashlib
import logging

import redis

log = logging.getLogger(__name__)


class RateLimiter:
    def __init__(self, client: redis.Redis, prefix: str, secret: str) -> None:
        self.client = client
        self.prefix = prefix
        self.secret = secret

    def key(self, scope: str, value: str) -> str:
        digest = hashlib.sha256(f"{self.secret}:{scope}:{value}".encode()).hexdigest()[:32]
        return f"{self.prefix}registration:rate:{scope}:{digest}"

    def over(self, scope: str, value: str, limit: int) -> bool:
        """Whether `limit` attempts were already counted in the current window (counts none)."""
        count = self.client.get(self.key(scope, value))
        return count is not None and int(count) >= limit

    def hit(self, scope: str, value: str, limit: int, window_s: int) -> bool:
        """Count one attempt; False once `limit` attempts were made within the window."""
        return self.hit_all([(scope, value, limit)], window_s)

    def hit_all(self, counters: list[tuple[str, str, int]], window_s: int) -> bool:
        """Count one attempt on each (scope, value, limit), in one round trip; False if any
        counter is over its limit."""
        # No MULTI/EXEC needed: EXPIRE NX only ever sets a counter's first deadline.
        pipe = self.client.pipeline(transaction=False)
        for scope, value, _limit in counters:
            key = self.key(scope, value)
            pipe.incr(key)
            pipe.expire(key, window_s, nx=True)
        try:
            replies = pipe.execute()
        except redis.RedisError as error:
            # Nothing can be counted while Redis is out of reach: the attempt goes on (a
            # registration is taken, its event waits in the outbox) rather than failing with a
            # server error; the outage is in the log and in the bus's own alerts.
            log.warning("rate limits not counted, Redis unreachable: %s", type(error).__name__)
            return True
        counts = replies[::2]
        return all(
            int(count) <= limit for count, (_s, _v, limit) in zip(counts, counters, strict=True)
        )
