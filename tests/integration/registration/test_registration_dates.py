"""Registration opens and closes by the edition's dates, and never after its day: the public
forms, through a real HTTP server, say so and store nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import httpx
import pytest

from services.registration.entrypoints.http import create_app
from shared.edition import TIMEZONE, EditionSettings, default_edition
from shared.events import EditionUpdated
from shared.french import french_datetime
from shared.service import ServiceKit
from tests.integration.registration.conftest import (
    EDITION,
    csrf_token,
    expert_form,
    holder_form,
    participant_rows,
)
from tests.support.notifier import HttpServer

CONTACT = "contact@pes21.fr"
NOW = dt.datetime.now(dt.UTC)
SOON = default_edition().date


@pytest.fixture
def server(kit: ServiceKit) -> Iterator[str]:
    running = HttpServer(create_app(kit))
    running.start()
    yield running.url
    running.stop()


def programme(kit: ServiceKit, **changes: object) -> EditionSettings:
    """The scheduler publishes the edition's programme; registration consumes it."""
    settings = default_edition().model_copy(update=changes)
    event = EditionUpdated(edition_id=EDITION, settings=settings)
    kit.consumer.process(EditionUpdated.stream(kit.settings.bus_prefix), event.model_dump_json())
    return settings


def open_form(client: httpx.Client, role: str = "porteur") -> str:
    """A form fetched while registration is open: its CSRF token, to post later."""
    page = client.get(f"/inscription/{EDITION}/{role}")
    assert page.status_code == 200 and "<form" in page.text
    return csrf_token(page.text)


def post(client: httpx.Client, token: str, role: str = "porteur") -> httpx.Response:
    form = holder_form() if role == "porteur" else expert_form()
    return client.post(f"/inscription/{EDITION}/{role}", data={**form, "csrf_token": token})


def assert_refused_politely(page: httpx.Response, *words: str) -> None:
    assert "<form" not in page.text
    assert f'href="mailto:{CONTACT}"' in page.text
    assert "Nous vous attendons" not in page.text
    for word in words:
        assert word in page.text, word


def test_open_registration_stores_and_expects_the_person(kit, server):
    programme(kit, registration_opens=NOW - dt.timedelta(days=1))
    with httpx.Client(base_url=server) as client:
        answer = post(client, open_form(client))
    assert answer.status_code == 200
    assert "Nous vous attendons le" in answer.text
    assert len(participant_rows(kit)) == 1


def test_before_opening_says_when_and_stores_nothing(kit, server):
    with httpx.Client(base_url=server) as client:
        token = open_form(client)
        opens = dt.datetime(SOON.year, SOON.month, 1, 8, 0, tzinfo=dt.UTC)  # 9 h in Paris
        opens = max(opens, NOW + dt.timedelta(days=2))
        programme(kit, registration_opens=opens)
        page = client.get(f"/inscription/{EDITION}/porteur")
        assert page.status_code == 200
        when = f"{french_datetime(opens)}</time>"
        assert_refused_politely(page, "pas encore ouvertes", "Elles ouvriront le", when)
        answer = post(client, token)
        assert answer.status_code == 403
        assert_refused_politely(answer, "pas encore ouvertes")
        # The page that offers both forms says it too.
        assert_refused_politely(client.get(f"/inscription/{EDITION}"), "pas encore ouvertes")
    assert participant_rows(kit) == []


def test_after_closing_refuses_and_stores_nothing(kit, server):
    with httpx.Client(base_url=server) as client:
        holder_token, expert_token = open_form(client), open_form(client, "expert")
        closes = NOW - dt.timedelta(hours=1)
        settings = programme(kit, registration_closes=closes)
        for role in ("porteur", "expert"):
            page = client.get(f"/inscription/{EDITION}/{role}")
            assert page.status_code == 200
            ended = f"{french_datetime(closes)}</time>"
            assert_refused_politely(page, "sont closes", "Elles ont pris fin le", ended)
        assert post(client, holder_token).status_code == 403
        answer = post(client, expert_token, "expert")
        assert answer.status_code == 403
        assert_refused_politely(answer, "Les inscriptions sont closes")
    assert participant_rows(kit) == []
    assert settings.date >= dt.date.today()  # closed by the date, not by the day


def test_once_the_day_is_past_whatever_the_dates(kit, server):
    with httpx.Client(base_url=server) as client:
        token = open_form(client)
        yesterday = dt.date.today() - dt.timedelta(days=1)
        programme(kit, date=yesterday, registration_closes=NOW + dt.timedelta(days=30))
        page = client.get(f"/inscription/{EDITION}/porteur")
        assert page.status_code == 200
        assert_refused_politely(page, "Les inscriptions sont closes", "a eu lieu")
        answer = post(client, token)
        assert answer.status_code == 403
        assert_refused_politely(answer, "a eu lieu")
    assert participant_rows(kit) == []


def test_the_day_itself_still_accepts(kit, server):
    """Registration closes from the midnight after the day, in Paris."""
    with httpx.Client(base_url=server) as client:
        token = open_form(client)
        paris_today = NOW.astimezone(ZoneInfo(TIMEZONE)).date()
        programme(kit, date=paris_today)
        assert post(client, token).status_code == 200
    assert len(participant_rows(kit)) == 1
