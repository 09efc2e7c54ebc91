"""Rendering pages: one Jinja environment per service over the shared layouts, the back-office
menu, flash messages carried across a redirect, and the confirmation page of irreversible
actions."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from itsdangerous import BadSignature, URLSafeTimedSerializer
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from shared.french import french_date, french_datetime, french_number
from shared.settings import BaseServiceSettings
from shared.web.csrf import CSRF_FIELD, CsrfToken

SHARED_TEMPLATES = Path(__file__).parent / "templates"
FLASH_COOKIE = "rencontres_flash"
_FLASH_SALT = "rencontres-flash"


@dataclass(frozen=True)
class Section:
    """One entry of the back-office menu: where it is served and under which path."""

    key: str
    label: str
    service: str
    path: str


# The back-office, as the operator meets it: one menu whatever service serves the page.
MENU = (
    Section("journee", "La journée", "registration", "/admin"),
    Section("programme", "Programme", "scheduler", "/admin/edition"),
    Section("participants", "Participants", "registration", "/admin/participants"),
    Section("import", "Import", "registration", "/admin/import"),
    Section("planning", "Planning", "scheduler", "/admin/planning"),
    Section("accueil", "Accueil du jour J", "registration", "/admin/accueil"),
    Section("sessions", "Sessions", "scheduler", "/admin/journee"),
    Section("emails", "Emails", "notifier", "/admin/emails"),
    Section("questionnaires", "Questionnaires", "surveys", "/admin/questionnaires"),
    Section("rapport", "Rapport", "surveys", "/admin/rapport"),
)
LOGIN_PATH = "/admin/login"
LOGOUT_PATH = "/admin/logout"


class Pages:
    """A service's templates (its own folder first, then the shared layouts)."""

    def __init__(
        self,
        settings: BaseServiceSettings,
        directory: Path | None = None,
        *,
        globals_: Mapping[str, Any] | None = None,
        filters: Mapping[str, Callable[..., Any]] | None = None,
    ) -> None:
        loaders = [FileSystemLoader(directory)] if directory else []
        self.env = Environment(
            loader=ChoiceLoader([*loaders, FileSystemLoader(SHARED_TEMPLATES)]),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
            # Templates change with a release, never under a running process.
            auto_reload=False,
        )
        self.settings = settings
        self.urls = settings.public_urls()
        self.env.globals.update(
            links=self.urls,
            url_of=self.url_of,
            csrf_field=CSRF_FIELD,
            login_url=self.url_of("registration", LOGIN_PATH),
            logout_url=self.url_of("registration", LOGOUT_PATH),
            **(globals_ or {}),
        )
        self.env.filters.update(
            french_date=french_date,
            french_datetime=french_datetime,
            num=french_number,
            **(filters or {}),
        )

    def url_of(self, service: str, path: str) -> str:
        """The address of a page of any service, as the operator's browser reaches it."""
        return f"{self.urls[service]}{path}"

    def menu(self, section: str | None) -> list[dict[str, Any]]:
        return [
            {
                "key": s.key,
                "label": s.label,
                "url": self.url_of(s.service, s.path),
                "current": s.key == section,
            }
            for s in MENU
        ]

    def render(
        self,
        request: Request,
        name: str,
        context: Mapping[str, Any] | None = None,
        status_code: int = 200,
        *,
        section: str | None = None,
    ) -> HTMLResponse:
        """A page. Back-office templates extend `admin.html` and name their menu `section`;
        public ones extend `public.html`."""
        csrf = CsrfToken(request)
        messages = read_flash(request, self.settings.secret_key.get_secret_value())
        full = {
            "request": request,
            "csrf_token": csrf,
            "flash": messages,
            "menu": self.menu(section),
            "section": section,
            "admin": getattr(request.state, "admin", None),
            **(context or {}),
        }
        html = self.env.get_template(name).render(full)
        response = HTMLResponse(html, status_code=status_code)
        if messages:
            response.delete_cookie(FLASH_COOKIE, path="/")
        csrf.attach(response)
        return response

    def confirm(
        self,
        request: Request,
        *,
        title: str,
        lines: Iterable[str],
        action: str,
        button: str,
        cancel: str,
        section: str | None = None,
        danger: bool = True,
        fields: Mapping[str, str] | None = None,
        warning: str = "",
    ) -> HTMLResponse:
        """The page an irreversible action shows first: what will happen, with the figures,
        and two buttons."""
        return self.render(
            request,
            "confirm.html",
            {
                "title": title,
                "lines": list(lines),
                "action": action,
                "button": button,
                "cancel": cancel,
                "danger": danger,
                "fields": dict(fields or {}),
                "warning": warning,
            },
            section=section,
        )


def _flash_serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=_FLASH_SALT)


def read_flash(request: Request, secret: str) -> list[dict[str, str]]:
    value = request.cookies.get(FLASH_COOKIE)
    if not value:
        return []
    try:
        messages = _flash_serializer(secret).loads(value, max_age=300)
    except BadSignature:
        return []
    if not isinstance(messages, list):
        return []
    return [
        {"kind": str(m[0]), "text": str(m[1])}
        for m in messages
        if isinstance(m, list) and len(m) == 2
    ]


def redirect(request: Request, url: str, *, ok: str = "", error: str = "") -> RedirectResponse:
    """303 to `url`, with a message the next page shows once (a signed cookie: the text is
    never in the address, where anyone could write their own)."""
    response = RedirectResponse(url, status_code=303)
    messages = [[kind, text] for kind, text in (("ok", ok), ("error", error)) if text]
    if messages:
        secret = request.app.state.web.settings.secret_key.get_secret_value()
        response.set_cookie(
            FLASH_COOKIE,
            _flash_serializer(secret).dumps(messages),
            max_age=300,
            httponly=True,
            samesite="lax",
            secure=request.app.state.web.settings.environment == "production",
            path="/",
        )
    return response


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    status_code: int = 200,
    *,
    section: str | None = None,
) -> HTMLResponse:
    """A page of the service answering this request (see `Pages.render`)."""
    pages: Pages = request.app.state.web.pages
    return pages.render(request, name, context, status_code, section=section)


def confirm(request: Request, **kwargs: Any) -> HTMLResponse:
    """The confirmation page of an irreversible action (see `Pages.confirm`)."""
    pages: Pages = request.app.state.web.pages
    return pages.confirm(request, **kwargs)
