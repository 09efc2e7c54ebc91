"""Email benchmark: 1,000 agendas sent to a local SMTP sink by Celery worker processes.

Run with `uv run python -m benchmarks.emails [--people 1000] [--concurrency 2 4]`. Needs the
Redis at REDIS_URL (127.0.0.1:6379 by default); everything is written under a unique prefix,
removed afterwards, and to a temporary SQLite database.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import multiprocessing
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import redis
import uvicorn
from aiosmtpd.controller import Controller
from pydantic import SecretStr
from sqlalchemy import select

from services.notifier.adapters.db import emails
from services.notifier.bootstrap import bootstrap
from services.notifier.settings import NotifierSettings
from shared.events import SchedulePublished, SlotAssigned
from shared.migrations import upgrade
from tests.support.notifier import TOKEN, Directory, Workers
from tests.support.servers import free_port

PACKAGE = Path(__file__).resolve().parents[1] / "services" / "notifier"
DAY = dt.datetime(2030, 11, 21, 8, 0, tzinfo=dt.UTC)
ICS = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Rencontres//FR\r\nEND:VCALENDAR\r\n"


class CountingSink:
    """Accepts every message and only counts it: the sink must not be the bottleneck."""

    def __init__(self, counter: multiprocessing.sharedctypes.Synchronized[int]) -> None:
        self.counter = counter

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        with self.counter.get_lock():
            self.counter.value += 1
        return "250 OK"


def _serve_smtp(port: int, counter: multiprocessing.sharedctypes.Synchronized[int]) -> None:
    controller = Controller(CountingSink(counter), hostname="127.0.0.1", port=port)
    controller.start()
    asyncio.run(asyncio.Event().wait())


def _serve_directory(directory: Directory, port: int) -> None:
    uvicorn.run(directory.app(), host="127.0.0.1", port=port, log_level="warning")


def _wait_port(port: int) -> None:
    import socket

    for _ in range(200):
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"port {port} does not answer")


def run(people: int, concurrency: int, redis_url: str, scratch: Path) -> dict[str, float]:
    """Publish a schedule of `people` agendas and time their delivery."""
    prefix = f"bench-{uuid.uuid4().hex[:8]}:"
    fork = multiprocessing.get_context("fork")
    received = fork.Value("i", 0)
    smtp_port, http_port = free_port(), free_port()
    directory = Directory()
    url = f"http://127.0.0.1:{http_port}"
    database_url = f"sqlite:///{scratch / f'{prefix[:-1]}.db'}"
    env = {
        "NOTIFIER_DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "BUS_PREFIX": prefix,
        "SERVICE_TOKEN": TOKEN,
        "REGISTRATION_INTERNAL_URL": url,
        "SCHEDULER_INTERNAL_URL": url,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "EMAIL_POLL_INTERVAL_S": "2",
    }
    upgrade(PACKAGE, database_url)
    settings = NotifierSettings(
        database_url=database_url,
        redis_url=redis_url,
        bus_prefix=prefix,
        service_token=SecretStr(TOKEN),
    )
    notifier = bootstrap(settings)
    workers = Workers({**env, "LOG_LEVEL": "WARNING"}, scratch)
    servers: list[multiprocessing.process.BaseProcess] = []
    try:
        pairs = []
        for i in range(people // 2):
            holder = directory.person(role="porteur")
            expert = directory.person(role="expert")
            start = DAY + dt.timedelta(minutes=30 * (i % 10))
            item = {
                "start": start.isoformat(),
                "end": (start + dt.timedelta(minutes=30)).isoformat(),
                "title": "Rendez-vous",
                "table": str(i % 40 + 1),
                "counterpart_organisation": "Fondation",
            }
            directory.agenda(holder, [item], ics=ICS)
            directory.agenda(expert, [item], ics=ICS)
            pairs.append((holder, expert, start))
        # The other services and the SMTP server in processes of their own, data forked in.
        servers.append(fork.Process(target=_serve_directory, args=(directory, http_port)))
        servers.append(fork.Process(target=_serve_smtp, args=(smtp_port, received)))
        for server in servers:
            server.start()
        _wait_port(http_port)
        _wait_port(smtp_port)
        consumer = notifier.kit.consumer
        for holder, expert, start in pairs:
            event = SlotAssigned(
                edition_id="bench",
                appointment_id=uuid.uuid4(),
                holder_id=uuid.UUID(holder),
                expert_id=uuid.UUID(expert),
                start=start,
                end=start + dt.timedelta(minutes=30),
                table="1",
                schedule_version=1,
            )
            consumer.process(SlotAssigned.stream(prefix), event.model_dump_json())
        worker = workers.start(beat=False, concurrency=concurrency)
        time.sleep(4)  # worker ready
        if worker.poll() is not None:
            raise RuntimeError(workers.logs())
        published = SchedulePublished(
            edition_id="bench", schedule_version=1, appointments=people // 2, holders_with_meeting=1
        )
        started = time.perf_counter()
        consumer.process(SchedulePublished.stream(prefix), published.model_dump_json())
        enqueued = time.perf_counter() - started
        deadline = time.monotonic() + 600
        while received.value < people and time.monotonic() < deadline:
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        with notifier.kit.engine.connect() as conn:
            done = conn.execute(
                select(emails.c.created_at, emails.c.sent_at).where(
                    emails.c.template == "agenda", emails.c.status == "sent"
                )
            ).all()
        latencies = sorted((r.sent_at - r.created_at).total_seconds() for r in done)
        return {
            "emails": received.value,
            "sent_rows": len(done),
            "enqueue_s": enqueued,
            "seconds": elapsed,
            "rate": received.value / elapsed,
            "p50": statistics.median(latencies) if latencies else float("nan"),
            "p95": latencies[int(len(latencies) * 0.95) - 1] if latencies else float("nan"),
        }
    finally:
        workers.stop_all()
        for server in servers:
            server.terminate()
            server.join()
        notifier.kit.engine.dispose()
        client = redis.Redis.from_url(redis_url)
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=1000, help="participants with an agenda")
    parser.add_argument(
        "--concurrency", type=int, nargs="+", default=[2, 4], help="worker processes"
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    print(f"Agendas sent to a local SMTP sink ({args.people} participants, SQLite, local Redis)")
    print()
    header = (
        f"{'processes':>9} | {'emails':>6} | {'enqueue s':>9} | {'total s':>7} | "
        f"{'emails/s':>8} | {'p50 latency s':>13} | {'p95 latency s':>13}"
    )
    print(header)
    print("-" * len(header))
    for concurrency in args.concurrency:
        with tempfile.TemporaryDirectory() as scratch:
            r = run(args.people, concurrency, args.redis, Path(scratch))
        print(
            f"{concurrency:>9} | {r['emails']:>6.0f} | {r['enqueue_s']:>9.2f} | "
            f"{r['seconds']:>7.2f} | {r['rate']:>8.1f} | {r['p50']:>13.2f} | {r['p95']:>13.2f}"
        )


if __name__ == "__main__":
    main()
