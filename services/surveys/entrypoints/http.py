"""The surveys service's HTTP app."""

from __future__ import annotations

from fastapi import FastAPI

from services.surveys.bootstrap import bootstrap
from shared.service import ServiceKit
from shared.web import create_app as create_base_app


def create_app(kit: ServiceKit | None = None) -> FastAPI:
    kit = kit or bootstrap()
    app = create_base_app(service="surveys", title="Rencontres – surveys", runtime=kit.runtime)
    app.state.kit = kit
    return app
