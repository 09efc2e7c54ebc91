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

import datetime as dt
import logging
import os
import socket
import uuid
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from services.registration.adapters.db import import_jobs
from services.registration.service_layer.importing import ImportReport
from shared.db import record
from shared.events import utc_now
from shared.formats.participants import Issue

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


def submit(session: Session, edition_id: str, filename: str, data: bytes, *, dry_run: bool) -> str:
    """A waiting job holding the file; the import worker (`entrypoints/import_worker.py`)
    runs it."""
    job_id = uuid.uuid4().hex
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


@dataclass(frozen=True)
class ImportJob:
    """A job as its pages show it (never its file)."""

    job_id: str
    edition_id: str
    filename: str
    dry_run: bool
    state: str
    size: int
    rows_read: int
    rows_total: int | None
    errors_count: int
    result: dict[str, Any] | None
    created_at: dt.datetime


_SHOWN = [import_jobs.c[f.name] for f in fields(ImportJob)]


def get_job(session: Session, job_id: str) -> ImportJob | None:
    row = session.execute(select(*_SHOWN).where(import_jobs.c.job_id == job_id)).first()
    return None if row is None else record(ImportJob, row)


def recent_jobs(session: Session, limit: int = 20) -> list[ImportJob]:
    query = select(*_SHOWN).order_by(import_jobs.c.created_at.desc()).limit(limit)
    return [record(ImportJob, row) for row in session.execute(query)]


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


def finish(session: Session, job_id: str, state: str, result: dict[str, Any]) -> None:
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


def process_gone(owner: str | None, heartbeat: dt.datetime | None, now: dt.datetime) -> bool:
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


def purge_jobs_before(session: Session, before: dt.datetime, dry_run: bool) -> int:
    """The retention step: jobs older than `before`, with their results."""
    old = (import_jobs.c.created_at < before) & (import_jobs.c.state.in_((DONE, FAILED)))
    if dry_run:
        count = select(func.count()).select_from(import_jobs).where(old)
        return int(session.execute(count).scalar_one())
    return session.connection().execute(delete(import_jobs).where(old)).rowcount
