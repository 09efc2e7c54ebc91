"""What the surveys pages share beyond the common foundation (`shared.web`): the service's
kit, and the message page participants see."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from starlette.responses import HTMLResponse

from services.surveys.settings import SurveysSettings
from shared.service import ServiceKit
from shared.web import render

TEMPLATES = Path(__file__).parent / "templates"


def kit_of(request: Request) -> ServiceKit:
    kit: ServiceKit = request.app.state.kit
    return kit


def settings_of(request: Request) -> SurveysSettings:
    settings = kit_of(request).settings
    assert isinstance(settings, SurveysSettings)
    return settings


def message(
    request: Request,
    title: str,
    *lines: str,
    status_code: int = 200,
    back_url: str | None = None,
    back_label: str = "Retour",
) -> HTMLResponse:
    context = {"title": title, "lines": lines, "back_url": back_url, "back_label": back_label}
    return render(request, "message.html", context, status_code)
