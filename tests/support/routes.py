"""Every route of the four apps, read from their routers (the apps are built on in-memory
databases, connected to nothing), and the values a test puts in their path parameters."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

SERVICES = ("registration", "scheduler", "notifier", "surveys")
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DOCS = frozenset({"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})


@dataclass(frozen=True)
class Route:
    service: str
    method: str
    path: str  # the template, /admin/participants/{participant_id}

    def fill(self, values: Mapping[str, str]) -> str:
        """The path with each `{name}` (or `{name:path}`) replaced by values[name]."""
        return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values[m.group(1)], self.path)


def build_app(service: str) -> FastAPI:
    if service == "registration":
        from services.registration.bootstrap import bootstrap as registration
        from services.registration.entrypoints.http import create_app as registration_app
        from services.registration.settings import RegistrationSettings

        return registration_app(registration(RegistrationSettings(database_url="sqlite://")).kit)
    if service == "scheduler":
        from services.scheduler.bootstrap import bootstrap as scheduler
        from services.scheduler.entrypoints.http import create_app as scheduler_app
        from services.scheduler.settings import SchedulerSettings

        settings = SchedulerSettings.model_validate({"SCHEDULER_DATABASE_URL": "sqlite://"})
        return scheduler_app(scheduler(settings))
    if service == "notifier":
        from services.notifier.bootstrap import bootstrap as notifier
        from services.notifier.entrypoints.http import create_app as notifier_app
        from services.notifier.settings import NotifierSettings

        settings = NotifierSettings.model_validate({"NOTIFIER_DATABASE_URL": "sqlite://"})
        return notifier_app(notifier(settings))
    from services.surveys.bootstrap import bootstrap as surveys
    from services.surveys.entrypoints.http import create_app as surveys_app
    from services.surveys.settings import SurveysSettings

    settings = SurveysSettings.model_validate({"SURVEYS_DATABASE_URL": "sqlite://"})
    return surveys_app(surveys(settings).kit)


@cache
def all_routes() -> tuple[Route, ...]:
    found = []
    for service in SERVICES:
        for route in iter_route_contexts(build_app(service).routes):
            if route.path and route.methods and route.path not in DOCS:
                found.extend(Route(service, m, route.path) for m in sorted(route.methods))
    return tuple(found)


def state_changing() -> list[Route]:
    return [r for r in all_routes() if r.method in UNSAFE]


def reading() -> list[Route]:
    return [r for r in all_routes() if r.method == "GET"]


def parameters() -> set[str]:
    return {name for r in all_routes() for name in re.findall(r"\{(\w+)", r.path)}
