"""The operator's guide (docs/guide/) names buttons and links as the back-office shows them,
and its links lead somewhere: a renamed button or a moved page fails here, not in front of the
operator."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "guide"
PAGES = sorted(GUIDE.glob("*.md"))

# Where the back-office's words live: its templates and the code that builds its messages.
SOURCES = "\n".join(
    p.read_text(encoding="utf-8")
    for folder in ("services", "shared")
    for p in (ROOT / folder).rglob("*")
    if p.suffix in (".html", ".py") and "tests" not in p.parts
)

# A label the guide quotes as the operator sees it: **« Publier ce brouillon… »**.
LABEL = re.compile(r"\*\*« (.+?) »\*\*")
LINK = re.compile(r"\]\(([^)#]+\.md)(?:#[^)]*)?\)")


def labels(page: Path) -> list[str]:
    return LABEL.findall(page.read_text(encoding="utf-8").replace("\n", " "))


def test_the_guide_has_its_pages():
    names = {p.name for p in PAGES}
    assert {
        "README.md",
        "preparer-edition.md",
        "inscriptions.md",
        "planning.md",
        "jour-j.md",
        "questionnaires.md",
        "rapport.md",
        "emails.md",
        "donnees-personnelles.md",
    } <= names
    for page in PAGES:
        assert len(page.read_text(encoding="utf-8").splitlines()) <= 130, page.name


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_quoted_label_is_in_the_back_office(page: Path):
    missing = []
    for label in labels(page):
        # « Voir les … échecs »: a figure in the middle; each fixed part must be there.
        parts = [p.strip() for p in label.split(" … ")] if " … " in label else [label]
        missing += [label for part in parts if part.rstrip(" …") not in SOURCES]
    assert not missing, f"{page.name}: not in any template or message: {missing}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_link_of_the_guide_leads_to_a_file(page: Path):
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        assert (page.parent / target).resolve().is_file(), f"{page.name}: {target}"


def test_the_guide_is_linked_from_the_readme_and_the_operations_page():
    assert "docs/guide/README.md" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert "guide/README.md" in (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
