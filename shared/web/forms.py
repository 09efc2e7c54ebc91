"""Posted forms as plain values: every field as a list of strings (checkboxes repeat)."""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request


async def form_lists(request: Request) -> dict[str, list[str]]:
    """The posted fields, files left out (a route that takes a file reads it itself)."""
    data = await request.form()
    out: dict[str, list[str]] = {}
    for key, value in data.multi_items():
        if isinstance(value, str):
            out.setdefault(key, []).append(value)
    return out


def first(form: dict[str, list[str]], name: str, default: str = "") -> str:
    """A single field's value, stripped."""
    return (form.get(name) or [default])[0].strip()


def flat(form: dict[str, list[str]]) -> dict[str, Any]:
    """Single values as strings, repeated ones (checkboxes) as lists."""
    return {k: v[0] if len(v) == 1 else v for k, v in form.items()}


_WHOLE = re.compile(r"-?[0-9]{1,12}")


def whole_number(text: str, low: int, high: int, what: str = "nombre") -> int:
    """`text` as a whole number from `low` to `high`; otherwise ValueError with a French
    message naming `what`, ready to show on the form."""
    value = text.strip()
    if not _WHOLE.fullmatch(value):
        raise ValueError(f"{what} : « {value} » n'est pas un nombre entier")
    number = int(value)
    if not low <= number <= high:
        raise ValueError(f"{what} : doit être compris entre {low} et {high}")
    return number
