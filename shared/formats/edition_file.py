"""Edition file: a TOML file overriding any of the action sheet's defaults for one day."""

from __future__ import annotations

import datetime as dt
import tomllib
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from shared.edition import EditionSettings, default_edition


class EditionFileError(ValueError):
    """The file cannot be used; `problems` holds one French sentence per fault."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def parse_edition(text: str) -> EditionSettings:
    """Settings from the file's fields, the defaults for everything it leaves out."""
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise EditionFileError([f"fichier TOML invalide : {exc}"]) from exc
    unknown = sorted(set(data) - set(EditionSettings.model_fields))
    if unknown:
        raise EditionFileError([f"champ inconnu : {name}" for name in unknown])
    merged = default_edition().model_dump() | data
    if "edition_id" not in data and isinstance(data.get("date"), dt.date):
        merged["edition_id"] = str(data["date"].year)
    try:
        return EditionSettings.model_validate(merged)
    except ValidationError as exc:
        raise EditionFileError(
            [
                f"champ {'.'.join(str(p) for p in err['loc'])} : {_french(err)}"
                for err in exc.errors()
            ]
        ) from exc


def _french(error: ErrorDetails) -> str:
    """pydantic speaks English; operators read French."""
    kind, ctx = error["type"], error.get("ctx", {})
    messages = {
        "missing": "champ obligatoire manquant",
        "greater_than_equal": f"doit valoir au moins {ctx.get('ge')}",
        "less_than_equal": f"doit valoir au plus {ctx.get('le')}",
        "int_parsing": "nombre entier attendu",
        "int_type": "nombre entier attendu",
        "date_parsing": "date attendue (AAAA-MM-JJ)",
        "date_type": "date attendue (AAAA-MM-JJ)",
        "date_from_datetime_parsing": "date attendue (AAAA-MM-JJ)",
        "time_parsing": "heure attendue (HH:MM)",
        "time_type": "heure attendue (HH:MM)",
        "string_type": "texte attendu",
        "enum": f"valeur attendue parmi : {ctx.get('expected')}",
        "value_error": str(ctx.get("error", "valeur invalide")),
    }
    return messages.get(kind, f"valeur invalide ({error['msg']})")
