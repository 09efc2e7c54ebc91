"""What the four apps answer to what they cannot serve: French pages for people, JSON for
programs, never the framework's English nor a 5xx."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from shared.edition import default_edition
from tests.support.routes import SERVICES, build_app

# A route of each app that reads a posted form.
FORM_ROUTE = {
    "registration": "/admin/login",
    "scheduler": "/admin/planning/plan",
    "notifier": "/admin/emails/1/resend",
    "surveys": "/j/ABCDEF",
}


@pytest.fixture(scope="module", params=SERVICES)
def client(request: pytest.FixtureRequest) -> TestClient:
    client = TestClient(build_app(request.param), raise_server_exceptions=False)
    client.form_route = FORM_ROUTE[request.param]  # type: ignore[attr-defined]
    return client


def _french_page(answer, status: int, title: str) -> None:
    assert answer.status_code == status
    assert answer.headers["content-type"].startswith("text/html")
    assert '<html lang="fr">' in answer.text and f"<h1>{title}</h1>" in answer.text
    assert "detail" not in answer.text


def test_an_unknown_page_is_a_french_404(client: TestClient):
    _french_page(client.get("/nulle-part"), 404, "Page introuvable")
    _french_page(client.get("/admin/nulle-part"), 404, "Page introuvable")
    api = client.get("/api/nulle-part")
    assert api.status_code == 404 and api.json()["detail"]


def test_a_wrong_method_is_a_french_405(client: TestClient):
    _french_page(client.delete("/healthz"), 405, "Action impossible")


def test_a_body_over_the_limit_is_refused_before_it_is_read(client: TestClient):
    limit = client.app.state.web.settings.max_body_bytes
    answer = client.post(client.form_route, content=b"x" * (limit + 1))
    _french_page(answer, 413, "Envoi trop volumineux")


def test_too_many_fields_or_a_huge_field_is_a_french_400(client: TestClient):
    many = "&".join(f"f{i}=1" for i in range(1500))
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    _french_page(client.post(client.form_route, content=many, headers=headers), 400,
                 "Demande illisible")  # fmt: skip
    huge = {"f": ("a.txt", b"x", "text/plain"), "g": (None, "y" * (1024 * 1024 + 10))}
    _french_page(client.post(client.form_route, files=huge), 400, "Demande illisible")


def test_the_root_sends_people_somewhere_useful(client: TestClient):
    answer = client.get("/", follow_redirects=False)
    assert answer.status_code == 303
    current = default_edition().edition_id  # the next day to come
    assert answer.headers["location"].endswith(("/admin", f"/inscription/{current}"))


def test_a_nul_character_in_a_form_is_a_french_400(client: TestClient):
    """No keyboard types it and PostgreSQL cannot store it: refused before any route reads
    the form, in a field's value, its name or a file's name."""
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    for body in ("edition=2027&edition=%00", "a%00b=1"):
        answer = client.post(client.form_route, content=body, headers=headers)
        _french_page(answer, 400, "Demande illisible")
        assert "caractère nul" in answer.text
    named = (
        b'--b\r\nContent-Disposition: form-data; name="fichier"; filename="a\x00.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\nx\r\n--b--\r\n"
    )
    multipart = {"Content-Type": "multipart/form-data; boundary=b"}
    assert "caractère nul" in client.post(client.form_route, content=named, headers=multipart).text
