"""The venue link's limits through HTTP: one answer per device, so many per address and hour."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import redis
from fastapi.testclient import TestClient

from services.surveys.bootstrap import bootstrap
from services.surveys.entrypoints.http import create_app
from services.surveys.service_layer import surveys as uc
from shared.migrations import upgrade
from shared.web.auth import ADMIN_COOKIE
from tests.integration.surveys.test_http import DAY_FORM, Clock
from tests.support.servers import free_port
from tests.support.surveys import DAY_END, EDITION, PACKAGE
from tests.support.web import admin_cookie, with_csrf


@pytest.fixture
def clock() -> Clock:
    return Clock(DAY_END + dt.timedelta(minutes=5))


def venue_app(settings, clock, **overrides):
    settings = settings.model_copy(update=overrides)
    upgrade(PACKAGE, settings.database_url)
    kit = bootstrap(settings).kit
    app = create_app(kit)
    app.state.clock = clock
    admin = with_csrf(TestClient(app), settings)
    admin.cookies.set(ADMIN_COOKIE, admin_cookie(settings))
    admin.post(f"/admin/editions/{EDITION}/surveys/prepare")
    page = admin.get(f"/admin/editions/{EDITION}/venue")
    code = re.search(r"/j/([A-Z0-9]{6})", page.text).group(1)
    return kit, app, code


def phone(app, settings) -> TestClient:
    """A new device: its own cookies."""
    return with_csrf(TestClient(app), settings)


def answer(client: TestClient, code: str, **changes: str):
    page = client.get(f"/j/{code}")
    found = re.search(r'name="submission_id" value="([^"]+)"', page.text)
    submission = found.group(1) if found else "une-autre-soumission"
    return client.post(f"/j/{code}", data={**DAY_FORM, **changes, "submission_id": submission})


def venue_answers(kit) -> int:
    with kit.factory() as session:
        survey = uc.day_survey(session, EDITION)
        return uc.response_counts(session, survey.survey_id)[2]


def test_one_answer_per_device(settings, clock):
    kit, app, code = venue_app(settings, clock)
    device = phone(app, settings)
    first = device.get(f"/j/{code}")
    submission = re.search(r'name="submission_id" value="([^"]+)"', first.text).group(1)
    sent = device.post(f"/j/{code}", data={**DAY_FORM, "submission_id": submission})
    assert sent.status_code == 200 and "Votre réponse est enregistrée" in sent.text
    # The same form sent again (a double tap) updates the one response.
    again = device.post(
        f"/j/{code}", data={**DAY_FORM, "organisation": "3", "submission_id": submission}
    )
    assert again.status_code == 200
    # Another form from the same device: refused, politely; so is the page itself.
    other = device.post(f"/j/{code}", data={**DAY_FORM, "submission_id": "nouvelle-soumission"})
    assert other.status_code == 200
    assert "Vous avez déjà répondu depuis cet appareil, merci" in other.text
    assert "Vous avez déjà répondu depuis cet appareil" in device.get(f"/j/{code}").text
    assert venue_answers(kit) == 1
    # A cookie written by hand is not ours: it counts for nothing.
    forged = phone(app, settings)
    forged.cookies.set(f"rencontres_venue_{code}", "falsifie.signature")
    assert "submission_id" in forged.get(f"/j/{code}").text
    # Another device answers.
    assert "Votre réponse est enregistrée" in answer(phone(app, settings), code).text
    assert venue_answers(kit) == 2
    kit.engine.dispose()


def test_so_many_answers_per_address_and_hour(settings, clock, redis_url, bus_prefix):
    kit, app, code = venue_app(settings, clock, venue_answers_per_hour=3)
    codes = [answer(phone(app, settings), code).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    refused = answer(phone(app, settings), code)
    assert "Trop de réponses" in refused.text
    assert venue_answers(kit) == 3
    keys = [k.decode() for k in redis.Redis.from_url(redis_url).scan_iter(f"{bus_prefix}surveys:*")]
    assert keys and all(k.startswith(f"{bus_prefix}surveys:rate:venue-ip:") for k in keys)
    assert not any("testclient" in k for k in keys)
    # The funder's report tells how many answers came from the venue link.
    admin = phone(app, settings)
    admin.cookies.set(ADMIN_COOKIE, admin_cookie(settings))
    report = admin.get(f"/admin/editions/{EDITION}/report")
    assert "(+3 sur place)" in report.text
    kit.engine.dispose()


def test_the_limit_holds_in_the_process_when_redis_is_down(settings, clock):
    # The limiter's Redis is a port where nothing listens (the database still works).
    kit, app, code = venue_app(settings, clock, venue_answers_per_hour=2)
    app.state.limiter.client = redis.Redis(port=free_port(), socket_connect_timeout=0.5)
    codes = [answer(phone(app, settings), code).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert venue_answers(kit) == 2
    kit.engine.dispose()
