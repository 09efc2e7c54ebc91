"""The one back-office on its one web foundation, on a real platform (`rencontres up`) where a
small edition was played: the common menu from every service's pages (in Chromium), CSRF and
Origin on every state-changing route of the four apps, the security headers on every page,
no GET that writes, and a session that ends everywhere at once."""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from rencontres.demo import ADMIN_EMAIL, Figures, Scenario, Sink, Stack, csrf_of
from services.scheduler.service_layer.agenda import agenda_token
from shared.web.auth import ADMIN_COOKIE
from shared.web.pages import MENU
from tests.conftest import REDIS_URL
from tests.support.routes import Route, reading, state_changing
from tests.support.servers import wait_until

FIGURES = Figures(
    holders_on_time=6,
    holders_late=1,
    experts=4,
    cancelled=1,
    holders_present=5,
    day_answers=2,
    conference_answers_every=2,
    ex_post_answers=1,
)
pytestmark = pytest.mark.timeout(300)
HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "cache-control": "no-store",
}
# Where each service's back-office starts.
START = {
    "registration": "/admin",
    "scheduler": "/admin/planning",
    "notifier": "/admin/emails",
    "surveys": "/admin/questionnaires",
}


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    """A small edition played from the programme to the report; the platform left running."""
    prefix = f"test-{uuid.uuid4().hex[:10]}:"
    sink = Sink()
    stack = Stack.prepare(tmp_path_factory.mktemp("foundation"), sink.start(), REDIS_URL, prefix)
    stack.start()
    scenario = Scenario(stack, sink, FIGURES, echo=lambda _line: None)
    try:
        scenario.run()
        yield scenario
    finally:
        stack.stop()
        sink.stop()
        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)


def _login(scenario: Scenario) -> httpx.Client:
    """An operator's browser: logged in through the real form, with its cookies."""
    client = httpx.Client(timeout=30, follow_redirects=True)
    base = scenario.stack.urls["registration"]
    page = client.get(f"{base}/admin/login")
    answer = client.post(
        f"{base}/admin/login",
        data={
            "csrf_token": csrf_of(page.text),
            "email": ADMIN_EMAIL,
            "password": scenario.admin_password,
        },
    )
    assert answer.status_code == 200 and "La journée pas à pas" in answer.text
    return client


def _values(scenario: Scenario) -> dict[str, str]:
    """Real values for every path parameter of the four apps."""
    var = Path(scenario.stack.env["VAR_DIR"])

    def first(service: str, query: str) -> str:
        with sqlite3.connect(var / f"{service}.db") as db:
            row = db.execute(query).fetchone()
        assert row, query
        return str(row[0])

    holder = scenario.people[scenario.holders[0]]
    secret = scenario.stack.env["SECRET_KEY"]
    return {
        "edition_id": scenario.edition_id,
        "role_slug": "porteur",
        "participant_id": holder,
        "expert_id": scenario.people[scenario.experts[0]],
        "token": agenda_token(secret, holder, scenario.edition_id),
        "appointment_id": first("scheduler", "select appointment_id from appointments"),
        "session_id": "journee",
        "email_id": first("notifier", "select id from emails"),
        "index": "0",  # an attachment of a caught email
        "survey_id": first("surveys", "select survey_id from surveys"),
        "code": first("surveys", "select public_code from surveys where public_code != ''"),
        "invitation_id": first("surveys", "select invitation_id from invitations"),
        "job_id": uuid.uuid4().hex,  # no import in the scenario: the page answers its 404
    }


def _url(scenario: Scenario, route: Route, values: dict[str, str]) -> str:
    return scenario.stack.urls[route.service] + route.fill(values)


def _snapshot(scenario: Scenario) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of the four databases."""
    var = Path(scenario.stack.env["VAR_DIR"])
    out: dict[str, list[tuple[Any, ...]]] = {}
    for service in START:
        with sqlite3.connect(var / f"{service}.db") as db:
            tables = [r[0] for r in db.execute("select name from sqlite_master where type='table'")]
            for table in tables:
                out[f"{service}.{table}"] = sorted(
                    db.execute(f'select * from "{table}"').fetchall(),
                    key=repr,
                )
    return out


def test_every_section_of_the_menu_from_a_page_of_each_service(
    played: Scenario, chromium_browser: Any
):
    from playwright.sync_api import expect

    urls = played.stack.urls
    page = chromium_browser.new_context(locale="fr-FR").new_page()
    page.set_default_timeout(15_000)
    # Logged in once, through the real form, from a page of another service.
    page.goto(f"{urls['scheduler']}/admin/planning")
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion au back-office")
    page.get_by_label("Adresse email").fill(ADMIN_EMAIL)
    page.get_by_label("Mot de passe").fill(played.admin_password)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Planning des rendez-vous")
    labels = [s.label for s in MENU]
    for service, start in START.items():
        for section in MENU:
            page.goto(urls[service] + start)
            menu = page.get_by_role("navigation", name="Back-office")
            expect(menu.get_by_role("link")).to_have_text(labels)
            menu.get_by_role("link", name=section.label, exact=True).click()
            landed = page.get_by_role("navigation", name="Back-office")
            expect(landed.get_by_role("link")).to_have_text(labels)
            current = landed.locator("[aria-current=page]")
            expect(current).to_have_text(section.label)
            expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()


def test_state_changing_routes_refuse_a_missing_token_and_a_foreign_origin(played: Scenario):
    values = _values(played)
    browser = _login(played)
    token = csrf_of(browser.get(played.stack.urls["registration"] + "/admin").text)
    before = _snapshot(played)
    routes = [r for r in state_changing() if not r.path.startswith("/internal/")]
    assert len(routes) > 30
    for route in routes:
        url = _url(played, route, values)
        missing = browser.request(route.method, url, data={"x": "1"}, follow_redirects=False)
        assert missing.status_code == 403, f"{route} without a token: {missing.status_code}"
        assert "Le formulaire a expiré" in missing.text or route.path.startswith("/api/")
        foreign = browser.request(
            route.method,
            url,
            data={"csrf_token": token},
            headers={"Origin": "http://evil.example"},
            follow_redirects=False,
        )
        assert foreign.status_code == 403, f"{route} from another site: {foreign.status_code}"
        # Another port of the same host is another site too.
        port = browser.request(
            route.method,
            url,
            headers={"X-CSRF-Token": token, "Origin": "http://127.0.0.1:1"},
            follow_redirects=False,
        )
        assert port.status_code == 403, f"{route} from another port: {port.status_code}"
    assert _snapshot(played) == before


def test_pages_send_the_security_headers_and_no_get_writes(played: Scenario):
    values = _values(played)
    browser = _login(played)
    wait_until(lambda: _snapshot(played) == _snapshot(played), timeout=30, what="a quiet platform")
    before = _snapshot(played)
    html_pages = 0
    for route in reading():
        url = _url(played, route, values)
        answer = browser.get(url, follow_redirects=False)
        assert answer.status_code < 500, f"{route}: {answer.status_code}"
        for name, value in HEADERS.items():
            assert answer.headers.get(name) == value, f"{route}: {name}"
        assert "frame-ancestors 'none'" in answer.headers.get("content-security-policy", "")
        assert answer.headers.get("referrer-policy") in (
            "strict-origin-when-cross-origin",
            "no-referrer",
        )
        if answer.headers.get("content-type", "").startswith("text/html"):
            html_pages += 1
            assert '<html lang="fr">' in answer.text, route
    assert html_pages > 25
    assert _snapshot(played) == before


def test_no_input_in_a_bearer_token_is_an_error(played: Scenario):
    for service, url in played.stack.urls.items():
        for value in (b"Bearer \xc3\xa9t\xc3\xa9", b"Bearer \xff", b"Basic x"):
            answer = httpx.get(f"{url}{START[service]}", headers={"Authorization": value})
            assert answer.status_code in (303, 401), (service, value)


def test_logout_and_a_password_change_end_the_session_on_every_service(played: Scenario):
    urls = played.stack.urls

    def opens(cookie: str) -> dict[str, bool]:
        """Whether the cookie opens each service's back-office (else: the login page)."""
        answers = {
            service: httpx.get(
                urls[service] + start, cookies={ADMIN_COOKIE: cookie}, follow_redirects=True
            )
            for service, start in START.items()
        }
        assert all(a.status_code == 200 for a in answers.values())
        return {s: "Connexion au back-office" not in a.text for s, a in answers.items()}

    browser = _login(played)
    cookie = browser.cookies[ADMIN_COOKIE]
    assert opens(cookie) == dict.fromkeys(START, True)
    home = browser.get(urls["scheduler"] + "/admin/planning").text
    answer = browser.post(
        urls["registration"] + "/admin/logout",
        data={"csrf_token": csrf_of(home)},
        headers={"Origin": urls["scheduler"]},  # the button of a page of another service
    )
    assert answer.status_code == 200 and "Vous êtes déconnecté·e." in answer.text
    assert opens(cookie) == dict.fromkeys(START, False)

    cookie = _login(played).cookies[ADMIN_COOKIE]
    assert opens(cookie) == dict.fromkeys(START, True)
    new_password = "un tout nouveau mot de passe"
    played.stack.command(
        "registration", "admin", "create", "--email", ADMIN_EMAIL, "--password", new_password
    )
    assert opens(cookie) == dict.fromkeys(START, False)
    played.admin_password = new_password
    assert opens(_login(played).cookies[ADMIN_COOKIE]) == dict.fromkeys(START, True)


def test_a_persons_data_gathers_every_service(played: Scenario):
    """« Mes données »: the personal page's and the back-office's download hold what each of
    the four services keeps about the person, read from their internal APIs."""
    api = played.api["registration"]
    complete = []
    for email in played.holders:
        if email in played.cancelled:
            continue
        pid = played.participant_id(email)
        answer = api.get(f"/admin/participants/{pid}/donnees.json")
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-disposition"].startswith("attachment;")
        data = answer.json()
        assert data["registration"]["email"] == email
        assert "token_hash" not in data["registration"]
        assert set(data) >= {"registration", "scheduler", "notifier", "surveys"}
        assert all("erreur" not in data[s] for s in ("scheduler", "notifier", "surveys"))
        meetings, sent = data["scheduler"]["meetings"], data["notifier"]["emails"]
        answers = data["surveys"]["answers"]
        assert all(pid in (m["holder_id"], m["expert_id"]) for m in meetings)
        assert all(e["participant_id"] == pid for e in sent)
        if meetings and answers and any(e["status"] == "sent" for e in sent):
            complete.append((email, data))
    assert complete, "no holder with a meeting, an email and an answer"
    email, data = complete[0]
    assert {e["template"] for e in data["notifier"]["emails"]} >= {"inscription-porteur", "agenda"}
    assert data["surveys"]["answers"][0]["answers"]
    assert "token" not in json.dumps(data["surveys"]["invitations"])
    # The same document from the person's own link, found in their confirmation email.
    [confirmation] = [m for m in played.sink.messages if email in m.to and "confirm" in m.subject]
    token = re.search(r"/mon-inscription/([A-Za-z0-9_\-]+)", confirmation.text).group(1)
    own = httpx.get(f"{played.stack.urls['registration']}/mon-inscription/{token}/donnees.json")
    assert own.status_code == 200
    mine = own.json()
    assert mine["scheduler"]["meetings"] == data["scheduler"]["meetings"]
    assert mine["surveys"]["answers"] == data["surveys"]["answers"]
    assert len(mine["notifier"]["emails"]) >= len(data["notifier"]["emails"])
