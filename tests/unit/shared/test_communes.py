"""The communes list: what participants type becomes an INSEE code, and the report names it."""

from __future__ import annotations

import re

import pytest

from shared import communes
from shared.communes import CODE_PATTERN, OTHER, OTHER_LABEL, code_for, label, official


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("Dijon", "21231"),
        ("  DIJON ", "21231"),
        ("dijon", "21231"),
        ("21000 Dijon", "21231"),
        ("Dijon 21000", "21231"),
        ("Chenove", "21166"),
        ("St-Apollinaire", "21540"),
        ("saint apollinaire", "21540"),
        ("Beaune (21)", "21054"),
        ("Mâcon (71)", "71270"),
        ("Chalon-sur-Saône", "71076"),
    ],
)
def test_what_people_type_finds_the_commune(typed: str, code: str):
    assert code_for(typed) == code


def test_a_homonym_is_the_home_department_s_unless_the_department_is_said():
    # Saint-Aubin is a commune of Aube, of Côte-d'Or and of Jura.
    assert code_for("Saint-Aubin") == "21541"
    assert code_for("Saint-Aubin (39)") == "39476" and code_for("10190 Saint-Aubin") == "10334"
    assert code_for("Saint-Aubin (75)") == OTHER


def test_unknown_and_empty():
    assert code_for("Paris") == OTHER and code_for("Je suis Marie, 06 12 34 56 78") == OTHER
    assert code_for("") is None and code_for("   ") is None and code_for(None) is None
    assert label(OTHER) == OTHER_LABEL and label("99999") == OTHER_LABEL and label(None) is None
    assert label("21231") == "Dijon"
    assert official("dijon") == "Dijon" and official("Paris") == "Paris"


def test_the_file_is_the_home_department_and_its_neighbours_with_valid_codes():
    codes = [c.code for c in communes.communes()]
    assert len(codes) == len(set(codes)) > 3000
    assert all(re.match(CODE_PATTERN, code) for code in codes)
    assert {c[:2] for c in codes} == {"21", "10", "39", "52", "58", "70", "71", "89"}
    assert len(communes.home_department()) == sum(1 for c in codes if c.startswith("21"))
    readme = (communes.DATA.parent / "README.md").read_text()
    assert "Licence Ouverte" in readme and "Code officiel géographique" in readme
