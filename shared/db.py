"""Database engines and the tables every service shares the shape of (outbox, processed events)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    create_engine,
    event,
)
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: pass an aware datetime")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value


def normalise_url(url: str) -> str:
    """Accept the usual `postgresql://` spelling and use the psycopg 3 driver for it."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
    _serialise_writers(engine)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        # WAL lets the relay read while a request writes; foreign keys are off by default.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    return engine


# SQL that takes SQLite's write lock: anything but a read.
_READS = ("SELECT", "PRAGMA", "WITH")
_WRITING = "rencontres_writing"


def _serialise_writers(engine: Engine, timeout_s: float = 30.0) -> None:
    """One writing transaction at a time per process, handed over as soon as it ends.

    SQLite lets one writer in at a time and makes the others poll with growing sleeps (up to
    100 ms each): under load the lock sits free while writers sleep. A process lock taken at
    a transaction's first write and released at its end wakes the next writer at once.
    Writers of other processes still meet SQLite's own busy timeout.
    """
    lock = threading.Lock()

    @event.listens_for(engine, "before_cursor_execute")
    def _acquire(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if conn.info.get(_WRITING) or statement.lstrip()[:6].upper().startswith(_READS):
            return
        if not lock.acquire(timeout=timeout_s):
            raise TimeoutError("base SQLite occupée : aucune écriture possible depuis 30 s")
        conn.info[_WRITING] = True

    def _release(info: dict[str, Any] | None) -> None:
        # A plain Lock, not an RLock: released in whichever thread ends the transaction.
        if info is not None and info.pop(_WRITING, False):
            lock.release()

    for name in ("commit", "rollback"):
        event.listen(engine, name, lambda conn: _release(conn.info))
    # However a connection goes back to the pool, the lock it held goes with it.
    for name in ("checkin", "invalidate", "close"):
        event.listen(engine.pool, name, lambda _dbapi, record, *_: _release(record and record.info))


def is_postgresql(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def bus_tables(metadata: MetaData) -> tuple[Table, Table]:
    """The outbox and the processed-events table, added to a service's own metadata."""
    outbox = Table(
        "outbox",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("stream", String(200), nullable=False),
        Column("event_type", String(100), nullable=False),
        Column("payload", Text, nullable=False),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("published_at", UTCDateTime(), nullable=True, index=True),
        Column("stream_entry_id", String(40), nullable=True),
    )
    processed = Table(
        "processed_events",
        metadata,
        Column("consumer", String(100), primary_key=True),
        Column("event_id", String(36), primary_key=True),
        Column("processed_at", UTCDateTime(), nullable=False),
    )
    return outbox, processed


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any exception."""
    with factory() as session, session.begin():
        yield session
