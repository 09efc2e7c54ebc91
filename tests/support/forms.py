"""The HTML forms of the four apps as a person meets them, and hostile values to post to them.

A form is read from the pages (its action, its fields, the choices a page offers), not from the
route's signature: most routes read the posted fields themselves (`shared.web.forms`), so their
signature names none. Routes whose signature does declare `Form` fields add those names, so a
form that no page shows in the test's data still gets its real field names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.params import Form
from fastapi.routing import APIRoute, iter_route_contexts
from hypothesis import strategies as st

from tests.support.routes import Route


@dataclass
class FormSpec:
    """What a route's forms carry: each field's kind and the values pages offer for it."""

    fields: dict[str, str] = field(default_factory=dict)  # name -> input type
    offered: dict[str, set[str]] = field(default_factory=dict)  # name -> values seen
    multipart: bool = False
    seen_on_a_page: bool = False

    def add(self, name: str, kind: str, value: str = "") -> None:
        if kind == "file":
            self.multipart = True
        self.fields.setdefault(name, kind)
        if value:
            self.offered.setdefault(name, set()).add(value)


class _PageForms(HTMLParser):
    """Every `<form method="post">` of a page: its action and its named controls."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, FormSpec]] = []
        self._current: FormSpec | None = None
        self._select: str | None = None
        self._option_text = False  # inside an <option> without value: its text is the value

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "get").lower() == "post":
            self._current = FormSpec(multipart="multipart" in a.get("enctype", ""))
            self.forms.append((a.get("action", ""), self._current))
            return
        spec, name = self._current, a.get("name", "")
        if spec is None:
            return
        if tag in ("input", "button") and name:
            spec.add(
                name, a.get("type", "text" if tag == "input" else "submit"), a.get("value", "")
            )
        elif tag == "textarea" and name:
            spec.add(name, "textarea")
        elif tag == "select" and name:
            self._select = name
            spec.add(name, "select")
        elif tag == "option" and self._select:
            self._option_text = "value" not in a
            spec.add(self._select, "select", a.get("value", ""))

    def handle_data(self, data: str) -> None:
        if self._option_text and self._current is not None and self._select:
            self._current.add(self._select, "select", data.strip())
            self._option_text = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None
        elif tag == "select":
            self._select = None
        elif tag == "option":
            self._option_text = False


def page_forms(html: str) -> list[tuple[str, FormSpec]]:
    """(action, fields) of every POST form of the page."""
    reader = _PageForms()
    reader.feed(html)
    return reader.forms


def route_of(action: str, page_path: str, routes: list[Route]) -> Route | None:
    """The route template a form's action posts to (an empty action posts to the page)."""
    path = urlsplit(action).path or page_path
    for route in routes:
        pattern = re.sub(r"\\\{\w+(?::\w+)?\\\}", "[^/]+", re.escape(route.path))
        if re.fullmatch(pattern, path):
            return route
    return None


def declared_form_fields(app: FastAPI) -> dict[tuple[str, str], dict[str, str]]:
    """(method, path) -> the `Form` fields a route's signature declares, with a kind."""
    out: dict[tuple[str, str], dict[str, str]] = {}
    for route in iter_route_contexts(app.routes):
        if not isinstance(route, APIRoute):
            continue
        for param in route.dependant.body_params:
            if isinstance(param.field_info, Form):
                kind = "number" if param.field_info.annotation is int else "text"
                for method in route.methods:
                    out.setdefault((method, route.path), {})[param.alias] = kind
    return out


# -- hostile values -----------------------------------------------------------------------

NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x1b[31mrouge",
    "\x07\x08\x0b\x0c",
    "ligne\r\nSet-Cookie: x=y",
    "\u202ecod.exe",  # right-to-left override
    "\u200b\u200d\ufeff",  # zero-width characters
    "\u0645\u0631\u062d\u0628\u0627 \u05e9\u05dc\u05d5\u05dd",  # Arabic, Hebrew
    "e\u0301\u0301\u0301",  # combining accents
    "😀👩‍👩‍👧",
    "𝕳𝖊𝖑𝖑𝖔",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    '"; DROP TABLE participants; --',
    "{{ 7*7 }}",
    "%s%n%x",
    "../../etc/passwd",
    '=HYPERLINK("http://evil.example")',
    "-1",
    "0",
    "1e309",
    "NaN",
    "-0",
    "99999999999999999999999999",
    "-99999999999999999999999999",
    "1.5",
    "0x1F",
    "١٢٣",  # Arabic-Indic digits
    "2026-02-30",
    "2026-13-01",
    "31/12/2026",
    "9999-99-99T99:99",
    "0000-00-00",
    "10:61",
    "25:00",
    "T",
    "true",
    "null",
    "[]",
    "{}",
    "x" * 300,
    "é" * 5000,
    "y" * (70 * 1024),  # over a field's 64 KB
]


def text_values(offered: set[str]) -> st.SearchStrategy[str]:
    """A value for one field: often a choice a page offers (so the form gets past its first
    checks), or one of the hostile values, or generated text and numbers."""
    hostile = st.one_of(
        st.sampled_from(NASTY),
        st.text(max_size=40),
        st.integers(min_value=-(10**20), max_value=10**20).map(str),
        st.dates().map(lambda d: d.isoformat()),
    )
    return st.sampled_from(sorted(offered)) | hostile if offered else hostile


FILES = [
    b"",
    b"\x00\xff\xfe" * 100,
    b"role;email\nporteur;a@b.fr\n",
    b"PK\x03\x04" + b"\x00" * 200,  # a truncated zip (.xlsx)
    "r\u00f4le;e\u0301mail;nom\nexpert;h\u00e9l\u00e8ne@exemple.fr;\u202eX\n".encode(),
]


@st.composite
def submissions(draw: Any, spec: FormSpec) -> tuple[list[tuple[str, str]], dict[str, Any]]:
    """The fields of one submission (missing, single, repeated, extra ones) and its files."""
    data: list[tuple[str, str]] = []
    files: dict[str, Any] = {}
    for name, kind in spec.fields.items():
        if name == "csrf_token":
            continue
        if kind == "file":
            if draw(st.booleans()):
                content = draw(st.sampled_from(FILES) | st.binary(max_size=2000))
                suffix = draw(st.sampled_from(["csv", "xlsx", "txt", "é.csv", ""]))
                files[name] = (f"fichier.{suffix}", content, "application/octet-stream")
            continue
        count = draw(st.sampled_from([0, 1, 1, 1, 2, 3]))  # missing, single, repeated
        values = text_values(spec.offered.get(name, set()))
        data.extend((name, draw(values)) for _ in range(count))
    extra = draw(st.lists(st.tuples(st.text(min_size=1, max_size=12), st.text(max_size=20)),
                          max_size=3))  # fmt: skip
    data.extend(extra)
    return data, files
