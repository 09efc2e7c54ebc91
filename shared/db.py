"""Database engines and the tables every service shares the shape of (outbox, processed events)."""

from __future__ import annotations

import datetime as dt
import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Concatenate, NamedTuple, ParamSpec, TypeGuard, TypeVar

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Row,
    String,
    Table,
    Text,
    TypeDecorator,
    create_engine,
    event,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

P = ParamSpec("P")
T = TypeVar("T")
RecordT = TypeVar("RecordT")

log = logging.getLogger(__name__)


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


# An edition's id in every table of every service (a year, or a short slug).
EDITION_ID_LENGTH = 40


def edition_id_type() -> String:
    """The column type of an edition id, the same length everywhere."""
    return String(EDITION_ID_LENGTH)


def normalise_url(url: str) -> str:
    """Accept the usual `postgresql://` spelling and use the psycopg 3 driver for it."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str, *, shared_by_workers: bool = False) -> Engine:
    """`shared_by_workers`: several HTTP worker processes write this SQLite file; they queue
    for it on an flock instead of SQLite's polling (see _WriterTurn)."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
    if _is_file(parsed.database):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
    _serialise_writers(engine, parsed.database if shared_by_workers else None)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        # WAL lets the relay read while a request writes; foreign keys are off by default.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Deleted and overwritten content is zeroed in the file, not left in free pages.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    return engine


# SQL that takes SQLite's write lock: anything but a read.
_READS = ("SELECT", "PRAGMA", "WITH")


class _WriterTurn:
    """One writing transaction at a time on a SQLite file, handed over as soon as it ends.

    SQLite lets one writer in and makes the others poll with growing sleeps (1, 2, 5, 10... up
    to 100 ms): under load its lock sits free while the writers sleep. Here writers queue on a
    thread lock within a process and, when a service runs several HTTP workers, on an flock()
    of `<database>.lock` between them, both handed over within a millisecond. Other processes
    (command line, Celery) keep to SQLite's own lock and busy timeout: measured with the
    notifier's Celery children on the flock too, confirmation emails left later, not sooner.
    """

    def __init__(self, lock_path: str | None, timeout_s: float = 30.0) -> None:
        self.lock_path = lock_path
        self.timeout_s = timeout_s
        self._pid = -1
        self._fd: int | None = None
        self._lock = threading.Lock()

    def _for_this_process(self) -> None:
        # A forked child gets its own lock and file description (flock is per description).
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self._lock = threading.Lock()
            self._fd = (
                os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600) if self.lock_path else None
            )

    def acquire(self) -> None:
        self._for_this_process()
        deadline = time.monotonic() + self.timeout_s
        if not self._lock.acquire(timeout=self.timeout_s):
            raise TimeoutError("base SQLite occupée : aucune écriture possible depuis 30 s")
        if self._fd is None:
            return
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    self._lock.release()
                    raise TimeoutError(
                        "base SQLite occupée : aucune écriture possible depuis 30 s"
                    ) from None
                time.sleep(0.0005)

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._lock.release()


def _serialise_writers(engine: Engine, database: str | None) -> None:
    """Takes the writer's turn at a transaction's first write, gives it back at its end.

    `database`: the file whose writers of other processes queue on `<database>.lock` too."""
    turn = _WriterTurn(f"{database}.lock" if _is_file(database) else None)

    writing: set[int] = set()  # the DBAPI connections holding the turn, by id

    @event.listens_for(engine, "before_cursor_execute")
    def _acquire(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        key = id(conn.connection.dbapi_connection)
        if key in writing or statement.lstrip()[:6].upper().startswith(_READS):
            return
        turn.acquire()
        writing.add(key)

    def _release(connection: Any) -> None:
        # The pool's proxy or the sqlite3 connection itself; released in whichever thread
        # ends the transaction (a plain Lock allows it).
        key = id(getattr(connection, "dbapi_connection", connection))
        if key in writing:
            writing.discard(key)
            turn.release()

    # Given back once the COMMIT or ROLLBACK is done, not before (SQLAlchemy's commit event
    # comes before): the next writer would find SQLite's lock still taken and sleep.
    dialect = engine.dialect
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def do_commit(connection: Any) -> None:
        try:
            commit(connection)
        finally:
            _release(connection)

    def do_rollback(connection: Any) -> None:
        try:
            rollback(connection)
        finally:
            _release(connection)

    dialect.do_commit = do_commit  # type: ignore[method-assign,assignment]
    dialect.do_rollback = do_rollback  # type: ignore[method-assign,assignment]
    # However a connection goes back to the pool, the turn it held goes with it.
    for name in ("checkin", "invalidate", "close"):
        event.listen(engine.pool, name, lambda dbapi_connection, *_: _release(dbapi_connection))


class WalCheckpoint(NamedTuple):
    busy: bool
    frames: int  # in the WAL
    copied: int  # of them, now in the database file

    @property
    def complete(self) -> bool:
        return not self.busy and self.copied == self.frames


def checkpoint_wal(engine: Engine) -> WalCheckpoint:
    """Copy what the SQLite WAL holds into the database file.

    PASSIVE: it waits for no reader or writer. Run in the background (by `BusRuntime`), so
    that a request's COMMIT never has to: SQLite checkpoints in the committing connection once
    the WAL reaches 1,000 pages, and that commit then took ~25 ms (an fsync included) while
    every other writer waited its turn.
    """
    with engine.connect() as conn:
        busy, frames, copied = conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
    return WalCheckpoint(bool(busy), int(frames), int(copied))


def wal_stamp(engine: Engine) -> tuple[int, int] | None:
    """Size and modification time of a SQLite file's WAL (None without one): a checkpoint
    leaves the WAL file as it is, so a new stamp means something was written since."""
    try:
        info = os.stat(f"{engine.url.database}-wal")
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns


def truncate_wal(engine: Engine) -> None:
    """Copy the whole SQLite WAL into the database file and empty it, so that erased data is
    left in neither (with `secure_delete` the file's freed space is zeroed). Waits for the
    readers and writers of the moment (busy_timeout). Nothing to do on PostgreSQL."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()


def after_commit(
    session: Session, callback: Callable[[], object], *, key: Hashable | None = None
) -> None:
    """Run `callback` once this session's transaction has committed, never if it rolls back:
    how a use case, which never commits, counts a metric or ends a session in Redis. A `key`
    asks for it once however many times it is asked in the transaction."""
    pending: dict[Hashable, Callable[[], object]] = session.info.setdefault("after_commit", {})
    pending.setdefault(object() if key is None else key, callback)
    if not session.info.get("after_commit_listened"):
        session.info["after_commit_listened"] = True
        event.listen(session, "after_commit", _run_after_commit)
        event.listen(session, "after_rollback", _drop_after_commit)


def _run_after_commit(session: Session) -> None:
    for callback in session.info.pop("after_commit", {}).values():
        callback()


def _drop_after_commit(session: Session) -> None:
    session.info.pop("after_commit", None)


def truncate_wal_after_commit(session: Session) -> None:
    """`truncate_wal` once this session's transaction commits (an erasure's handler)."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    after_commit(session, lambda: truncate_wal(engine), key=("truncate_wal", engine.url))


def _is_file(database: str | None) -> TypeGuard[str]:
    """A SQLite database kept in a file (not in memory)."""
    return database not in (None, "", ":memory:")


def is_file_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite" and _is_file(engine.url.database)


def insert_or_nothing(
    table: Table, dialect: str, index_elements: Sequence[str] | None = None
) -> Any:
    """`INSERT ... ON CONFLICT DO NOTHING` on PostgreSQL or SQLite (`dialect`); the caller adds
    the values, or binds them when it runs the statement."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return insert(table).on_conflict_do_nothing(index_elements=index_elements)


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
        # A row is deleted once published (shared/bus/outbox.py): these two stay NULL.
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


RETRIED_WRITES = 5


def retrying(
    factory: sessionmaker[Session],
    use_case: Callable[Concatenate[Session, P], T],
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """`use_case(session, ...)` in a transaction of its own, run again from the start when it
    lost a race with a concurrent writer (a unique constraint, SQLite's writer lock, a
    serialisation failure): the next attempt sees the other's row. The one place for retries."""
    for attempt in range(RETRIED_WRITES):
        try:
            with transaction(factory) as session:
                return use_case(session, *args, **kwargs)
        except (IntegrityError, OperationalError):
            if attempt == RETRIED_WRITES - 1:
                raise
    raise AssertionError("unreachable")


def record(cls: type[RecordT], row: Row[Any]) -> RecordT:
    """A row as the service's typed record (a dataclass whose fields are the row's columns):
    what use cases return instead of rows."""
    return cls(**row._mapping)


def plain_row(row: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """A row as JSON-ready values (dates in ISO 8601): for a person's copy of their data."""
    data: dict[str, Any] = {}
    for name, value in row._mapping.items():
        if name in skip:
            continue
        data[name] = value.isoformat() if isinstance(value, (dt.datetime, dt.date)) else value
    return data
