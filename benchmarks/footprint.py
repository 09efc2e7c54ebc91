"""Footprint benchmark: what the whole platform costs a small machine when nobody uses it.

`rencontres up` is started as `rencontres demo` starts it (a temporary folder, free ports,
SQLite, a key prefix of its own on the Redis at REDIS_URL, the default polling intervals), left
to settle, then every process it started is measured for `--seconds` (60 by default): CPU time
used (from /proc/<pid>/stat, user + system, in cores) and memory (PSS from
/proc/<pid>/smaps_rollup, so shared pages are counted once across processes). The reference,
measured in the same run, is a bare `python3 -c` that sleeps: the ratio says how many idle
interpreters the platform weighs. Redis is not counted (it is the machine's, or the operator's).

Run with `uv run python -m benchmarks.footprint [--seconds 60] [--settle 15]`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import redis

from rencontres.demo import Stack
from tests.support.servers import free_port

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
TICKS = os.sysconf("SC_CLK_TCK")
TARGET_CPU = 0.01  # of a core, idle (issue's target for a 1 vCPU host)
TARGET_PSS_MB = 600.0


@dataclass
class Sample:
    pid: int
    name: str
    cpu_s: float
    pss_mb: float


def descendants(root: int) -> list[int]:
    """Every process under `root` (children, their children...), read from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, []))
    return found


def sample(pid: int) -> Sample | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    cpu_s = (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime
    pss_kb = next(
        (int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:")), 0
    )
    return Sample(pid, short_name(cmdline), cpu_s, pss_kb / 1024)


def short_name(cmdline: str) -> str:
    words = cmdline.split()
    if "rencontres.cli" in words:
        return " ".join(words[words.index("rencontres.cli") + 1 :][:2]) or "rencontres"
    if "celery" in words:
        return "celery " + next((w for w in words if w in ("worker", "beat")), "")
    return Path(words[0]).name if words else "?"


def measure(pids: list[int], seconds: float) -> list[tuple[Sample, float]]:
    """Each process's PSS at the end and the cores it used over `seconds`."""
    before = {s.pid: s for pid in pids if (s := sample(pid))}
    time.sleep(seconds)
    rows = []
    for pid, first in before.items():
        last = sample(pid)
        if last is not None:
            rows.append((last, (last.cpu_s - first.cpu_s) / seconds))
    return rows


def reference(seconds: float) -> tuple[Sample, float]:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
    try:
        time.sleep(1)
        ((row, cores),) = measure([process.pid], seconds)
        return row, cores
    finally:
        process.kill()
        process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--settle", type=float, default=15.0)
    args = parser.parse_args()
    prefix = f"bench-{uuid.uuid4().hex[:8]}:"
    with tempfile.TemporaryDirectory() as scratch:
        stack = Stack.prepare(Path(scratch), free_port(), REDIS_URL, prefix)
        for name in ("RELAY_INTERVAL_S", "EMAIL_POLL_INTERVAL_S", "EMAIL_CHANGE_WINDOW_S"):
            stack.env.pop(name, None)  # the defaults, as an operator runs it
        try:
            stack.start()
            time.sleep(args.settle)
            assert stack.process is not None
            rows = measure(descendants(stack.process.pid), args.seconds)
        finally:
            stack.stop()
            client = redis.Redis.from_url(REDIS_URL)
            keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
            if keys:
                client.delete(*keys)
    bare, bare_cores = reference(min(args.seconds, 10.0))
    rows.sort(key=lambda r: -r[0].pss_mb)
    print(
        f"`rencontres up` idle for {args.seconds:.0f} s after {args.settle:.0f} s, SQLite, "
        f"{os.cpu_count()} cores; reference: a bare python3 sleeping "
        f"({bare.pss_mb:.1f} MB PSS, {bare_cores:.4f} core)"
    )
    print()
    header = f"{'process':<28} | {'pid':>7} | {'PSS MB':>7} | {'idle cores':>10}"
    print(header)
    print("-" * len(header))
    for row, cores in rows:
        print(f"{row.name:<28} | {row.pid:>7} | {row.pss_mb:>7.1f} | {cores:>10.4f}")
    total_pss = sum(r.pss_mb for r, _ in rows)
    total_cores = sum(c for _, c in rows)
    print("-" * len(header))
    print(
        f"{f'all {len(rows)} processes':<28} | {'':>7} | {total_pss:>7.1f} | {total_cores:>10.4f}"
    )
    print()
    print(f"{'':<22} | {'measured':>9} | {'target':>7} | {'/ bare python':>13}")
    print(
        f"{'PSS, MB':<22} | {total_pss:>9.1f} | {TARGET_PSS_MB:>7.0f} | "
        f"{total_pss / bare.pss_mb:>13.1f}"
    )
    print(
        f"{'idle CPU, cores':<22} | {total_cores:>9.4f} | {TARGET_CPU:>7.2f} | "
        f"{total_cores / max(bare_cores, 1 / TICKS / args.seconds):>13.1f}"
    )


if __name__ == "__main__":
    main()
