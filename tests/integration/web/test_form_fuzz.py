"""Generated values posted to every HTML form of the four services, as the logged-in operator
with a valid CSRF token: never a 5xx, always a French page.

The four apps run for real (uvicorn, their bus runtimes relaying events through Redis, each on
its own database) with an edition holding participants, a published schedule, a check-in, the
edition's questionnaires and an invitation, so that forms get past "not found" to their
validators. The routes come from the routers; each route's fields from the forms the pages show
(see tests/support/forms.py), so the values land where a person would type them.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from hypothesis import HealthCheck, given, settings
from sqlalchemy import create_engine, text

from shared.edition import default_edition
from shared.migrations import upgrade
from shared.web.auth import ADMIN_COOKIE
from shared.web.csrf import CSRF_COOKIE, CSRF_FIELD, new_pair
from tests.conftest import REDIS_URL, TEST_DATABASE
from tests.integration.registration.conftest import expert_form, holder_form
from tests.support.forms import FormSpec, declared_form_fields, page_forms, route_of, submissions
from tests.support.fuzz import assert_no_server_error
from tests.support.routes import SERVICES, Route, all_routes, reading
from tests.support.servers import create_test_database, free_port, serve, wait_until
from tests.support.web import admin_cookie

pytestmark = pytest.mark.timeout(300)
ROOT = Path(__file__).resolve().parents[3]
TOKEN = "service-token-for-the-form-fuzz-0123456789"
SECRET = "secret-key-for-the-form-fuzz-0123456789abcdef"
# Examples per form route: 35 routes, about 900 posts, 30 s of CPU in all.
EXAMPLES = 25
# Each login checks a password hash on purpose (about 0.5 s): a few are enough.
SLOW = {"/admin/login": 5}
CONFERENCE = "conference-matin"
# Run last: they end what the others need (a session, a participant, an open day).
LAST_WORDS = ("logout", "effacer", "annuler", "cloture", "publish", "close", "send", "reinscrire")


@dataclass
class Platform:
    urls: dict[str, str]
    databases: dict[str, str]
    settings: dict[str, Any]  # each service's
    values: dict[str, str]
    apps: dict[str, Any]


def _settings(service: str, env: dict[str, str]) -> Any:
    if service == "registration":
        from services.registration.settings import RegistrationSettings as cls
    elif service == "scheduler":
        from services.scheduler.settings import SchedulerSettings as cls  # type: ignore[assignment]
    elif service == "notifier":
        from services.notifier.settings import NotifierSettings as cls  # type: ignore[assignment]
    else:
        from services.surveys.settings import SurveysSettings as cls  # type: ignore[assignment]
    return cls.model_validate(env)


def _app(service: str, settings: Any) -> Any:
    if service == "registration":
        from services.registration.bootstrap import bootstrap
        from services.registration.entrypoints.http import create_app

        return create_app(bootstrap(settings).kit)
    if service == "scheduler":
        from services.scheduler.bootstrap import bootstrap as scheduler
        from services.scheduler.entrypoints.http import create_app as scheduler_app

        return scheduler_app(scheduler(settings))
    if service == "notifier":
        from services.notifier.bootstrap import bootstrap as notifier
        from services.notifier.entrypoints.http import create_app as notifier_app

        return notifier_app(notifier(settings))
    from services.surveys.bootstrap import bootstrap as surveys
    from services.surveys.entrypoints.http import create_app as surveys_app

    return surveys_app(surveys(settings).kit)


def _seed(urls: dict[str, str], databases: dict[str, str]) -> dict[str, str]:
    """An edition as the operator has it on the day: participants registered through the
    public forms, a schedule published, a check-in, a conference closed and its invitation,
    the questionnaires prepared. Returns a real value for each path parameter."""
    api = {
        s: httpx.Client(base_url=u, timeout=60, headers={"Authorization": f"Bearer {TOKEN}"})
        for s, u in urls.items()
    }

    def rows(service: str, query: str) -> list[str]:
        return _all(databases[service], query)

    edition = default_edition().edition_id
    people = httpx.Client(base_url=urls["registration"], timeout=30)
    forms = [
        ("expert", expert_form(email=f"expert{i}@fondation.example", structure=f"Fondation {i}"))
        for i in range(3)
    ]
    forms += [
        ("porteur", holder_form(email=f"porteur{i}@asso.example", structure=f"Asso {i}",
                                conferences=[CONFERENCE]))
        for i in range(5)
    ]  # fmt: skip
    for role, form in forms:
        page = people.get(f"/inscription/{edition}/{role}")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, page.text
        answer = people.post(f"/inscription/{edition}/{role}", data={CSRF_FIELD: token[1], **form})
        assert answer.status_code == 200 and "Merci" in answer.text, answer.text

    def planned() -> bool:
        draft = api["scheduler"].post("/api/schedule/plan")
        return draft.status_code == 200 and draft.json()["holders"] >= 5

    wait_until(planned, timeout=30, interval=0.3, what="the scheduler to plan every holder")
    api["scheduler"].post("/api/schedule/publish").raise_for_status()
    by_role = "select participant_id from participants where role = '{}' order by created_at"
    holders, experts = (
        rows("registration", by_role.format("porteur")),
        rows("registration", by_role.format("expert")),
    )
    # The third holder came to the morning conference, and is invited to say how it went.
    present = api["registration"].post(f"/admin/accueil/{holders[2]}/presence",
                                       data={"present": "1"})  # fmt: skip
    assert present.status_code == 303, present.text
    seen = f"select count(*) from participants where participant_id = '{holders[2]}' and present"
    wait_until(lambda: rows("scheduler", seen) == ["1"], what="the scheduler to see the check-in")
    api["scheduler"].post(f"/api/sessions/{CONFERENCE}/close").raise_for_status()
    invitations = wait_until(
        lambda: rows("surveys", "select invitation_id from invitations"), what="an invitation"
    )
    link = api["surveys"].post(f"/internal/invitations/{invitations[0]}/link")
    link.raise_for_status()
    person = api["registration"].get(f"/internal/participants/{holders[1]}")
    person.raise_for_status()
    prepared = api["surveys"].post(f"/admin/editions/{edition}/surveys/prepare")
    assert prepared.status_code == 303, prepared.text
    emails = wait_until(lambda: rows("notifier", "select id from emails"), what="an email logged")
    return {
        "edition_id": edition,
        "role_slug": "porteur",
        "participant_id": holders[0],
        "expert_id": experts[0],
        # The personal link of another holder than the one the back-office forms edit.
        "token": person.json()["self_service_url"].rstrip("/").rsplit("/", 1)[1],
        "survey_token": link.json()["link"].rsplit("/", 1)[1],
        "appointment_id": rows("scheduler", "select appointment_id from appointments")[0],
        "session_id": "journee",
        "email_id": emails[0],
        "index": "0",  # an attachment of an email
        "survey_id": rows("surveys", "select survey_id from surveys")[0],
        "code": rows("surveys", "select public_code from surveys where public_code != ''")[0],
        "invitation_id": invitations[0],
        "job_id": uuid.uuid4().hex,  # the imports the fuzz starts redirect to theirs
    }


def _all(url: str, query: str) -> list[str]:
    """The first column of a query's rows, as text."""
    engine = create_engine(url)
    with engine.connect() as conn:
        found = conn.execute(text(query)).all()
    engine.dispose()
    return [str(r[0]) for r in found]


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    workdir = tmp_path_factory.mktemp("fuzz")
    prefix = f"test-{uuid.uuid4().hex[:10]}:"
    ports = {s: free_port() for s in SERVICES}
    urls = {s: f"http://127.0.0.1:{p}" for s, p in ports.items()}
    with ExitStack() as stack:
        databases = {}
        for service in SERVICES:
            url, drop = create_test_database(TEST_DATABASE, workdir)
            stack.callback(drop)
            upgrade(ROOT / "services" / service, url)
            databases[service] = url
        env = {
            "environment": "test",
            "redis_url": REDIS_URL,
            "bus_prefix": prefix,
            "secret_key": SECRET,
            "service_token": TOKEN,
            "relay_interval_s": "0.05",
            "REGISTRATION_FORM_MIN_FILL_SECONDS": "0",
            "REGISTRATION_RATE_PER_IP": "100000",
            "REGISTRATION_RATE_PER_EMAIL": "100000",
            "REGISTRATION_LOGIN_PER_IP": "100000",
            "REGISTRATION_LOGIN_PER_EMAIL": "100000",
            "SCHEDULER_PLACEMENT_SECONDS": "0",
            "smtp_host": "127.0.0.1",
            "smtp_port": str(free_port()),  # nothing is sent: no Celery worker runs
        }
        for service in SERVICES:
            env[f"{service.upper()}_PUBLIC_URL"] = urls[service]
            env[f"{service.upper()}_INTERNAL_URL"] = urls[service]
            env[f"{service}_internal_url"] = urls[service]
        apps = {}
        for service in SERVICES:
            settings = _settings(
                service, {**env, f"{service.upper()}_DATABASE_URL": databases[service]}
            )
            apps[service] = _app(service, settings)
            stack.enter_context(serve(apps[service], port=ports[service]))
        values = _seed(urls, databases)
        yield Platform(
            urls=urls,
            databases=databases,
            settings={s: a.state.web.settings for s, a in apps.items()},
            values=values,
            apps=apps,
        )
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


def _forms(platform: Platform, browser: httpx.Client) -> dict[Route, FormSpec]:
    """Every HTML form route (POST, not /api nor /internal) and its fields: those of the forms
    that the pages of the four apps show, plus those the route's signature declares."""
    targets = [
        r
        for r in all_routes()
        if r.method == "POST" and not r.path.startswith(("/api/", "/internal/"))
    ]
    specs = {r: FormSpec() for r in targets}
    for page in reading():
        if re.search(r"\.\w+$", page.path) or page.path.startswith(("/api/", "/internal/")):
            continue  # files and programs' answers hold no form
        answer = browser.get(platform.urls[page.service] + page.fill(_path_values(platform, page)))
        if not answer.headers.get("content-type", "").startswith("text/html"):
            continue
        for action, spec in page_forms(answer.text):
            service = next(
                (s for s, u in platform.urls.items() if action.startswith(u)), page.service
            )
            here = [r for r in targets if r.service == service]
            route = route_of(action, answer.url.path, here)
            if route is None:
                continue
            target = specs[route]
            target.seen_on_a_page = True
            target.multipart |= spec.multipart
            for name, kind in spec.fields.items():
                target.fields.setdefault(name, kind)
                target.offered.setdefault(name, set()).update(spec.offered.get(name, set()))
    for service in SERVICES:
        for (method, path), fields in declared_form_fields(platform.apps[service]).items():
            route = Route(service, method, path)
            if route in specs:
                for name, kind in fields.items():
                    specs[route].fields.setdefault(name, kind)
    return specs


def _french(answer: httpx.Response, what: str) -> None:
    assert answer.status_code < 500, f"{what}: {answer.status_code}\n{answer.text[:2000]}"
    kind = answer.headers.get("content-type", "")
    if kind.startswith("text/html"):
        assert '<html lang="fr">' in answer.text, f"{what}: {answer.text[:500]}"
        assert '"detail"' not in answer.text, what
    elif answer.status_code >= 400:
        # A program's answer (the grid's script): JSON with a French message.
        assert kind.startswith("application/json"), f"{what}: {kind} {answer.text[:300]}"


def test_no_generated_form_makes_a_server_error(platform: Platform):
    cookie, token = new_pair(SECRET)
    browser = httpx.Client(timeout=60, follow_redirects=True)
    browser.cookies.set(CSRF_COOKIE, cookie)
    browser.cookies.set(ADMIN_COOKIE, admin_cookie(platform.settings["registration"]))
    leaving = httpx.Client(timeout=60, follow_redirects=True, cookies={CSRF_COOKIE: cookie})
    specs = _forms(platform, browser)
    from_pages = [r for r, s in specs.items() if s.seen_on_a_page]
    assert len(specs) > 30 and len(from_pages) > 25, sorted(set(specs) - set(from_pages))
    statuses: set[int] = set()
    failures: list[str] = []
    for route in sorted(specs, key=lambda r: any(w in r.path for w in LAST_WORDS)):
        url = platform.urls[route.service] + route.fill(_path_values(platform, route))

        @given(submission=submissions(specs[route]))
        @settings(
            max_examples=SLOW.get(route.path, EXAMPLES),
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def no_server_error(submission: tuple[list[tuple[str, str]], dict[str, Any]]) -> None:
            pairs, files = submission
            data: dict[str, list[str]] = {CSRF_FIELD: [token]}
            for name, value in pairs:
                if name != CSRF_FIELD:
                    data.setdefault(name, []).append(value)  # repeated fields stay repeated
            client = browser
            if route.path == "/admin/logout":  # a session of its own to end
                client = leaving
                client.cookies.set(ADMIN_COOKIE, admin_cookie(platform.settings["registration"]))
            answer = client.post(url, data=data, files=files or None)
            statuses.add(answer.status_code)
            _french(answer, f"{route} {str(data)[:300]}")

        try:
            no_server_error()
        except AssertionError as failure:  # every route's smallest failing example, then fail
            failures.append(str(failure).split("\n<!doctype")[0][:1500])
    assert not failures, "\n\n".join(failures)
    assert {200, 303, 400, 404, 422} & statuses >= {200, 400, 404, 422}  # validators reached


@pytest.mark.parametrize("service", ["notifier", "surveys"])
def test_the_internal_apis_on_real_data_never_answer_5xx(platform: Platform, service: str):
    """schemathesis over the two JSON APIs that have no fuzz test of their own (registration's
    and the scheduler's are in their own tests), with and without the service token."""
    app = _app(service, platform.settings[service])  # the same databases, its runtime off
    auth = {"Authorization": f"Bearer {TOKEN}"}
    statuses = assert_no_server_error(app, [auth, {}], max_examples=15)
    assert 401 in statuses and statuses & {200, 404}


def _path_values(platform: Platform, route: Route) -> dict[str, str]:
    if route.path.startswith("/q/"):
        return {**platform.values, "token": platform.values["survey_token"]}
    return platform.values
