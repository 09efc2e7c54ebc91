"""Communes by their INSEE code: what registration stores and publishes instead of the text a
participant typed, and what the report names again (data: shared/data/README.md)."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from shared.edition import normalise_key

DATA = Path(__file__).parent / "data" / "communes.csv"
# The code of a commune typed but not in the file: still « a commune », never its text.
OTHER = "autre"
OTHER_LABEL = "Autre commune"
HOME_DEPARTMENT = "21"  # Côte-d'Or: a name found in several departments is this one's first
# An INSEE commune code (2A/2B: Corsica) or OTHER: what an event may carry, never free text.
CODE_PATTERN = r"^(\d[\dAB]\d{3}|autre)$"


@dataclass(frozen=True)
class Commune:
    code: str
    name: str

    @property
    def department(self) -> str:
        return self.code[:2]


def _key(text: str) -> str:
    """How names compare: case, accents, hyphens and apostrophes aside; « St » is « Saint »."""
    words = re.sub(r"[-'’\s]+", " ", normalise_key(text)).split()
    expanded = {"st": "saint", "ste": "sainte"}
    return " ".join(expanded.get(w, w) for w in words)


@cache
def communes() -> tuple[Commune, ...]:
    with DATA.open(encoding="utf-8", newline="") as file:
        return tuple(Commune(r["code"], r["nom"]) for r in csv.DictReader(file, delimiter=";"))


@cache
def _by_code() -> dict[str, Commune]:
    return {c.code: c for c in communes()}


@cache
def _by_name() -> dict[str, list[Commune]]:
    found: dict[str, list[Commune]] = {}
    for c in communes():
        found.setdefault(_key(c.name), []).append(c)
    for homonyms in found.values():  # the home department's first
        homonyms.sort(key=lambda c: (c.department != HOME_DEPARTMENT, c.code))
    return found


_DEPARTMENT = re.compile(r"\(\s*(\d[\dAB])\s*\)\s*$")  # « Beaune (21) »
_POSTCODE = re.compile(r"\b(\d{5})\b")  # « 21000 Dijon », « Dijon 21000 »


def find(text: str) -> Commune | None:
    """The commune a person means by what they typed: « Dijon », « dijon », « St-Apollinaire »,
    « 21000 Dijon », « Beaune (21) »; None when it is none of the file's."""
    department = None
    if match := _DEPARTMENT.search(text):
        department, text = match.group(1), text[: match.start()]
    if match := _POSTCODE.search(text):
        department = department or match.group(1)[:2]
        text = text[: match.start()] + text[match.end() :]
    homonyms = _by_name().get(_key(text), [])
    if department:
        homonyms = [c for c in homonyms if c.department == department]
    return homonyms[0] if homonyms else None


def code_for(text: str | None) -> str | None:
    """None when nothing was typed, OTHER when it is no commune of the file, else its code."""
    if not text or not text.strip():
        return None
    found = find(text)
    return found.code if found else OTHER


def official(text: str) -> str:
    """The commune's official name when it is known (« dijon » → « Dijon »), else as typed."""
    found = find(text) if text.strip() else None
    return found.name if found else text


def label(code: str | None) -> str | None:
    """The report's name for a code: the commune's name, « Autre commune », None if not given."""
    if code is None:
        return None
    found = _by_code().get(code)
    return found.name if found else OTHER_LABEL


def home_department() -> list[str]:
    """The names offered as the form's suggestions: Côte-d'Or's communes, alphabetical."""
    names = {c.name for c in communes() if c.department == HOME_DEPARTMENT}
    return sorted(names, key=normalise_key)
