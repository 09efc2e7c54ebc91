"""`rencontres up` restarts a process killed under it; the others keep serving, nothing is lost
or sent twice, and Ctrl-C still stops everything with nothing left behind."""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Stack, holder_form, platform, register_holder
from tests.support.servers import RedisServer, wait_until


def _group(pgid: int) -> list[int]:
    """The live processes of a process group (what `rencontres up` started in it)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            found.append(int(stat.parent.name))
    return found


def _started(stack: Stack, name: str) -> list[int]:
    """The pids `rencontres up` gave for `name`, in order: its start, then each restart."""
    pattern = rf"\| {name} (?:démarré|relancé) \(pid (\d+)"
    return [int(pid) for pid in re.findall(pattern, stack.log)]


def _healthy(stack: Stack, name: str) -> bool:
    try:
        return httpx.get(stack.url(name, "/healthz"), timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _one_email_each(stack: Stack, people: list[dict]) -> bool:
    return all(len(stack.emails_to(person["email"])) == 1 for person in people)


@pytest.mark.slow
def test_a_killed_worker_is_restarted_and_every_confirmation_goes_once(
    tmp_path: Path, redis_server: RedisServer
):
    with platform(tmp_path, redis_server.url) as stack:
        others = [name for name in stack.ports if name != "worker"]
        down: list[str] = []
        watching = threading.Event()

        def watch() -> None:
            while not watching.is_set():
                down.extend(name for name in others if not _healthy(stack, name))
                time.sleep(0.2)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()

        before = holder_form()
        register_holder(stack, before)
        wait_until(lambda: _one_email_each(stack, [before]), timeout=60, what="a first email")

        [worker] = _started(stack, "worker")
        assert _group(worker) == [worker], "one process: sends and beat are its threads"
        os.kill(worker, signal.SIGKILL)
        wait_until(
            lambda: "worker s'est arrêté (tué par SIGKILL, code de sortie -9)" in stack.log,
            timeout=10,
            what="`up` to notice the worker's death",
        )
        assert "relance dans 1 s (essai n° 1)" in stack.log

        # Registered while no worker runs at all: its email waits in the queue for the next one.
        during = holder_form()
        register_holder(stack, during)

        wait_until(
            lambda: len(_started(stack, "worker")) == 2, timeout=30, what="the worker to restart"
        )
        [_, again] = _started(stack, "worker")
        assert again != worker
        assert not _group(worker), "nothing of the dead worker is left"
        wait_until(
            lambda: _healthy(stack, "worker"),
            timeout=60,
            what="the new worker's /healthz",
        )

        after = holder_form()
        register_holder(stack, after)
        people = [before, during, after]
        wait_until(
            lambda: _one_email_each(stack, people), timeout=60, what="one email for each person"
        )
        time.sleep(3)  # a duplicate would come from the beat's next rounds (every second here)
        assert [len(stack.emails_to(p["email"])) for p in people] == [1, 1, 1]

        watching.set()
        watcher.join()
        assert not down, f"stopped answering /healthz while the worker restarted: {set(down)}"
        pids = {name: _started(stack, name) for name in stack.ports}

    assert stack.process.returncode == 130
    log = stack.log
    assert "SIGINT reçu : arrêt de tous les processus" in log
    for name in stack.ports:
        assert f"{name} arrêté (" in log
    for name, started in pids.items():
        for pid in started:
            assert not _group(pid), f"{name} left processes behind after Ctrl-C"
