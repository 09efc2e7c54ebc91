"""Fixed-window rate limits in Redis: counters under the bus prefix, never a raw IP or email.

While Redis is out of reach the counters are kept in the process (each process counts alone,
and a restart forgets them): a limit still holds, roughly, rather than none at all.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time

import redis

log = logging.getLogger(__name__)


class RateLimiter:
    def __init__(
        self, client: redis.Redis, prefix: str, secret: str, namespace: str = "registration"
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.secret = secret
        self.namespace = namespace
        self._local: dict[str, tuple[float, int]] = {}  # key -> (window's end, count)
        self._lock = threading.Lock()

    def key(self, scope: str, value: str) -> str:
        digest = hashlib.sha256(f"{self.secret}:{scope}:{value}".encode()).hexdigest()[:32]
        return f"{self.prefix}{self.namespace}:rate:{scope}:{digest}"

    def over(self, scope: str, value: str, limit: int) -> bool:
        """Whether `limit` attempts were already counted in the current window (counts none)."""
        key = self.key(scope, value)
        try:
            count = self.client.get(key)
        except redis.RedisError:
            with self._lock:
                end, local = self._local.get(key, (0.0, 0))
            return end > time.monotonic() and local >= limit
        return count is not None and int(count) >= limit

    def hit(self, scope: str, value: str, limit: int, window_s: int) -> bool:
        """Count one attempt; False once `limit` attempts were made within the window."""
        return self.hit_all([(scope, value, limit)], window_s)

    def hit_all(self, counters: list[tuple[str, str, int]], window_s: int) -> bool:
        """Count one attempt on each (scope, value, limit), in one round trip; False if any
        counter is over its limit."""
        keys = [self.key(scope, value) for scope, value, _limit in counters]
        # No MULTI/EXEC needed: EXPIRE NX only ever sets a counter's first deadline.
        pipe = self.client.pipeline(transaction=False)
        for key in keys:
            pipe.incr(key)
            pipe.expire(key, window_s, nx=True)
        try:
            counts = [int(c) for c in pipe.execute()[::2]]
        except redis.RedisError as error:
            # The attempt is still counted, in this process: never a server error, and the
            # outage is in the log and in the bus's own alerts.
            log.warning(
                "rate limits counted in-process, Redis unreachable: %s", type(error).__name__
            )
            counts = self._hit_locally(keys, window_s)
        return all(count <= limit for count, (_s, _v, limit) in zip(counts, counters, strict=True))

    def _hit_locally(self, keys: list[str], window_s: int) -> list[int]:
        now = time.monotonic()
        counts = []
        with self._lock:
            for key in keys:
                end, count = self._local.get(key, (0.0, 0))
                if end <= now:
                    end, count = now + window_s, 0
                self._local[key] = (end, count + 1)
                counts.append(count + 1)
            if len(self._local) > 10_000:  # forget the windows that are over
                self._local = {k: v for k, v in self._local.items() if v[0] > now}
        return counts
