"""deploy/compose.yaml started for real, as the README's deploy section says: podman, images
built from Debian's packages (deploy/debian), `deploy/compose_podman.py up`, in production mode
with real secrets and HTTPS through the proxy (Caddy's own certificate authority for
"localhost").

It proves: the one-shot migration ran, every healthcheck passes, the public form answers
through the proxy, a registration made through it gets its confirmation email (the mail
catcher), the login limits count the client the proxy names and nobody else's claim, Prometheus
scrapes every process, and a restart of the Redis container loses no event.

Run by `make test-deploy` (.ci/run runs it once); skipped with the reason where podman cannot
run containers. One run at a time on a machine (a lock file): the compose file's network and
the proxy's address are fixed.
"""

from __future__ import annotations

import email
import fcntl
import json
import mailbox
import os
import secrets
import shutil
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.edition import default_edition
from tests.deploy.conftest import TIMINGS
from tests.e2e.conftest import holder_form, self_service_token
from tests.support.servers import free_port, wait_until
from tests.support.web import csrf_of

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PROJECT = "rencontres-test"
FILES = [
    DEPLOY / "compose.yaml",
    DEPLOY / "debian" / "compose.yaml",
    Path(__file__).parent / "compose.test.yaml",
]
# The README's Podman commands (tests/unit/shared/test_deploy.py keeps them the same).
BASE_IMAGES = DEPLOY / "debian" / "base-images.sh"
UP = ["up", "--build"]
BASE_IMAGE = "localhost/rencontres-debian/base:bookworm"
APP_IMAGE = "rencontres:latest"
EDITION = default_edition().edition_id
# Long-running services (every one with a healthcheck) and the one-shot migration.
SERVICES = [
    "redis",
    "postgres",
    "registration",
    "scheduler",
    "notifier",
    "surveys",
    "worker",
    "proxy",
    "prometheus",
    "mailpit",
]
LOGIN_PER_IP = 3  # REGISTRATION_LOGIN_PER_IP in compose.test.yaml

pytestmark = [
    pytest.mark.slow,
    # A cold cache builds every image: about 3 minutes on 2 cores; a warm run, 1 to 2 minutes.
    pytest.mark.timeout(1800),
]


def containers_conf(folder: Path) -> Path:
    """podman's settings for a CI machine: runc (Debian's crun fails on cgroup v1 machines),
    no default ulimits (refused in some containers), no systemd when there is none."""
    lines = ["[containers]", "default_ulimits = []", "[engine]", 'events_logger = "file"']
    if shutil.which("runc"):
        lines.append('runtime = "runc"')
    if not Path("/run/systemd/system").is_dir():
        lines.append('cgroup_manager = "cgroupfs"')
    path = folder / "containers.conf"
    path.write_text("\n".join(lines) + "\n")
    return path


def why_podman_cannot_run() -> str | None:
    if shutil.which("podman") is None:
        return "podman is not installed (apt install podman runc debootstrap)"
    if shutil.which("debootstrap") is None:
        return "debootstrap is not installed (apt install debootstrap)"
    if os.geteuid() != 0:
        return "the compose test builds its base image with debootstrap: it runs as root"
    return None


@dataclass
class Platform:
    environment: dict[str, str]
    https_port: int
    ca: Path
    folder: Path
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"https://localhost:{self.https_port}"

    def client(self) -> httpx.Client:
        verify = ssl.create_default_context(cafile=str(self.ca))
        return httpx.Client(base_url=self.url, verify=verify, timeout=15)

    def podman(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            ["podman", *args], env=self.environment, capture_output=True, text=True, timeout=300
        )
        if check:
            assert result.returncode == 0, f"podman {' '.join(args)}: {result.stderr}"
        return result

    def compose(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, str(DEPLOY / "compose_podman.py")]
        for path in FILES:
            command += ["-f", str(path)]
        return subprocess.run(
            [*command, "-p", PROJECT, *args],
            env=self.environment,
            capture_output=True,
            text=True,
            timeout=1500,
        )

    def container(self, service: str) -> str:
        return f"{PROJECT}-{service}-1"

    def state(self, service: str) -> dict[str, Any]:
        output = self.podman("inspect", "--format", "{{json .State}}", self.container(service))
        return json.loads(output.stdout)

    def sql(self, database: str, query: str) -> str:
        return self.podman(
            "exec",
            self.container("postgres"),
            "psql",
            "-U",
            "rencontres",
            "-d",
            database,
            "-tAc",
            query,
        ).stdout.strip()

    def redis(self, *command: str) -> str:
        return self.podman("exec", self.container("redis"), "redis-cli", *command).stdout.strip()

    def emails(self) -> list[EmailMessage]:
        """Every message the mail catcher kept (its Maildir, copied out)."""
        copy = self.folder / f"mail-{uuid.uuid4().hex[:6]}"
        self.podman("cp", f"{self.container('mailpit')}:/mail", str(copy))
        messages = []
        for message in mailbox.Maildir(copy, factory=None, create=False):
            parsed = email.message_from_bytes(message.as_bytes(), policy=default_policy)
            assert isinstance(parsed, EmailMessage)
            messages.append(parsed)
        shutil.rmtree(copy)
        return messages

    def emails_to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.emails() if address.lower() in str(m["To"]).lower()]


@pytest.fixture(scope="module")
def platform(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Platform]:
    reason = why_podman_cannot_run()
    if reason:
        pytest.skip(f"compose test: {reason}")
    folder = tmp_path_factory.mktemp("compose")
    https_port = free_port()
    environment = {
        **os.environ,
        "CONTAINERS_CONF": str(containers_conf(folder)),
        "SECRET_KEY": secrets.token_urlsafe(40),
        "SERVICE_TOKEN": secrets.token_urlsafe(40),
        "POSTGRES_PASSWORD": secrets.token_urlsafe(24),
        "GRAFANA_PASSWORD": secrets.token_urlsafe(24),
        "SITE_ADDRESS": "localhost",
        "TEST_HTTPS_PORT": str(https_port),
        "REGISTRATION_PUBLIC_URL": f"https://localhost:{https_port}",
        "SCHEDULER_PUBLIC_URL": f"https://localhost:{https_port}",
        "NOTIFIER_PUBLIC_URL": f"https://localhost:{https_port}",
        "SURVEYS_PUBLIC_URL": f"https://localhost:{https_port}",
    }
    platform = Platform(environment, https_port, folder / "caddy-root.crt", folder)

    lock = open("/tmp/rencontres-compose-test.lock", "w")  # noqa: SIM115
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        started = time.monotonic()
        images = subprocess.run(
            [str(BASE_IMAGES)],
            env=environment,
            capture_output=True,
            text=True,
            timeout=900,
        )
        probe = platform.podman("run", "--rm", "--pull", "never", BASE_IMAGE, "true", check=False)
        if probe.returncode != 0:
            pytest.skip(f"compose test: podman cannot run a container here: {probe.stderr.strip()}")
        assert images.returncode == 0, images.stdout + images.stderr
        platform.timings["base images"] = time.monotonic() - started

        platform.compose("down", "--volumes")  # what an interrupted run left
        started = time.monotonic()
        up = platform.compose(*UP)
        (folder / "up.log").write_text(up.stdout + up.stderr)
        assert up.returncode == 0, (up.stdout + up.stderr)[-6000:]
        platform.timings["build and up"] = time.monotonic() - started
        root = platform.podman(
            "exec", platform.container("proxy"), "cat", "/data/caddy/pki/authorities/local/root.crt"
        )
        platform.ca.write_text(root.stdout)
        started = time.monotonic()
        yield platform
        platform.timings["checks"] = time.monotonic() - started
    finally:
        started = time.monotonic()
        down = platform.compose("down", "--volumes")
        platform.timings["down"] = time.monotonic() - started
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()
        TIMINGS.update(platform.timings)
        assert down.returncode == 0, down.stderr


def register(platform: Platform, forms: list[dict[str, Any]]) -> None:
    """Through the proxy's public form, as people fill it: page, a few seconds, answer."""
    clients = [platform.client() for _ in forms]
    try:
        tokens = []
        for client in clients:
            page = client.get(f"/inscription/{EDITION}/porteur")
            assert page.status_code == 200, page.text
            tokens.append(csrf_of(page.text))
        time.sleep(3.2)  # REGISTRATION_FORM_MIN_FILL_SECONDS: a person takes that long at least
        for client, token, form in zip(clients, tokens, forms, strict=True):
            answer = client.post(
                f"/inscription/{EDITION}/porteur",
                data={"csrf_token": token, **form},
                follow_redirects=True,
            )
            assert answer.status_code == 200, answer.text
            assert "votre inscription est enregistrée" in answer.text, answer.text
    finally:
        for client in clients:
            client.close()


def test_the_migration_ran_and_every_healthcheck_passes(platform: Platform):
    migrate = platform.state("migrate")
    assert (migrate["Status"], migrate["ExitCode"]) == ("exited", 0)
    for database in ("registration", "scheduler", "notifier", "surveys"):
        assert platform.sql(database, "SELECT version_num FROM alembic_version"), database
    for service in SERVICES:
        assert platform.state(service)["Status"] == "running", service
        check = platform.podman("healthcheck", "run", platform.container(service), check=False)
        assert check.returncode == 0, f"{service}: {check.stdout}{check.stderr}"
    # Production mode, as the compose file sets it: the admin cookie is Secure.
    with platform.client() as client:
        login = client.get("/admin/login")
    assert login.status_code == 200
    assert "secure" in login.headers.get("set-cookie", "").lower()


def test_the_public_form_answers_through_the_proxy_and_nothing_internal_does(platform: Platform):
    with platform.client() as client:
        form = client.get(f"/inscription/{EDITION}/porteur")
        assert form.status_code == 200
        assert 'lang="fr"' in form.text and 'name="csrf_token"' in form.text
        for hidden in ("/metrics", "/healthz", "/internal/participants/x1", "/docs"):
            assert client.get(hidden).status_code == 404, hidden


def test_a_registration_through_the_proxy_gets_its_confirmation_email(platform: Platform):
    form = holder_form()
    register(platform, [form])
    (message,) = wait_until(
        lambda: platform.emails_to(form["email"]), timeout=90, interval=1, what="the email"
    )
    token = self_service_token(message)
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    assert f"{platform.url}/mon-inscription/{token}" in body.get_content()
    with platform.client() as client:
        personal = client.get(f"/mon-inscription/{token}")
    assert personal.status_code == 200
    assert form["structure"] in personal.text


def log_in(
    client: httpx.Client, email: str, password: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    """The back-office's login form, filled in and sent (the token from the login page)."""
    page = client.get("/admin/login")
    return client.post(
        "/admin/login",
        data={"csrf_token": csrf_of(page.text), "email": email, "password": password},
        headers=headers,
    )


# Before the login limits are tried: this machine's address is locked out by them afterwards.
def test_the_operator_logs_in_once_through_the_proxy_and_opens_every_service(
    platform: Platform,
):
    email, password = "equipe@exemple.fr", secrets.token_urlsafe(16)
    # As docs/operations.md says to create the first account with Podman.
    platform.podman(
        "exec",
        platform.container("registration"),
        "rencontres",
        "registration",
        "admin",
        "create",
        "--email",
        email,
        "--password",
        password,
    )
    with platform.client() as client:
        login = log_in(client, email, password)
        assert login.status_code == 303, login.text
        # One session, kept in Redis, opens the back-office of each service behind the proxy.
        for path in ("/admin", "/admin/planning", "/admin/emails", "/admin/questionnaires"):
            answer = client.get(path, follow_redirects=True)
            assert answer.status_code == 200, f"{path}: {answer.status_code}"
            assert "Se déconnecter" in answer.text, path
        logout = client.post("/admin/logout", data={"csrf_token": csrf_of(answer.text)})
        assert logout.status_code == 303
        for path in ("/admin/planning", "/admin/emails", "/admin/questionnaires"):
            closed = client.get(path, follow_redirects=True)
            assert "Connexion au back-office" in closed.text, f"{path} opened after logout"


# Run inside a container of the compose network: the same login attempt through the proxy and
# straight to the registration service, each with an address of its own in X-Forwarded-For.
CLIENT = """
import re, ssl, uuid, httpx

def attempt(base, spoofed, verify=True, host=None):
    # Through the proxy: its name on this network, "localhost" for TLS and Caddy's site.
    options = {"extensions": {"sni_hostname": host}, "headers": {"Host": host}} if host else {}
    with httpx.Client(base_url=base, timeout=15, verify=verify) as client:
        page = client.get("/admin/login", **options)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        answer = client.post(
            "/admin/login",
            data={"csrf_token": token, "email": f"x{uuid.uuid4().hex[:8]}@exemple.fr",
                  "password": "pas-le-bon", "suite": "/admin"},
            extensions=options.get("extensions", {}),
            # Production cookies are Secure: sent by hand over the network's plain HTTP.
            headers={
                **options.get("headers", {}),
                "Cookie": "; ".join(f"{k}={v}" for k, v in page.cookies.items()),
                "X-Forwarded-For": spoofed,
            },
        )
        return answer.status_code

ca = ssl.create_default_context(cafile="/ca.crt")
codes = [attempt("https://proxy", "198.51.100.7", verify=ca, host="localhost")]
codes += [attempt("http://registration:8001", f"203.0.113.{n}") for n in range(1, 4)]
print(" ".join(map(str, codes)))
"""


def test_login_limits_count_the_client_the_proxy_names_and_no_one_elses_claim(
    platform: Platform,
):
    def attempt(client: httpx.Client, spoofed: str) -> int:
        email = f"x{uuid.uuid4().hex[:8]}@exemple.fr"
        return log_in(client, email, "pas-le-bon", {"X-Forwarded-For": spoofed}).status_code

    # From this machine through the proxy: another X-Forwarded-For each time changes nothing.
    with platform.client() as client:
        codes = [attempt(client, f"192.0.2.{n}") for n in range(1, LOGIN_PER_IP + 2)]
    assert codes == [401] * LOGIN_PER_IP + [429]

    # Another client on the network: through the proxy it is itself, not "the proxy" (whose
    # budget this machine just used up); straight to the service, its X-Forwarded-For is not
    # believed, so its own budget runs out after LOGIN_PER_IP attempts in all.
    network = f"{PROJECT}_default"
    result = platform.podman(
        "run",
        "--rm",
        "--pull",
        "never",
        "--network",
        network,
        "--volume",
        f"{platform.ca}:/ca.crt:ro",
        "--entrypoint",
        "python",
        APP_IMAGE,
        "-c",
        CLIENT,
    )
    assert result.stdout.split() == ["401", "401", "401", "429"], result.stdout + result.stderr


def test_prometheus_scrapes_every_process_of_the_stack(platform: Platform):
    def targets() -> dict[str, str]:
        answer = platform.podman(
            "exec",
            platform.container("prometheus"),
            "wget",
            "-q",
            "-O",
            "-",
            "http://127.0.0.1:9090/api/v1/targets",
        )
        active = json.loads(answer.stdout)["data"]["activeTargets"]
        return {t["labels"]["instance"]: t["health"] for t in active}

    wait_until(
        lambda: set(targets().values()) == {"up"}, timeout=60, interval=2, what="every target up"
    )
    assert set(targets()) == {
        "registration:8001",
        "scheduler:8002",
        "notifier:8003",
        "surveys:8004",
        "worker:9101",
    }


def test_a_restart_of_the_redis_container_loses_no_event(platform: Platform):
    stream = "rencontres.registration.participant-registered"
    before, during, after = holder_form(), holder_form(), holder_form()
    register(platform, [before])
    wait_until(lambda: platform.emails_to(before["email"]), timeout=90, interval=1, what="email")
    published = int(platform.redis("XLEN", stream))

    platform.podman("stop", platform.container("redis"))
    # Redis is down: the form still takes the registration; its event waits in the outbox.
    register(platform, [during])
    platform.podman("start", platform.container("redis"))
    wait_until(
        lambda: (
            platform.podman(
                "healthcheck", "run", platform.container("redis"), check=False
            ).returncode
            == 0
        ),
        timeout=30,
        what="Redis healthy again",
    )
    register(platform, [after])

    for form in (before, during, after):
        wait_until(
            lambda f=form: platform.emails_to(f["email"]), timeout=120, interval=1, what="email"
        )
    # What Redis held before the restart is still there (AOF on its volume), with the two new
    # events; nothing is delivered twice.
    assert int(platform.redis("XLEN", stream)) == published + 2
    time.sleep(5)
    for form in (before, during, after):
        assert len(platform.emails_to(form["email"])) == 1, form["email"]
