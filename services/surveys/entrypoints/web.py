"""What the surveys pages share: templates, French dates, the form as a dict of lists."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from services.surveys.domain.budget import euros
from services.surveys.domain.questions import TYPE_LABELS, choices
from shared.edition import TIMEZONE

MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip


def french_datetime(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(TIMEZONE))
    return f"{local.day} {MONTHS[local.month - 1]} {local.year} à {local:%H} h {local:%M}"


def french_number(value: float | int | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    if isinstance(value, int):
        return f"{value:,}".replace(",", "\u202f")
    return f"{value:.{digits}f}".replace(".", ",")


templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
# Templates change with a new release, never under a running process: no stat() per render.
templates.env.auto_reload = False
templates.env.globals.update(choices=choices, TYPE_LABELS=TYPE_LABELS)
templates.env.filters.update(french_datetime=french_datetime, num=french_number, euros=euros)


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def message(
    request: Request,
    title: str,
    *lines: str,
    status_code: int = 200,
    back_url: str | None = None,
    back_label: str = "Retour",
) -> HTMLResponse:
    return page(
        request,
        "message.html",
        status_code,
        title=title,
        lines=lines,
        back_url=back_url,
        back_label=back_label,
    )


async def form_dict(request: Request) -> dict[str, list[str]]:
    form = await request.form()
    return {key: [str(v) for v in form.getlist(key)] for key in form}
