"""Spreadsheet imports in the background: the upload stores the file as a job and answers at
once; a thread of the service process runs the jobs one at a time, writing its progress to
the job's row, which the progress page reads.

The file is kept in the row only until its job ends (it holds personal data); the result
(counts, the first errors and warnings) is kept IMPORT_RESULTS_DAYS for the operator, then
erased by the retention step. A real import writes its result in the transaction of its rows:
a job is « terminé » if and only if its rows are in.

A job left « en cours » by a process that stopped (a crash, a restart) is marked « échoué »
with a French message, never restarted: the operator decides whether to send the file again
(its rows were rolled back with the transaction, nothing is half-imported).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import socket
import sys
import threading
import uuid
from types import TracebackType
from typing import Any

from sqlalchemy import Row, delete, func, select, update
from sqlalchemy.orm import Session

from services.registration.adapters.db import import_jobs
from services.registration.service_layer.importing import ImportReport, import_file
from shared.db import transaction
from shared.events import utc_now
from shared.formats.participants import Issue
from shared.service import ServiceKit

log = logging.getLogger(__name__)

WAITING, RUNNING, DONE, FAILED = "waiting", "running", "done", "failed"
STATES = {WAITING: "en attente", RUNNING: "en cours", DONE: "terminé", FAILED: "échoué"}
IMPORT_RESULTS_DAYS = 30
ISSUES_KEPT = 50  # errors and warnings each: a page one can read, not megabytes of rows
# A running job reports at least every few seconds (PROGRESS_EVERY lines, or its one
# transaction of at most MAX_ROWS rows); silent this long, its process is gone.
STALE_AFTER = dt.timedelta(minutes=10)
INTERRUPTED = (
    "le service s'est arrêté pendant l'import : rien n'a été importé, envoyez le fichier à nouveau"
)
INTERNAL_ERROR = "erreur interne pendant l'import : rien n'a été importé"


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def submit(kit: ServiceKit, edition_id: str, filename: str, data: bytes, *, dry_run: bool) -> str:
    job_id = uuid.uuid4().hex
    with transaction(kit.factory) as session:
        session.execute(
            import_jobs.insert().values(
                job_id=job_id,
                edition_id=edition_id,
                filename=filename[:255],
                dry_run=dry_run,
                state=WAITING,
                content=data,
                size=len(data),
                rows_read=0,
                errors_count=0,
                created_at=utc_now(),
            )
        )
    return job_id


_SHOWN = [c for c in import_jobs.c if c.name != "content"]


def get_job(session: Session, job_id: str) -> Row[Any] | None:
    return session.execute(select(*_SHOWN).where(import_jobs.c.job_id == job_id)).first()


def recent_jobs(session: Session, limit: int = 20) -> list[Row[Any]]:
    query = select(*_SHOWN).order_by(import_jobs.c.created_at.desc()).limit(limit)
    return list(session.execute(query))


def _issues(issues: list[Issue]) -> list[list[Any]]:
    return [[i.line, i.column, i.message] for i in issues[:ISSUES_KEPT]]


def summary(report: ImportReport) -> dict[str, Any]:
    """What the progress page shows of a report, bounded whatever the file."""
    outcome = report.outcome
    return {
        "errors": _issues(report.errors),
        "errors_total": len(report.errors),
        "warnings": _issues(report.warnings),
        "warnings_total": len(report.warnings),
        "outcome": None
        if outcome is None
        else {
            "created": outcome.created,
            "updated": outcome.updated,
            "unchanged": outcome.unchanged,
        },
    }


def _finish(session: Session, job_id: str, state: str, result: dict[str, Any]) -> None:
    now = utc_now()
    session.execute(
        update(import_jobs)
        .where(import_jobs.c.job_id == job_id)
        .values(state=state, result=result, content=None, finished_at=now, heartbeat_at=now)
    )
    if "errors_total" in result:
        session.execute(
            update(import_jobs)
            .where(import_jobs.c.job_id == job_id)
            .values(errors_count=result["errors_total"])
        )


def _claim(kit: ServiceKit, owner: str) -> str | None:
    """The oldest waiting job, now ours; none while another job runs (one at a time)."""
    with transaction(kit.factory) as session:
        if session.execute(
            select(import_jobs.c.job_id).where(import_jobs.c.state == RUNNING)
        ).first():
            return None
        job_id = session.execute(
            select(import_jobs.c.job_id)
            .where(import_jobs.c.state == WAITING)
            .order_by(import_jobs.c.created_at)
            .limit(1)
        ).scalar()
        if job_id is None:
            return None
        now = utc_now()
        claimed = session.connection().execute(
            update(import_jobs)
            .where(import_jobs.c.job_id == job_id, import_jobs.c.state == WAITING)
            .values(state=RUNNING, owner=owner, started_at=now, heartbeat_at=now)
        )
        return str(job_id) if claimed.rowcount == 1 else None


def run_job(kit: ServiceKit, job_id: str) -> None:
    """Check (and, unless a dry run, import) the job's file; its row ends « terminé » with the
    report, or « échoué »; the file is erased either way."""
    with kit.factory() as session:
        job = session.execute(
            select(import_jobs.c.edition_id, import_jobs.c.filename, import_jobs.c.dry_run).where(
                import_jobs.c.job_id == job_id
            )
        ).one()
        data = session.execute(
            select(import_jobs.c.content).where(import_jobs.c.job_id == job_id)
        ).scalar_one()

    def progress(read: int, total: int | None, errors: int) -> None:
        with transaction(kit.factory) as session:
            session.execute(
                update(import_jobs)
                .where(import_jobs.c.job_id == job_id)
                .values(
                    rows_read=read, rows_total=total, errors_count=errors, heartbeat_at=utc_now()
                )
            )

    def committing(session: Session, report: ImportReport) -> None:
        _finish(session, job_id, DONE, summary(report))

    try:
        report = import_file(
            kit,
            job.edition_id,
            data or b"",
            job.filename,
            dry_run=job.dry_run,
            progress=progress,
            before_commit=committing,
        )
    except Exception as exc:
        # By its type only: an exception's message may quote the file.
        log.error("import job failed: %s", type(exc).__name__)
        with transaction(kit.factory) as session:
            _finish(session, job_id, FAILED, {"message": INTERNAL_ERROR})
        return
    del data
    if report.outcome is None or not report.outcome.applied:  # else done with its rows
        with transaction(kit.factory) as session:
            _finish(session, job_id, DONE, summary(report))


def _gone(owner: str | None, heartbeat: dt.datetime | None, now: dt.datetime) -> bool:
    """Whether the process that runs a job is no more: silent too long, or of this host and
    not running (this process, whose worker runs one job at a time, asks between jobs)."""
    if heartbeat is None or now - heartbeat > STALE_AFTER:
        return True
    host, _, pid = (owner or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def fail_interrupted(kit: ServiceKit) -> int:
    """Mark « échoué » the jobs whose process stopped while running them."""
    now = utc_now()
    with transaction(kit.factory) as session:
        running = session.execute(
            select(import_jobs.c.job_id, import_jobs.c.owner, import_jobs.c.heartbeat_at).where(
                import_jobs.c.state == RUNNING
            )
        ).all()
        gone = [r.job_id for r in running if _gone(r.owner, r.heartbeat_at, now)]
        for job_id in gone:
            _finish(session, job_id, FAILED, {"message": INTERRUPTED})
    return len(gone)


def _waiting(kit: ServiceKit) -> bool:
    """Whether a job waits: a read, so that an idle worker writes nothing (no WAL to grow)."""
    with kit.factory() as session:
        found = session.execute(
            select(import_jobs.c.job_id).where(import_jobs.c.state == WAITING).limit(1)
        ).first()
    return found is not None


def run_next(kit: ServiceKit) -> bool:
    """Run the oldest waiting job, if any may run now; whether one ran."""
    if not _waiting(kit):
        return False
    fail_interrupted(kit)
    job_id = _claim(kit, _owner())
    if job_id is None:
        return False
    run_job(kit, job_id)
    return True


def purge_jobs_before(session: Session, before: dt.datetime, dry_run: bool) -> int:
    """The retention step: jobs older than `before`, with their results."""
    old = (import_jobs.c.created_at < before) & (import_jobs.c.state.in_((DONE, FAILED)))
    if dry_run:
        count = select(func.count()).select_from(import_jobs).where(old)
        return int(session.execute(count).scalar_one())
    return session.connection().execute(delete(import_jobs).where(old)).rowcount


class ImportWorker:
    """The service process's import thread: it runs waiting jobs one at a time, woken by an
    upload of this process or, for one sent to another worker process, within POLL_S (a
    read of one row: an idle platform stays idle)."""

    POLL_S = 5.0

    def __init__(self, kit: ServiceKit) -> None:
        self.kit = kit
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="import-jobs", daemon=True)

    def wake(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        # The site comes first: on Linux a thread has its own niceness, so the scheduler gives
        # the request threads the CPU before this one; and a thread waiting for the GIL gets
        # it after 1 ms instead of 5 (measured: /healthz during a 5,000-row import on a
        # loaded machine, slowest of 300 calls 262 ms in a thread as any, 132 ms with these).
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
        sys.setswitchinterval(min(sys.getswitchinterval(), 0.001))
        with contextlib.suppress(Exception):  # the database away: the next job's turn does it
            fail_interrupted(self.kit)  # a job cut short by the last stop
        while not self._stop.is_set():
            try:
                ran = run_next(self.kit)
            except Exception as exc:  # the database away: try again later
                log.warning("import jobs: %s", type(exc).__name__)
                ran = False
            if not ran:
                self._wake.wait(self.POLL_S)
                self._wake.clear()

    def __enter__(self) -> ImportWorker:
        self._thread.start()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        # A job under way ends first (seconds: the file limits bound it); one cut short by
        # a hard stop rolls back and is marked « échoué » at the next start.
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=60)
