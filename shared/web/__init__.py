"""The web foundation of the four services: one back-office layout and menu, one CSRF check,
one admin session, the same security headers and French error pages everywhere.

- `app.create_app`: the FastAPI app a service adds its routers to;
- `auth`: the operator's session (`CurrentAdmin`) and the service token (`ServiceCaller`);
- `csrf`: the token every form carries, checked on every state-changing request;
- `pages`: templates over the shared layouts (`admin.html`, `public.html`), the menu, flash
  messages (`redirect`) and the confirmation page of irreversible actions;
- `forms`: posted fields as plain values;
- `downloads`: the `Content-Disposition` header of a file (`attachment`, `inline`);
- `errors`: French pages for people, JSON for programs.
"""

from shared.web.app import create_app
from shared.web.auth import CurrentAdmin, ServiceCaller
from shared.web.downloads import attachment, inline
from shared.web.forms import first, flat, form_lists
from shared.web.pages import Pages, confirm, redirect, render

__all__ = [
    "CurrentAdmin",
    "Pages",
    "ServiceCaller",
    "attachment",
    "confirm",
    "create_app",
    "first",
    "flat",
    "form_lists",
    "inline",
    "redirect",
    "render",
]
