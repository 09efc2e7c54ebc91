"""A surveys service on a fresh, migrated database, with events delivered by hand
(tests/support/surveys.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.surveys.bootstrap import bootstrap
from services.surveys.settings import SurveysSettings
from shared.migrations import upgrade
from shared.service import ServiceKit
from tests.support.surveys import PACKAGE


@pytest.fixture
def settings(database_url: str, redis_url: str, bus_prefix: str) -> SurveysSettings:
    return SurveysSettings(
        database_url=database_url,
        redis_url=redis_url,
        bus_prefix=bus_prefix,
        surveys_public_url="http://testserver",
        due_interval_s=0,
        environment="test",
    )


@pytest.fixture
def kit(settings: SurveysSettings) -> Iterator[ServiceKit]:
    upgrade(PACKAGE, settings.database_url)
    kit = bootstrap(settings).kit
    yield kit
    kit.engine.dispose()
