"""SQLite writers take turns: within a process on a thread lock, between the HTTP workers of a
service on an flock of `<database>.lock`; a failed transaction gives its turn back. A service
checkpoints its WAL in the background, so no request's commit has to."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select

from shared.bus.runtime import BusRuntime
from shared.db import _WriterTurn, bus_tables, checkpoint_wal, make_engine
from shared.settings import BaseServiceSettings

ROOT = Path(__file__).resolve().parents[2]

metadata = MetaData()
rows = Table(
    "rows",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("writer", String(20), nullable=False),
)


def _engine(path: Path, shared_by_workers: bool = False):
    engine = make_engine(f"sqlite:///{path}", shared_by_workers=shared_by_workers)
    metadata.create_all(engine)
    return engine


def test_threads_writing_at_once_all_commit(tmp_path: Path):
    engine = _engine(tmp_path / "t.db")
    errors: list[BaseException] = []

    def write(name: str) -> None:
        try:
            for _ in range(40):
                with engine.begin() as conn:
                    # A read first, then the write: the turn is taken at the write.
                    conn.execute(select(func.count()).select_from(rows)).scalar_one()
                    conn.execute(rows.insert(), {"writer": name})
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(f"t{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(rows)).scalar_one() == 8 * 40
    engine.dispose()


def test_a_failed_transaction_gives_its_turn_back(tmp_path: Path):
    engine = _engine(tmp_path / "t.db")
    with pytest.raises(RuntimeError), engine.begin() as conn:
        conn.execute(rows.insert(), {"writer": "abandoned"})
        raise RuntimeError("the unit of work fails after its first write")

    done = threading.Event()

    def write_elsewhere() -> None:
        with engine.begin() as conn:
            conn.execute(rows.insert(), {"writer": "next"})
        done.set()

    threading.Thread(target=write_elsewhere).start()
    assert done.wait(timeout=5), "the turn of the failed transaction was never given back"
    with engine.connect() as conn:
        writers = conn.execute(select(rows.c.writer)).scalars().all()
    assert writers == ["next"]
    engine.dispose()


_HOLD_THE_TURN = """
import sys, time
from shared.db import _WriterTurn
turn = _WriterTurn(sys.argv[1])
turn.acquire()
print("held", flush=True)
time.sleep(float(sys.argv[2]))
turn.release()
"""


def test_another_process_waits_on_the_lock_file_then_gets_the_turn_at_once(tmp_path: Path):
    lock = str(tmp_path / "t.db.lock")
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_THE_TURN, lock, "0.6"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        turn = _WriterTurn(lock)
        turn.acquire()
        waited = time.monotonic() - started
        turn.release()
    finally:
        holder.wait(timeout=10)
    # It waited for the other process (0.6 s held), and took over as soon as it was released.
    assert 0.3 < waited < 2.0


def test_workers_sharing_a_file_write_it_together(tmp_path: Path):
    path = tmp_path / "t.db"
    _engine(path, shared_by_workers=True).dispose()
    script = f"""
import sys
from sqlalchemy import Column, Integer, MetaData, String, Table
from shared.db import make_engine
rows = Table("rows", MetaData(), Column("id", Integer, primary_key=True),
             Column("writer", String(20), nullable=False))
engine = make_engine("sqlite:///{path}", shared_by_workers=True)
for _ in range(100):
    with engine.begin() as conn:
        conn.execute(rows.insert(), {{"writer": sys.argv[1]}})
"""
    workers = [
        subprocess.Popen([sys.executable, "-c", script, f"w{i}"], cwd=ROOT) for i in range(3)
    ]
    assert [w.wait(timeout=120) for w in workers] == [0, 0, 0]
    engine = _engine(path)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(rows)).scalar_one() == 300
    engine.dispose()
    assert (tmp_path / "t.db.lock").exists()


def _wal_frames(engine) -> int:
    """Frames in the WAL now; a checkpoint that finds nothing new copies nothing."""
    with engine.connect() as conn:
        return conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()[1]


def _write(engine, count: int) -> None:
    for _ in range(count):
        with engine.begin() as conn:
            conn.execute(rows.insert(), {"writer": "w"})


def test_a_checkpoint_lets_the_wal_start_over(tmp_path: Path):
    engine = _engine(tmp_path / "t.db")
    _write(engine, 100)
    assert checkpoint_wal(engine).copied >= 100  # every commit's frames copied to the file
    _write(engine, 1)  # the next writer finds the WAL copied and starts it over
    assert _wal_frames(engine) < 10
    engine.dispose()


def _rows_in_the_database_file(path: Path) -> int:
    """Rows the file itself holds, without its WAL: what checkpoints have copied there."""
    copy = path.with_name("copy.db")
    shutil.copyfile(path, copy)
    with sqlite3.connect(copy) as conn:
        return conn.execute("SELECT count(*) FROM rows").fetchone()[0]


def test_a_service_checkpoints_its_sqlite_file_in_the_background(tmp_path: Path, redis_url):
    path = tmp_path / "t.db"
    engine = _engine(path)
    outbox, _processed = bus_tables(MetaData())
    outbox.create(engine)
    settings = BaseServiceSettings(redis_url=redis_url, bus_prefix="test-ckpt:")

    async def write_while_the_service_runs() -> int:
        runtime = BusRuntime(settings, service="ckpt", engine=engine, outbox_table=outbox)
        await runtime.start()
        try:
            await asyncio.to_thread(_write, engine, 100)  # far from SQLite's own 1,000 pages
            for _ in range(50):
                await asyncio.sleep(0.1)
                if _rows_in_the_database_file(path) == 100:
                    break
            return _rows_in_the_database_file(path)
        finally:
            await runtime.stop()

    try:
        assert asyncio.run(write_while_the_service_runs()) == 100
    finally:
        engine.dispose()


def test_deleted_data_is_left_in_neither_the_file_nor_its_wal(tmp_path: Path):
    from sqlalchemy import delete, insert

    from shared.db import truncate_wal

    path = tmp_path / "erase.db"
    engine = make_engine(f"sqlite:///{path}")
    metadata = MetaData()
    people = Table(
        "people", metadata, Column("id", Integer, primary_key=True), Column("email", String(80))
    )
    metadata.create_all(engine)
    secret = b"hortense.quillardet@example.org"
    with engine.begin() as conn:
        conn.execute(insert(people), [{"email": f"n{i}@example.org"} for i in range(200)])
        conn.execute(insert(people).values(email=secret.decode()))
    checkpoint_wal(engine)
    with engine.begin() as conn:
        assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
        conn.execute(delete(people).where(people.c.email == secret.decode()))
    truncate_wal(engine)
    wal = Path(f"{path}-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    assert secret not in path.read_bytes()
    engine.dispose()
