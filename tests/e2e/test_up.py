"""`rencontres up` in a fresh folder: Redis started for it (and restarted when killed), the
emails caught under var/mails when nothing listens at the SMTP address and shown in the
back-office, every process healthy, all stopped."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import redis

from rencontres.demo import csrf_of
from shared.settings import BaseServiceSettings
from tests.support.servers import free_port, wait_until
from tests.support.web import admin_cookies

ROOT = Path(__file__).resolve().parents[2]


def _healthy(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _log(folder: Path) -> str:
    return (folder / "up.log").read_text(errors="replace")


def _redis_pid(client: redis.Redis) -> int | None:
    try:
        return int(client.info("server")["process_id"])
    except redis.RedisError:
        return None


def _register_holder(registration: str) -> str:
    """A holder through the public form, as a person fills it; their address."""
    with httpx.Client(base_url=registration, timeout=30, follow_redirects=True) as client:

        def form() -> tuple[str, httpx.Response] | None:
            forms = client.get("/")  # the site's root leads to the edition's forms
            path = f"{forms.url.path.rstrip('/')}/porteur"
            page = client.get(path)
            # Open once registration has the edition the scheduler publishes at its start.
            return (
                (path, page) if page.status_code == 200 and 'name="prenom"' in page.text else None
            )

        path, page = wait_until(form, timeout=60, interval=0.5, what="the holder form")
        email = "camille.martin@asso-exemple.fr"
        answer = client.post(
            path,
            data={
                "csrf_token": csrf_of(page.text),
                "site_web": "",
                "prenom": "Camille",
                "nom": "Martin",
                "email": email,
                "structure": "Les Jardins de Cocagne",
                "forme": "association",
                "stade": "creation",
                "commune": "Dijon",
                "besoin_1": "mecenat",
                "besoin_2": "business-plan",
                "disponibilite": "journee",
                "consentement_partage": "oui",
            },
        )
    assert answer.status_code == 200 and "Merci" in answer.text, answer.text[-2000:]
    return email


def _caught_confirmation(folder: Path, notifier: str, email: str, env: dict[str, str]) -> None:
    """The confirmation is kept under var/mails, and the email log opens it as received."""
    mails = folder / "var" / "mails"
    wait_until(lambda: any(mails.glob("*.eml")), timeout=60, interval=0.3, what="a caught email")
    [kept] = list(mails.glob("*.eml"))
    assert email.encode() in kept.read_bytes()
    assert "chaque email envoyé est gardé dans var/mails" in _log(folder)
    settings = BaseServiceSettings(redis_url=env["REDIS_URL"], bus_prefix=env["BUS_PREFIX"])
    with httpx.Client(base_url=notifier, cookies=admin_cookies(settings), timeout=10) as admin:
        log = admin.get("/admin/emails")
        assert log.status_code == 200 and "inscription-porteur" in log.text
        [link] = re.findall(r'href="(/admin/emails/\d+/message)"', log.text)
        page = admin.get(link)
    assert page.status_code == 200
    assert "Le message tel qu'il a été reçu" in page.text
    assert "Inscription confirmée" in page.text
    assert email in page.text and "Version texte" in page.text and "srcdoc=" in page.text


def test_up_starts_every_process_and_stops_them_all(tmp_path: Path):
    redis_port = free_port()
    ports = {
        name: free_port()
        for name in (
            "REGISTRATION_PORT",
            "SCHEDULER_PORT",
            "NOTIFIER_PORT",
            "SURVEYS_PORT",
            "NOTIFIER_WORKER_METRICS_PORT",  # the worker runs the beat: no port of its own
        )
    }
    env = {
        **os.environ,
        **{k: str(v) for k, v in ports.items()},
        # Nothing answers there: `up` must start a redis-server of its own under var/.
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "BUS_PREFIX": f"e2e-{uuid.uuid4().hex[:6]}:",
        "PYTHONPATH": str(ROOT),
        # Nothing listens there either (a port of its own, not 1025, which another run may
        # hold): `up` catches the emails itself.
        "SMTP_PORT": str(free_port()),
        "REGISTRATION_FORM_MIN_FILL_SECONDS": "0",
        # The notifier asks the others for the contact and the agenda at their own ports.
        **{
            f"{name}_INTERNAL_URL": f"http://127.0.0.1:{ports[name + '_PORT']}"
            for name in ("REGISTRATION", "SCHEDULER", "SURVEYS")
        },
    }
    log = open(tmp_path / "up.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "rencontres.cli", "up"],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        urls = [f"http://127.0.0.1:{port}/healthz" for port in ports.values()]
        wait_until(
            lambda: all(_healthy(u) for u in urls),
            timeout=60,
            interval=0.5,
            what="every /healthz to answer 200",
        )
        metrics = httpx.get(f"http://127.0.0.1:{ports['REGISTRATION_PORT']}/metrics").text
        assert "rencontres_http_requests_total" in metrics
        assert (tmp_path / "var" / "redis").is_dir()

        email = _register_holder(f"http://127.0.0.1:{ports['REGISTRATION_PORT']}")
        notifier = f"http://127.0.0.1:{ports['NOTIFIER_PORT']}"
        _caught_confirmation(tmp_path, notifier, email, env)

        # The redis-server `up` started is watched like the others: killed, it comes back.
        client = redis.Redis(port=redis_port, socket_connect_timeout=0.5)
        first = client.info("server")["process_id"]
        os.kill(first, signal.SIGKILL)
        wait_until(lambda: _redis_pid(client) not in (None, first), timeout=30, what="Redis back")
        assert "redis s'est arrêté (tué par SIGKILL, code de sortie -9)" in _log(tmp_path)
        wait_until(
            lambda: all(_healthy(u) for u in urls), timeout=30, what="every /healthz after Redis"
        )
        for db in ("registration", "scheduler", "notifier", "surveys"):
            assert (tmp_path / "var" / f"{db}.db").is_file()
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
    output = _log(tmp_path)
    assert "Rencontres démarre" in output
    # Redis stops last, once the services no longer need it.
    stops = re.findall(r"\| (\w+) arrêté \(", output)
    names = ["registration", "scheduler", "notifier", "surveys", "worker", "redis"]
    assert sorted(stops) == sorted(names)
    assert stops[-1] == "redis"
    assert not any(_healthy(f"http://127.0.0.1:{port}/healthz") for port in ports.values())
    try:
        answered = redis.Redis(port=redis_port, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        answered = False
    assert not answered, "the redis-server started by `up` must stop with it"
