"""Login throttling that another spelling of the address or a forged X-Forwarded-For does not
get round, through a real uvicorn configured as `serve` configures it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn
from fastapi.testclient import TestClient

from services.registration.entrypoints.http import create_app
from services.registration.service_layer.admins import create_admin
from shared.db import transaction
from shared.service import ServiceKit, proxy_options
from tests.integration.registration.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, csrf_token
from tests.support.servers import free_port, wait_until


def _attempt(client: httpx.Client | TestClient, email: str, password: str, **headers: str) -> int:
    token = csrf_token(client.get("/admin/login").text)
    answer = client.post(
        "/admin/login",
        data={"csrf_token": token, "email": email, "password": password},
        headers=headers,
        follow_redirects=False,
    )
    return answer.status_code


def test_another_spelling_of_the_address_counts_as_the_same_account(make_kit):
    kit = make_kit(login_per_email=3)
    with transaction(kit.factory) as session:
        create_admin(session, kit, ADMIN_EMAIL, ADMIN_PASSWORD)
    client = TestClient(create_app(kit), base_url="https://testserver")
    assert [_attempt(client, ADMIN_EMAIL, "non") for _ in range(3)] == [401, 401, 401]
    # Full-width letters in the domain, capitals: the same account once normalised.
    variant = "Equipe@ｐｅｓ21.EXAMPLE"
    answer = client.post(
        "/admin/login",
        data={"csrf_token": csrf_token(client.get("/admin/login").text), "email": variant,
              "password": ADMIN_PASSWORD},
        follow_redirects=False,
    )  # fmt: skip
    assert answer.status_code == 429
    assert "bloquée pendant 15 minutes au plus" in answer.text


def test_a_successful_login_is_not_counted_as_an_attempt(make_kit):
    kit = make_kit(login_per_email=2)
    with transaction(kit.factory) as session:
        create_admin(session, kit, ADMIN_EMAIL, ADMIN_PASSWORD)
    client = TestClient(create_app(kit), base_url="https://testserver")
    assert [_attempt(client, ADMIN_EMAIL, ADMIN_PASSWORD) for _ in range(4)] == [303] * 4


@contextmanager
def served(kit: ServiceKit) -> Iterator[str]:
    port = free_port()
    options = proxy_options(kit.settings)
    config = uvicorn.Config(
        create_app(kit), host="127.0.0.1", port=port, log_level="warning", **options
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, what="uvicorn to start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_x_forwarded_for_is_ignored_without_a_trusted_proxy(make_kit):
    kit = make_kit(login_per_ip=3, forwarded_allow_ips="")
    with served(kit) as url, httpx.Client(base_url=url) as client:
        codes = [
            _attempt(client, f"personne{n}@exemple.fr", "non", **{"X-Forwarded-For": f"10.0.0.{n}"})
            for n in range(4)
        ]
    assert codes == [401, 401, 401, 429]


def test_x_forwarded_for_names_the_visitor_behind_a_trusted_proxy(make_kit):
    kit = make_kit(login_per_ip=3, forwarded_allow_ips="127.0.0.1")
    with served(kit) as url, httpx.Client(base_url=url) as client:
        same = [
            _attempt(client, f"personne{n}@exemple.fr", "non", **{"X-Forwarded-For": "10.0.0.7"})
            for n in range(4)
        ]
        other = _attempt(client, "autre@exemple.fr", "non", **{"X-Forwarded-For": "10.0.0.8"})
    assert same == [401, 401, 401, 429] and other == 401
