"""The registration process's import thread: it runs the waiting import jobs
(`service_layer/import_jobs.py`) one at a time, each step in a transaction of its own: the
claim, the progress reports, the import with its result, or the failure. A job a stopped
process left « en cours » is marked « échoué » (nothing of it was committed)."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import sys
import threading
from collections.abc import Callable
from types import TracebackType

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.registration.adapters.db import import_jobs
from services.registration.service_layer.editions import get_edition
from services.registration.service_layer.import_jobs import (
    DONE,
    FAILED,
    INTERNAL_ERROR,
    INTERRUPTED,
    RUNNING,
    WAITING,
    finish,
    process_gone,
    summary,
)
from services.registration.service_layer.importing import ImportReport, import_file
from shared.db import transaction
from shared.events import utc_now
from shared.formats.participants import Progress
from shared.service import ServiceKit

log = logging.getLogger(__name__)


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


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

    def keep(session: Session, report: ImportReport) -> None:
        finish(session, job_id, DONE, summary(report))

    try:
        report = import_now(
            kit,
            job.edition_id,
            data or b"",
            job.filename,
            dry_run=job.dry_run,
            progress=progress,
            keep=keep,
        )
    except Exception as exc:
        # By its type only: an exception's message may quote the file.
        log.error("import job failed: %s", type(exc).__name__)
        with transaction(kit.factory) as session:
            finish(session, job_id, FAILED, {"message": INTERNAL_ERROR})
        return
    del data
    if not report.applied:  # else done with its rows
        with transaction(kit.factory) as session:
            finish(session, job_id, DONE, summary(report))


def import_now(
    kit: ServiceKit,
    edition_id: str,
    data: bytes,
    filename: str,
    *,
    dry_run: bool,
    progress: Progress | None = None,
    keep: Callable[[Session, ImportReport], None] | None = None,
) -> ImportReport:
    """A file imported in one transaction, committed only when its rows are to be kept
    (checked, no conflict, not a dry run), with what `keep` writes beside them (the job's
    result); otherwise rolled back. The worker's and the command line's one way."""
    with kit.factory() as session:
        edition = get_edition(session, edition_id)
    with kit.factory() as session, session.begin():
        report = import_file(
            session, kit, edition, data, filename, dry_run=dry_run, progress=progress
        )
        if not report.applied:
            session.rollback()
        elif keep is not None:
            keep(session, report)
    return report


def fail_interrupted(kit: ServiceKit) -> int:
    """Mark « échoué » the jobs whose process stopped while running them."""
    now = utc_now()
    with transaction(kit.factory) as session:
        running = session.execute(
            select(import_jobs.c.job_id, import_jobs.c.owner, import_jobs.c.heartbeat_at).where(
                import_jobs.c.state == RUNNING
            )
        ).all()
        gone = [r.job_id for r in running if process_gone(r.owner, r.heartbeat_at, now)]
        for job_id in gone:
            finish(session, job_id, FAILED, {"message": INTERRUPTED})
    return len(gone)


def _unfinished(kit: ServiceKit) -> bool:
    """Whether a job waits or runs (here or in a process that may have stopped): a read, so
    that an idle worker writes nothing (no WAL to grow)."""
    with kit.factory() as session:
        found = session.execute(
            select(import_jobs.c.job_id).where(import_jobs.c.state.in_((WAITING, RUNNING))).limit(1)
        ).first()
    return found is not None


def run_next(kit: ServiceKit) -> bool:
    """Run the oldest waiting job, if any may run now; whether one ran."""
    if not _unfinished(kit):
        return False
    fail_interrupted(kit)
    job_id = _claim(kit, _owner())
    if job_id is None:
        return False
    run_job(kit, job_id)
    return True


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
