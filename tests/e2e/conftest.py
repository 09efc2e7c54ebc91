"""The whole platform as `rencontres up` runs it, shared by the end-to-end tests of a session.

Free ports, a key prefix of its own on the machine's Redis, SQLite under a temporary folder,
an SMTP sink catching the emails. A registration is driven through the real public form.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from shared.edition import default_edition
from tests.conftest import REDIS_URL
from tests.support.notifier import SmtpSink
from tests.support.servers import free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]
PORTS = {
    "registration": "REGISTRATION_PORT",
    "scheduler": "SCHEDULER_PORT",
    "notifier": "NOTIFIER_PORT",
    "surveys": "SURVEYS_PORT",
    "worker": "NOTIFIER_WORKER_METRICS_PORT",
}


@dataclass
class Stack:
    folder: Path
    ports: dict[str, int]
    prefix: str
    smtp: SmtpSink
    redis_url: str
    process: subprocess.Popen[bytes]
    registered: list[dict[str, Any]] = field(default_factory=list)

    def url(self, process: str, path: str = "") -> str:
        return f"http://127.0.0.1:{self.ports[process]}{path}"

    @property
    def log(self) -> str:
        return (self.folder / "up.log").read_text(errors="replace")

    def metrics(self) -> dict[str, str]:
        """Every process's /metrics page."""
        return {name: httpx.get(self.url(name, "/metrics"), timeout=5).text for name in PORTS}

    def stream_entries(self) -> list[tuple[str, dict[bytes, bytes]]]:
        """Every entry of every stream under the prefix (dead-letter streams included)."""
        client = redis.Redis.from_url(self.redis_url)
        try:
            found = []
            for key in client.scan_iter(match=f"{self.prefix}*", count=1000, _type="stream"):
                for _id, fields in client.xrange(key):
                    found.append((key.decode(), fields))
            return found
        finally:
            client.close()

    def emails_to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.smtp.messages if address.lower() in str(m["To"]).lower()]


def _healthy(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with platform(tmp_path_factory.mktemp("stack"), REDIS_URL) as running:
        yield running


@contextmanager
def platform(folder: Path, redis_url: str) -> Iterator[Stack]:
    """`rencontres up` in `folder` on the Redis at `redis_url`, stopped with Ctrl-C after."""
    ports = {name: free_port() for name in PORTS}
    prefix = f"e2e-{uuid.uuid4().hex[:8]}:"
    smtp = SmtpSink()
    smtp.start()
    env = {
        **os.environ,
        **{PORTS[name]: str(port) for name, port in ports.items()},
        "REDIS_URL": redis_url,
        "BUS_PREFIX": prefix,
        "PYTHONPATH": str(ROOT),
        "REGISTRATION_FORM_MIN_FILL_SECONDS": "0",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp.port),
        "EMAIL_POLL_INTERVAL_S": "1",
        "RELAY_INTERVAL_S": "0.1",
        "RECLAIM_INTERVAL_S": "1",
        "REGISTRATION_PUBLIC_URL": f"http://127.0.0.1:{ports['registration']}",
        "SCHEDULER_PUBLIC_URL": f"http://127.0.0.1:{ports['scheduler']}",
        "SURVEYS_PUBLIC_URL": f"http://127.0.0.1:{ports['surveys']}",
        "REGISTRATION_INTERNAL_URL": f"http://127.0.0.1:{ports['registration']}",
        "SCHEDULER_INTERNAL_URL": f"http://127.0.0.1:{ports['scheduler']}",
        "SURVEYS_INTERNAL_URL": f"http://127.0.0.1:{ports['surveys']}",
    }
    log = open(folder / "up.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "rencontres.cli", "up"],
        cwd=folder,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_until(
            lambda: all(_healthy(f"http://127.0.0.1:{p}/healthz") for p in ports.values()),
            timeout=90,
            interval=0.5,
            what="every /healthz to answer 200",
        )
        yield Stack(folder, ports, prefix, smtp, redis_url, process)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            log.close()
            smtp.stop()
            client = redis.Redis.from_url(redis_url)
            keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
            if keys:
                client.delete(*keys)
            client.close()


def holder_form(**overrides: Any) -> dict[str, Any]:
    """The public form of a project holder, as a person fills it."""
    form: dict[str, Any] = {
        "prenom": "Camille",
        "nom": "Durand",
        "email": f"camille.durand.{uuid.uuid4().hex[:6]}@asso-exemple.fr",
        "telephone": "03 80 00 00 00",
        "structure": "Les Jardins du Suzon",
        "forme": "association",
        "stade": "creation",
        "commune": "Dijon",
        "besoin_1": "mecenat",
        "besoin_2": "budget-previsionnel",
        "besoin_3": "",
        "souhaits": "",
        "refus": "",
        "disponibilite": "journee",
        "rdv_max": "4",
        "repas": "oui",
        "accessibilite": "",
        "consentement_partage": "oui",
        "site_web": "",
    }
    form.update(overrides)
    return form


def register_holder(stack: Stack, form: dict[str, Any]) -> httpx.Response:
    """Through the public form over HTTP: the page, its CSRF token and cookie, the answer."""
    edition = default_edition().edition_id
    with httpx.Client(base_url=stack.url("registration"), timeout=10) as client:
        page = client.get(f"/inscription/{edition}/porteur")
        assert page.status_code == 200, page.text
        match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert match, "no CSRF token in the form"
        answer = client.post(
            f"/inscription/{edition}/porteur",
            data={"csrf_token": match.group(1), **form},
            follow_redirects=True,
        )
    assert answer.status_code == 200, answer.text
    stack.registered.append(form)
    return answer


def self_service_token(message: EmailMessage) -> str:
    """The personal link's token in a confirmation email."""
    body = message.get_body(preferencelist=("plain", "html"))
    assert body is not None
    match = re.search(r"/mon-inscription/([A-Za-z0-9_\-\.]+)", body.get_content())
    assert match, "no self-service link in the email"
    return match.group(1)
