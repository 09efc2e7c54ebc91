"""Imports through a running `rencontres registration serve`: every hostile file gets its French
answer from the background job within the limits and the process's memory stays bounded;
`/healthz` answers in under 100 ms while 5,000 rows are imported; a process killed during an
import leaves no row and the job « échoué » once it is back."""

from __future__ import annotations

import html
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from services.registration.adapters.db import import_jobs, participants
from shared.edition import default_edition
from tests.conftest import REDIS_URL
from tests.integration.registration.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, csrf_token
from tests.support.servers import free_port, wait_until
from tests.unit.formats.spreadsheets import FRENCH_HEADER, errors_file, hostile_files, to_csv

ROOT = Path(__file__).resolve().parents[3]
EDITION = default_edition().edition_id
CLI = [sys.executable, "-m", "rencontres.cli", "registration"]
# The process idles near 150 MB; the 100,000-row file read whole, or the bomb unpacked,
# took it past 400 MB and 3.4 GB.
PEAK_MEMORY_MB = 300
# A 5,000-row import takes 15 s here, a minute on a busy machine.
pytestmark = pytest.mark.timeout(600)


def _healthy(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@dataclass
class Service:
    folder: Path
    database_url: str
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "REDIS_URL": REDIS_URL,
            "BUS_PREFIX": f"e2e-import-{self.port}:",
            "VAR_DIR": str(self.folder / "var"),
            "REGISTRATION_DATABASE_URL": self.database_url,
            "REGISTRATION_PORT": str(self.port),
            "REGISTRATION_PUBLIC_URL": self.url,
        }

    def run(self, *args: str) -> None:
        subprocess.run(
            [*CLI, *args], env=self.env, cwd=self.folder, check=True, capture_output=True
        )

    def start(self) -> None:
        log = open(self.folder / "serve.log", "ab")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [*CLI, "serve"], env=self.env, cwd=self.folder, stdout=log, stderr=subprocess.STDOUT
        )
        wait_until(lambda: _healthy(f"{self.url}/healthz"), timeout=60, interval=0.3, what="serve")

    def peak_memory_mb(self) -> float:
        """The process's peak resident memory (VmHWM), since it started."""
        assert self.process is not None
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024

    def stop(self, sig: int = signal.SIGINT) -> None:
        if self.process is not None:
            self.process.send_signal(sig)
            self.process.wait(timeout=60)
            self.process = None


@pytest.fixture
def service(tmp_path: Path, database_url: str) -> Iterator[Service]:
    running = Service(tmp_path, database_url)
    running.run("migrate")
    running.run("admin", "create", "--email", ADMIN_EMAIL, "--password", ADMIN_PASSWORD)
    running.start()
    yield running
    running.stop()


def _logged_in(service: Service) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=service.url, timeout=30)
    page = client.get("/admin/login")
    client.post(
        "/admin/login",
        data={
            "csrf_token": csrf_token(page.text),
            "email": ADMIN_EMAIL,
            "password": ADMIN_PASSWORD,
        },
    )
    page = client.get("/admin/import")
    assert page.status_code == 200, page.text[:200]
    return client, csrf_token(page.text)


def _send(client: httpx.Client, token: str, name: str, data: bytes, action: str) -> str:
    """Upload a file; the answer comes at once, with the address of its job's page."""
    started = time.monotonic()
    answer = client.post(
        "/admin/import",
        data={"csrf_token": token, "edition": EDITION, "action": action},
        files={"fichier": (name, data, "application/octet-stream")},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text[:300]
    assert time.monotonic() - started < 5  # stored, not parsed
    return answer.headers["location"]


def _result(client: httpx.Client, job_page: str, timeout: float = 120) -> str:
    """The job's page once it stopped refreshing itself (the job ended)."""

    def ended() -> str | None:
        page = client.get(job_page)
        assert page.status_code == 200
        return None if 'http-equiv="refresh"' in page.text else html.unescape(page.text)

    return wait_until(ended, timeout=timeout, interval=0.5, what=f"{job_page} to end")


def _count(database_url: str, table=participants) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())
    finally:
        engine.dispose()


def _job(database_url: str, job_id: str):
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(import_jobs).where(import_jobs.c.job_id == job_id)).one()
    finally:
        engine.dispose()


def test_every_hostile_file_gets_its_french_errors_with_bounded_memory(service):
    client, token = _logged_in(service)
    for name, (data, expected) in hostile_files().items():
        for action in ("verifier", "importer"):
            text = _result(client, _send(client, token, name, data, action))
            line, _, message = expected.removeprefix("ligne ").partition(" : ")
            assert "Fichier refusé : 1 erreur, rien n'a été importé" in text, name
            assert f"<tr><td>{line}</td><td></td><td>{message}</td></tr>" in text, name

    text = _result(client, _send(client, token, "erreurs.csv", errors_file(), "importer"))
    assert 200_000 < len(errors_file()) < 250_000
    assert "Fichier refusé : 4\u202f500 erreurs, rien n'a été importé" in text
    assert text.count("<tr><td>") == 50 and "… et 4\u202f450 autres erreurs" in text
    assert len(text) < 100_000

    heavy = client.post(
        "/admin/import",
        data={"csrf_token": token, "edition": EDITION, "action": "verifier"},
        files={"fichier": ("lourd.csv", b"x" * (6 * 1024 * 1024), "text/csv")},
    )
    assert heavy.status_code == 413 and "Fichier trop lourd : 5 Mo au plus." in heavy.text

    assert _count(service.database_url) == 0  # nothing half-imported
    # Every file of personal data is erased once its job ended; the results stay listed.
    engine = create_engine(service.database_url)
    with engine.connect() as conn:
        jobs = conn.execute(select(import_jobs.c.state, import_jobs.c.content)).all()
    engine.dispose()
    assert len(jobs) == 2 * len(hostile_files()) + 1
    assert {(j.state, j.content) for j in jobs} == {("done", None)}
    peak = service.peak_memory_mb()
    print(f"registration process peak memory: {peak:.0f} MB")
    assert peak < PEAK_MEMORY_MB, f"peak {peak:.0f} MB"
    client.close()


def _rows(count: int) -> bytes:
    rows = [
        [
            "expert" if n % 5 == 0 else "porteur",
            f"Prénom{n}",
            f"Nom{n}",
            f"personne{n}@exemple.fr",
            "",
            f"Structure {n}",
            "banque" if n % 5 == 0 else "association",
            "" if n % 5 == 0 else "creation",
            "Dijon",
            *[""] * 6,
            "oui",
        ]
        for n in range(count)
    ]
    return to_csv([FRENCH_HEADER, *rows])


def _health_timings(health: httpx.Client, count: int) -> list[float]:
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        assert health.get("/healthz").status_code == 200
        timings.append(time.perf_counter() - started)
        time.sleep(0.05)
    return timings


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def test_healthz_answers_in_under_100_ms_while_5000_rows_are_imported(service):
    client, token = _logged_in(service)
    health = httpx.Client(base_url=service.url, timeout=5)
    idle = _health_timings(health, 50)  # the reference: this machine, now, no import
    job_page = _send(client, token, "inscrits.csv", _rows(5_000), "importer")
    job_id = job_page.rsplit("/", 1)[1]
    timings: list[float] = []
    progress: set[int] = set()
    while (job := _job(service.database_url, job_id)).state not in ("done", "failed"):
        if job.state == "running":
            progress.add(job.rows_read)
            timings += _health_timings(health, 5)
    health.close()
    assert job.state == "done"
    assert len(timings) >= 20 and len(progress) >= 3, (len(timings), progress)
    ms = {
        name: (
            1000 * _percentile(values, 0.5),
            1000 * _percentile(values, 0.95),
            1000 * max(values),
        )
        for name, values in (("idle", idle), ("importing", timings))
    }
    print(f"/healthz ms (median, 95th, max): {ms}, {len(timings)} calls during the import")
    # 95 calls in 100 under 100 ms, and none near a freeze (it was 80 s): on a machine shared
    # by other jobs, a process waits its turn for the CPU, and a full collection of the
    # garbage collector, holding the GIL, took up to 700 ms under a load of 14 on 2 cores.
    assert ms["importing"][1] < 100 and ms["importing"][2] < 2000, ms
    text = " ".join(_result(client, job_page).split())
    # (split() takes the narrow no-break space of « 5 000 » for a space too)
    assert "Import de inscrits.csv : 5 000 nouveaux, 0 modifié, 0 inchangé." in text
    assert _count(service.database_url) == 5_000
    client.close()


def test_a_process_killed_during_an_import_leaves_no_row_and_the_job_failed(service):
    client, token = _logged_in(service)
    job_page = _send(client, token, "inscrits.csv", _rows(5_000), "importer")
    job_id = job_page.rsplit("/", 1)[1]

    def writing() -> bool:
        # Every row checked: the job is in its one transaction of 5,000 rows.
        job = _job(service.database_url, job_id)
        assert job.state == "running" or job.state == "waiting"
        return (
            job.state == "running"
            and job.rows_total is not None
            and job.rows_read == job.rows_total
        )

    wait_until(writing, timeout=120, interval=0.05, what="the job to write its rows")
    service.stop(signal.SIGKILL)
    service.start()
    text = " ".join(_result(client, job_page, timeout=30).split())
    assert "État : <strong>échoué</strong>" in text
    assert "le service s'est arrêté pendant l'import : rien n'a été importé" in text
    assert _count(service.database_url) == 0
    assert _job(service.database_url, job_id).content is None
    client.close()
