"""Registration benchmark: a valid holder registration through the public form (CSRF token,
validation, database commit and outbox row) at a fixed offered rate, against the same server
answering /healthz at the same rate.

Run with `uv run python -m benchmarks.registration [--rate 100] [--seconds 10]`. The server is
`rencontres registration serve` in a subprocess on a free port, with its own SQLite database
under a temporary folder and a key prefix of its own on the Redis at REDIS_URL (127.0.0.1:6379
by default; its keys are removed at the end). The load is open-loop: request i leaves at
i / rate seconds whether or not the previous ones have answered, so a slow server shows as
latency, not as a lower offered rate. The CSRF tokens (one per registration, each fetched with
a GET of the form) are taken before the timed phase.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import redis

from shared.edition import default_edition
from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
EDITION = default_edition().edition_id


def _holder(i: int, token: str) -> dict[str, str]:
    return {
        "csrf_token": token,
        "site_web": "",
        "prenom": "Camille",
        "nom": f"Essai{i}",
        "email": f"porteur{i}-{uuid.uuid4().hex[:6]}@asso-exemple.fr",
        "structure": f"Projet solidaire {i}",
        "forme": "association",
        "stade": "creation",
        "commune": "Dijon",
        "besoin_1": "mecenat",
        "disponibilite": "journee",
        "consentement_partage": "oui",
    }


def start_server(scratch: Path, prefix: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "REDIS_URL": REDIS_URL,
        "BUS_PREFIX": prefix,
        "VAR_DIR": str(scratch),
        "REGISTRATION_DATABASE_URL": f"sqlite:///{scratch / 'registration.db'}",
        "REGISTRATION_PORT": str(port),
        "REGISTRATION_FORM_MIN_FILL_SECONDS": "0",
        "REGISTRATION_RATE_PER_IP": "1000000",
        "REGISTRATION_RATE_PER_EMAIL": "1000000",
        "LOG_LEVEL": "WARNING",
    }
    cli = [sys.executable, "-m", "rencontres.cli", "registration"]
    subprocess.run([*cli, "migrate"], env=env, cwd=scratch, check=True, capture_output=True)
    log = open(scratch / "server.log", "wb")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [*cli, "serve"], env=env, cwd=scratch, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError((scratch / "server.log").read_text())
        time.sleep(0.1)


async def offered(
    rate: float, seconds: float, request: Callable[[int], Awaitable[bool]]
) -> tuple[list[float], int, float]:
    """Open loop: `rate * seconds` requests, request i at i / rate; latencies (s) of the
    successful ones, the failures, and the wall time until the last answer."""
    count = int(rate * seconds)
    latencies: list[float] = []
    failures = 0

    async def one(i: int, at: float) -> None:
        nonlocal failures
        await asyncio.sleep(max(0.0, at - time.perf_counter()))
        sent = time.perf_counter()
        try:
            ok = await request(i)
        except httpx.HTTPError:
            ok = False
        if ok:
            latencies.append(time.perf_counter() - sent)
        else:
            failures += 1

    started = time.perf_counter()
    tasks = [asyncio.create_task(one(i, started + i / rate)) for i in range(count)]
    # Bounded in time as in count: whatever has not answered 30 s after the end is a failure.
    _done, pending = await asyncio.wait(tasks, timeout=seconds + 30)
    for task in pending:
        task.cancel()
    return latencies, failures + len(pending), time.perf_counter() - started


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(base: str, rate: float, seconds: float) -> list[tuple[str, dict[str, float]]]:
    limits = httpx.Limits(max_connections=500, max_keepalive_connections=500)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
        form = f"/inscription/{EDITION}/porteur"
        tokens = []
        for _ in range(int(rate * seconds)):
            page = await client.get(form)
            match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            if match is None:
                raise RuntimeError(f"no CSRF token in {form} ({page.status_code})")
            tokens.append(match.group(1))

        async def healthz(_i: int) -> bool:
            return (await client.get("/healthz")).status_code == 200

        async def register(i: int) -> bool:
            answer = await client.post(form, data=_holder(i, tokens[i]))
            return answer.status_code == 200 and "Merci" in answer.text

        rows = []
        for name, request in (("GET /healthz", healthz), (f"POST {form}", register)):
            latencies, failures, wall = await offered(rate, seconds, request)
            rows.append(
                (
                    name,
                    {
                        "done": len(latencies),
                        "failures": failures,
                        "rate": len(latencies) / wall,
                        "p50": _quantile(latencies, 0.50) * 1000,
                        "p99": _quantile(latencies, 0.99) * 1000,
                    },
                )
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=100.0, help="requests offered per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    prefix = f"bench-{uuid.uuid4().hex[:8]}:"
    with tempfile.TemporaryDirectory() as scratch:
        process, base = start_server(Path(scratch), prefix)
        try:
            rows = asyncio.run(measure(base, args.rate, args.seconds))
        finally:
            process.terminate()
            process.wait(timeout=30)
            client = redis.Redis.from_url(REDIS_URL)
            keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
            if keys:
                client.delete(*keys)
    print(
        f"{args.rate:.0f} requests/s offered for {args.seconds:.0f} s, one uvicorn process, "
        f"SQLite, {os.cpu_count()} cores"
    )
    print()
    header = (
        f"{'request':<32} | {'ok':>5} | {'failed':>6} | {'done/s':>6} | {'p50 ms':>7} | "
        f"{'p99 ms':>7} | {'p99 / healthz':>13}"
    )
    print(header)
    print("-" * len(header))
    reference = rows[0][1]["p99"]
    for name, r in rows:
        print(
            f"{name:<32} | {r['done']:>5.0f} | {r['failures']:>6.0f} | {r['rate']:>6.1f} | "
            f"{r['p50']:>7.1f} | {r['p99']:>7.1f} | {r['p99'] / reference:>13.1f}"
        )


if __name__ == "__main__":
    main()
