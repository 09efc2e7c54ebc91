"""Posted forms as plain values: every field as a list of strings (checkboxes repeat)."""

from __future__ import annotations

import re
from typing import Any

from fastapi import HTTPException, Request
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.french import french_number

# What a form of ours may carry: no page has more than a hundred fields, and no text field
# allows more than a few thousand characters (the body as a whole is MAX_BODY_BYTES).
MAX_FIELDS = 1000
MAX_FIELD_BYTES = 64 * 1024
MAX_FILES = 1
TOO_MANY_FIELDS = (
    "Le formulaire envoyé compte trop de champs ({max} au plus) : il ne vient pas de nos pages. "
    "Revenez en arrière, rechargez la page et envoyez-la de nouveau."
)
FIELD_TOO_LONG = (
    "Un champ du formulaire dépasse la taille acceptée ({max} Ko au plus). "
    "Revenez en arrière, raccourcissez le texte et envoyez de nouveau."
)
TOO_MANY_FILES = "Le formulaire n'accepte qu'un fichier à la fois."
UNREADABLE = "Le formulaire envoyé n'a pas pu être lu. Revenez en arrière et réessayez."
# No keyboard types U+0000 and PostgreSQL cannot store it: refused before any route reads it.
NUL_CHARACTER = (
    "Le formulaire contient un caractère nul, invisible, qu'aucune de nos pages ne produit. "
    "Revenez en arrière, retapez le texte et envoyez de nouveau."
)


async def read_form(request: Request) -> FormData:
    """The posted form, within our limits; over them, a French 400 (Starlette's own parser
    would answer its English sentence). The first reading is kept by Starlette, so the CSRF
    check, which reads first, applies these limits to every route."""
    try:
        data = await request.form(
            max_files=MAX_FILES, max_fields=MAX_FIELDS, max_part_size=MAX_FIELD_BYTES
        )
    except StarletteHTTPException as exc:
        detail = str(exc.detail)
        if detail.startswith("Too many fields"):
            raise HTTPException(
                400, TOO_MANY_FIELDS.format(max=french_number(MAX_FIELDS))
            ) from None
        if detail.startswith(("Field exceeded", "Part exceeded")):
            raise HTTPException(400, FIELD_TOO_LONG.format(max=MAX_FIELD_BYTES // 1024)) from None
        if detail.startswith("Too many files"):
            raise HTTPException(400, TOO_MANY_FILES) from None
        raise HTTPException(400, UNREADABLE) from None
    for name, value in data.multi_items():
        text = value if isinstance(value, str) else value.filename or ""
        if "\x00" in name or "\x00" in text:
            raise HTTPException(400, NUL_CHARACTER)
    return data


async def form_lists(request: Request) -> dict[str, list[str]]:
    """The posted fields, files left out (a route that takes a file reads it itself)."""
    data = await read_form(request)
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
