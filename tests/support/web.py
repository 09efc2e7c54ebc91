"""The back-office as tests reach it: a real operator's session (the store every service
reads), and the CSRF token of a page's forms."""

from __future__ import annotations

import re
from typing import Any

from shared.settings import BaseServiceSettings
from shared.web.auth import ADMIN_COOKIE, AdminSessions
from shared.web.csrf import CSRF_COOKIE, CSRF_HEADER, new_pair

OPERATOR = "operatrice@pes21.example"


def admin_cookie(settings: BaseServiceSettings, email: str = OPERATOR) -> str:
    """The cookie value of a session opened for `email`, as registration opens it at login."""
    return AdminSessions.for_settings(settings).open(email)


def admin_cookies(settings: BaseServiceSettings, email: str = OPERATOR) -> dict[str, str]:
    return {ADMIN_COOKIE: admin_cookie(settings, email)}


def csrf_of(html: str) -> str:
    """The token the page's forms carry."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html) or re.search(
        r'<meta name="csrf-token" content="([^"]+)"', html
    )
    assert found, "no CSRF token on the page"
    return found.group(1)


def with_csrf(client: Any, settings: BaseServiceSettings) -> Any:
    """A test client that sends a CSRF cookie and its token in the header on every request,
    as the back-office pages' scripts do."""
    cookie, token = new_pair(settings.secret_key.get_secret_value())
    client.cookies.set(CSRF_COOKIE, cookie)
    client.headers[CSRF_HEADER] = token
    return client
