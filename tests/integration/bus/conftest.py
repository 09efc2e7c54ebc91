from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from shared.db import make_engine
from tests.integration.bus.app import metadata

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


class ConsumerProcesses:
    """Consumer processes of the demo service, each with its own consumer name."""

    def __init__(self, database_url: str, tmp_path: Path) -> None:
        self.database_url = database_url
        self.tmp_path = tmp_path
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(
        self, redis_url: str, prefix: str, hang_marker: Path | None = None, idle_ms: int = 300
    ) -> subprocess.Popen[bytes]:
        args = [
            sys.executable,
            "-m",
            "tests.integration.bus.app",
            "--db",
            self.database_url,
            "--redis",
            redis_url,
            "--prefix",
            prefix,
            "--consumer",
            f"proc-{uuid.uuid4().hex[:6]}",
            "--idle-ms",
            str(idle_ms),
        ]
        if hang_marker is not None:
            args += ["--hang-marker", str(hang_marker)]
        log = open(self.tmp_path / f"consumer-{len(self.processes)}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            args,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.processes.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def consumers(database_url: str, tmp_path: Path) -> Iterator[ConsumerProcesses]:
    procs = ConsumerProcesses(database_url, tmp_path)
    yield procs
    procs.stop_all()
