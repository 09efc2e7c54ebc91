"""Real servers around the notifier for tests: an SMTP sink, the directory of the other services
(registration's participants, scheduler's agendas) over real HTTP, and Celery workers."""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import uvicorn
from aiosmtpd.controller import Controller
from fastapi import FastAPI, Header, HTTPException

from tests.support.servers import free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-service-token"


# -- SMTP -----------------------------------------------------------------------------------


@dataclass
class SinkHandler:
    """Records accepted messages; can answer 451 or 550, or hang, on demand."""

    messages: list[EmailMessage] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    temporary_failures: int = 0  # next N DATA commands answer 451
    permanent: bool = False  # every DATA answers 550
    hang_next: bool = False  # next DATA waits until `release` is set, then answers 451
    hanging: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    data_commands: int = 0
    peers: list[Any] = field(default_factory=list)  # client address of each accepted message
    envelopes: list[Any] = field(default_factory=list)  # each accepted message's envelope
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.data_commands += 1
        if self.hang_next:
            self.hang_next = False
            self.hanging.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            # The client is gone: nothing was accepted.
            return "451 4.3.0 interrupted"
        if self.permanent:
            return "550 5.1.1 Mailbox unavailable"
        if self.temporary_failures > 0:
            self.temporary_failures -= 1
            return "451 4.7.1 Try again later"
        with self.lock:
            self.raw.append(envelope.content)
            self.peers.append(session.peer)
            self.envelopes.append(envelope)
            self.messages.append(
                email.message_from_bytes(envelope.content, policy=email.policy.default)  # type: ignore[arg-type]
            )
        return "250 OK"

    def by_subject(self, word: str) -> list[EmailMessage]:
        return [m for m in self.messages if word in str(m["Subject"])]


class SmtpSink:
    """aiosmtpd on a free port; `smtputf8` makes it offer SMTPUTF8 (accented mailboxes)."""

    def __init__(self, smtputf8: bool = False) -> None:
        self.handler = SinkHandler()
        self.port = free_port()
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=smtputf8
        )

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.handler.release.set()
        self.controller.stop()

    @property
    def messages(self) -> list[EmailMessage]:
        return self.handler.messages


# -- the other services' internal APIs ------------------------------------------------------


@dataclass
class Directory:
    """What registration and the scheduler answer about participants, served over HTTP."""

    participants: dict[str, dict[str, Any]] = field(default_factory=dict)
    agendas: dict[str, dict[str, Any]] = field(default_factory=dict)
    invitations: dict[str, dict[str, Any]] = field(default_factory=dict)
    links_issued: int = 0
    requests: int = 0

    def person(
        self,
        participant_id: uuid.UUID | str | None = None,
        *,
        role: str = "porteur",
        status: str = "inscrit",
        first_name: str = "Camille",
        last_name: str = "Martin",
        email: str | None = None,
        organisation: str = "Les Jardins de Cocagne",
        edition_id: str = "2026",
    ) -> str:
        pid = str(participant_id or uuid.uuid4())
        self.participants[pid] = {
            "participant_id": pid,
            "edition_id": edition_id,
            "role": role,
            "status": status,
            "first_name": first_name,
            "last_name": last_name,
            "email": email or f"{pid[:8]}@exemple.org",
            "phone": "03 80 00 00 00",
            "organisation": organisation,
            "self_service_url": f"https://rencontres.example/moi/{pid[:8]}",
        }
        return pid

    def agenda(self, pid: str, items: list[dict[str, Any]], ics: str = "") -> None:
        self.agendas[pid] = {
            "participant_id": pid,
            "agenda_url": f"https://rencontres.example/agenda/{pid[:8]}",
            "ics": ics,
            "items": items,
        }

    def invitation(self, participant_id: str, *, answered: bool = False, open: bool = True) -> str:
        """An invitation of the surveys service; returns its id."""
        invitation_id = str(uuid.uuid4())
        self.invitations[invitation_id] = {
            "participant_id": participant_id,
            "survey_title": "Votre avis sur la journée",
            "closes_at": "2030-12-05T23:00:00Z",
            "answered": answered,
            "open": open,
        }
        return invitation_id

    def app(self) -> FastAPI:
        app = FastAPI()

        def check(authorization: str | None) -> None:
            self.requests += 1
            if authorization != f"Bearer {TOKEN}":
                raise HTTPException(401)

        @app.get("/internal/participants/{pid}")
        def participant(pid: str, authorization: str | None = Header(default=None)) -> Any:
            check(authorization)
            if pid not in self.participants:
                raise HTTPException(404)
            return self.participants[pid]

        @app.get("/internal/agendas/{pid}")
        def agenda(pid: str, authorization: str | None = Header(default=None)) -> Any:
            check(authorization)
            if pid not in self.agendas:
                raise HTTPException(404)
            return self.agendas[pid]

        @app.post("/internal/invitations/{invitation_id}/link")
        def invitation(invitation_id: str, authorization: str | None = Header(default=None)) -> Any:
            check(authorization)
            if invitation_id not in self.invitations:
                raise HTTPException(404)
            data = dict(self.invitations[invitation_id])
            self.links_issued += 1  # a fresh token at each call, as the surveys service does
            data["link"] = f"https://q.example/q/tok{self.links_issued}" if data["open"] else None
            return data

        return app


class HttpServer:
    """A uvicorn server in a thread, on a free port."""

    def __init__(self, app: FastAPI) -> None:
        self.port = free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.thread.start()
        wait_until(lambda: self.server.started, what="test HTTP server")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)


# -- Celery workers -------------------------------------------------------------------------


class Workers:
    """`celery worker` subprocesses of the notifier, configured by environment variables."""

    def __init__(self, env: dict[str, str], tmp_path: Path) -> None:
        self.env = env
        self.tmp_path = tmp_path
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, *, beat: bool = True, concurrency: int = 1) -> subprocess.Popen[bytes]:
        n = len(self.processes)
        args = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "services.notifier.entrypoints.tasks:celery_app",
            "worker",
            f"--concurrency={concurrency}",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=INFO",
            f"--hostname=w{n}-{uuid.uuid4().hex[:6]}@test",
        ]
        if beat:
            args += ["--embedded-beat", "--schedule", str(self.tmp_path / f"beat-{n}")]
        log = open(self.tmp_path / f"worker-{n}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            args,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **self.env, "PYTHONUNBUFFERED": "1"},
            start_new_session=True,  # its own process group: a test can kill it whole
        )
        self.processes.append(process)
        log_path = self.tmp_path / f"worker-{n}.log"
        wait_until(
            lambda: process.poll() is not None or b" ready." in log_path.read_bytes(),
            timeout=60,
            what="the Celery worker to be ready",
        )
        if process.poll() is not None:
            raise RuntimeError(f"worker exited: {log_path.read_text(errors='replace')}")
        return process

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        """SIGKILL the worker and its pool children: no chance to clean up."""
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        deadline = time.monotonic() + 10
        for process in self.processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def logs(self) -> str:
        return "\n".join(
            p.read_text(errors="replace") for p in sorted(self.tmp_path.glob("worker-*.log"))
        )
