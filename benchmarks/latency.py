"""Event latency benchmark: from a registration's HTTP answer to its confirmation email
accepted by an SMTP sink, through the whole platform (registration's outbox and relay, the
Redis stream, the notifier's consumer, a Celery worker, SMTP), at 20 and 100 registrations per
second.

Run with `uv run python -m benchmarks.latency [--rates 20 100] [--seconds 10]`. The platform is
started as `rencontres demo` starts it (`rencontres up` in a temporary folder, free ports, SQLite,
a key prefix of its own on the Redis at REDIS_URL), with the relay and email polling intervals
left at their defaults. One registration and its email go through before the timed phases
(the Celery worker answers /healthz before it consumes). The CSRF tokens are fetched before
each timed phase; the load is open-loop (registration i leaves at i / rate s).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import redis
from aiosmtpd.controller import Controller

from benchmarks.load import RawClient, form_tokens, offered, quantile
from benchmarks.registration import holder
from rencontres.demo import Stack
from tests.support.servers import free_port

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


class TimingSink:
    """Notes when each recipient's message is accepted; keeps nothing else."""

    def __init__(self) -> None:
        self.accepted: dict[str, float] = {}
        self.lock = threading.Lock()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        now = time.perf_counter()
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.accepted.setdefault(rcpt.lower(), now)
        return "250 OK"


async def run_rate(
    base: str, edition: str, sink: TimingSink, rate: float, seconds: float, tag: str
) -> dict[str, float]:
    count = int(rate * seconds)
    form = f"/inscription/{edition}/porteur"
    answered: dict[str, float] = {}
    cookie, tokens = await form_tokens(base, form, count)
    raw = RawClient.for_base(base)
    emails = [f"{tag}-{i}@asso-exemple.fr" for i in range(count)]
    posts = [
        raw.post_form(form, {**holder(i, token), "email": emails[i]}, {"Cookie": cookie})
        for i, token in enumerate(tokens)
    ]

    async def register(i: int) -> bool:
        answer = await raw.send(posts[i])
        if answer.status == 200 and b"Merci" in answer.body:
            answered[emails[i]] = time.perf_counter()
            return True
        return False

    try:
        _latencies, failures, _wall = await offered(rate, seconds, register)
    finally:
        await raw.close()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with sink.lock:
            missing = [e for e in answered if e not in sink.accepted]
        if not missing:
            break
        await asyncio.sleep(0.1)
    with sink.lock:
        latencies = [sink.accepted[e] - t for e, t in answered.items() if e in sink.accepted]
    return {
        "registered": len(answered),
        "failures": failures,
        "emails": len(latencies),
        "p50": quantile(latencies, 0.50),
        "p99": quantile(latencies, 0.99),
        "max": max(latencies) if latencies else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rates", type=float, nargs="+", default=[20.0, 100.0])
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    prefix = f"bench-{uuid.uuid4().hex[:8]}:"
    sink = TimingSink()
    sink.controller.start()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        stack = Stack.prepare(Path(scratch), sink.port, REDIS_URL, prefix)
        # The demo's settings, but the relay and the email polling at their defaults.
        for name in ("RELAY_INTERVAL_S", "EMAIL_POLL_INTERVAL_S", "EMAIL_CHANGE_WINDOW_S"):
            stack.env.pop(name, None)
        stack.env["REGISTRATION_RATE_PER_IP"] = "1000000"
        try:
            stack.start()
            api = httpx.Client(
                base_url=stack.urls["scheduler"],
                headers={"Authorization": f"Bearer {stack.token}"},
                timeout=30,
            )
            with api:
                edition = api.get("/api/edition").json()["edition_id"]
            # One registration first, its email awaited: the timed phases measure the
            # platform running, not the Celery worker still starting.
            asyncio.run(run_rate(stack.urls["registration"], edition, sink, 1, 1, "warmup"))
            for n, rate in enumerate(args.rates):
                result = asyncio.run(
                    run_rate(stack.urls["registration"], edition, sink, rate, args.seconds, f"r{n}")
                )
                rows.append((rate, result))
        finally:
            stack.stop()
            sink.controller.stop()
            client = redis.Redis.from_url(REDIS_URL)
            keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
            if keys:
                client.delete(*keys)
    print(
        f"Registration answered → confirmation email accepted by the SMTP sink; "
        f"{args.seconds:.0f} s per rate, `rencontres up` (SQLite), {os.cpu_count()} cores"
    )
    print()
    header = (
        f"{'offered/s':>9} | {'registered':>10} | {'failed':>6} | {'emails':>6} | "
        f"{'p50 s':>6} | {'p99 s':>6} | {'max s':>6} | {'p99 / first rate':>16}"
    )
    print(header)
    print("-" * len(header))
    reference = rows[0][1]["p99"] if rows else float("nan")
    for rate, r in rows:
        print(
            f"{rate:>9.0f} | {r['registered']:>10.0f} | {r['failures']:>6.0f} | "
            f"{r['emails']:>6.0f} | {r['p50']:>6.2f} | {r['p99']:>6.2f} | {r['max']:>6.2f} | "
            f"{r['p99'] / reference:>16.2f}"
        )


if __name__ == "__main__":
    main()
