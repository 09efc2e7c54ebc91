"""A scheduler service on a fresh migrated database and a real registration API served by
uvicorn (the harness itself, the clock and the small day: tests/support/scheduler.py)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, Header, HTTPException

from services.scheduler.bootstrap import bootstrap
from services.scheduler.settings import SchedulerSettings
from shared.migrations import upgrade
from tests.support.scheduler import EDITION, Clock, Harness
from tests.support.servers import free_port, wait_until

PACKAGE = Path(__file__).resolve().parents[3] / "services" / "scheduler"
TOKEN = "test-service-token"
SECRET = "test-secret-key"


class RegistrationAPI:
    """Registration's internal participants API, for real over HTTP (uvicorn on a free port)."""

    def __init__(self) -> None:
        self.people: dict[str, dict[str, Any]] = {}
        self.calls = 0
        api = FastAPI()

        @api.get("/internal/participants/{participant_id}")
        def participant(participant_id: str, authorization: str = Header("")) -> dict[str, Any]:
            self.calls += 1
            if authorization != f"Bearer {TOKEN}":
                raise HTTPException(401)
            if participant_id not in self.people:
                raise HTTPException(404)
            return self.people[participant_id]

        self.port = free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(api, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.thread.start()
        wait_until(lambda: self.server.started, what="registration API to start")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)


@pytest.fixture(scope="session")
def registration_api() -> Iterator[RegistrationAPI]:
    api = RegistrationAPI()
    api.start()
    yield api
    api.stop()


def make_harness(
    database_url: str, redis_url: str, bus_prefix: str, registration: RegistrationAPI
) -> Harness:
    settings = SchedulerSettings(
        SCHEDULER_DATABASE_URL=database_url,
        SCHEDULER_EDITION_ID=EDITION,
        REGISTRATION_INTERNAL_URL=registration.url,
        SCHEDULER_PUBLIC_URL="http://rencontres.example",
        redis_url=redis_url,
        bus_prefix=bus_prefix,
        service_token=TOKEN,
        secret_key=SECRET,
        tick_interval_s=3600,
    )
    upgrade(PACKAGE, database_url)
    clock = Clock()
    return Harness(app=bootstrap(settings, clock=clock), clock=clock, registration=registration)


@pytest.fixture
def harness(
    database_url: str, redis_url: str, bus_prefix: str, registration_api: RegistrationAPI
) -> Iterator[Harness]:
    h = make_harness(database_url, redis_url, bus_prefix, registration_api)
    yield h
    h.app.kit.engine.dispose()


def timed(fn, *args: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - started
