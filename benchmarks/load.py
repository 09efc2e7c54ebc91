"""A light open-loop load generator for the HTTP benchmarks.

The load generator shares the 2 cores with the servers it measures: with httpx, it took most of
a core at 100 requests/s and the servers measured the load generator as much as themselves.
Here each request is prepared as bytes before the timed phase and sent over kept-alive
connections with asyncio streams (as wrk does), at a small fraction of that cost.
"""

from __future__ import annotations

import asyncio
import re
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes


class RawClient:
    """HTTP/1.1 with keep-alive; answers must carry a Content-Length (ours do)."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []
        self.opened: list[asyncio.StreamWriter] = []

    @classmethod
    def for_base(cls, base: str) -> RawClient:
        url = urllib.parse.urlsplit(base)
        return cls(url.hostname or "127.0.0.1", url.port or 80)

    def get(self, path: str, headers: dict[str, str] | None = None) -> bytes:
        return self._prepare("GET", path, b"", headers or {})

    def post_form(self, path: str, form: dict[str, str], headers: dict[str, str]) -> bytes:
        body = urllib.parse.urlencode(form).encode()
        content = {"Content-Type": "application/x-www-form-urlencoded", **headers}
        return self._prepare("POST", path, body, content)

    def _prepare(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> bytes:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        lines.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    async def send(self, request: bytes) -> Answer:
        reader, writer = await self._connection()
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        match = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
        if match is None:
            writer.close()
            raise ValueError("answer without Content-Length")
        body = await reader.readexactly(int(match.group(1)))
        if re.search(rb"(?i)\r\nconnection: *close", head):
            writer.close()
        else:
            self.idle.append((reader, writer, time.monotonic()))
        return Answer(status, body)

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        while self.idle:
            reader, writer, since = self.idle.pop()
            # The server closes connections idle for 5 s (uvicorn's default): never reuse one
            # that may be closing as the request leaves.
            if time.monotonic() - since < 2.0:
                return reader, writer
            writer.close()
        reader, writer = await asyncio.open_connection(self.host, self.port)
        self.opened.append(writer)
        return reader, writer

    async def close(self) -> None:
        for writer in self.opened:
            writer.close()
        self.idle.clear()


async def form_tokens(base: str, form: str, count: int) -> tuple[str, list[str]]:
    """`count` CSRF tokens of one visitor, and the cookie they are signed for."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        tokens = []
        for _ in range(count):
            page = await client.get(form)
            match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            if match is None:
                raise RuntimeError(f"no CSRF token in {form} ({page.status_code})")
            tokens.append(match.group(1))
        cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    return cookie, tokens


async def offered(
    rate: float, seconds: float, request: Callable[[int], Awaitable[bool]]
) -> tuple[dict[int, float], int, float]:
    """Open loop: `rate * seconds` requests, request i at i / rate whether or not the previous
    ones have answered (a slow server shows as latency, not as a lower offered rate).

    Returns the latency (s) of each successful request by index, the failures, and the wall
    time until the last answer."""
    count = int(rate * seconds)
    latencies: dict[int, float] = {}
    failures = 0

    async def one(i: int, at: float) -> None:
        nonlocal failures
        await asyncio.sleep(max(0.0, at - time.perf_counter()))
        sent = time.perf_counter()
        try:
            ok = await request(i)
        except (OSError, ValueError, asyncio.IncompleteReadError):
            ok = False
        if ok:
            latencies[i] = time.perf_counter() - sent
        else:
            failures += 1

    started = time.perf_counter()
    tasks = [asyncio.create_task(one(i, started + i / rate)) for i in range(count)]
    # Bounded in time as in count: whatever has not answered 30 s after the end is a failure.
    _done, pending = await asyncio.wait(tasks, timeout=seconds + 30)
    for task in pending:
        task.cancel()
    return latencies, failures + len(pending), time.perf_counter() - started


def quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
