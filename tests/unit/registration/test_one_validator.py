"""The public form and the participants file judge a participant by the same rules: generated
participants, with valid and invalid values in every field, are accepted by both paths or
refused by both, on the same fields; accepted, they become the same profile."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.registration.domain.importing import profile_from_row
from services.registration.domain.model import InvalidProfile, Profile, parse_profile
from shared.edition import default_edition
from shared.formats.participants import parse_participants
from shared.vocabulary import Role, forms_for

EDITION = default_edition()

LETTERS = st.text(alphabet="abcdeéèçkLMNOÉ-' ", min_size=1, max_size=20).filter(str.strip)


def one_line(limit: int) -> tuple[st.SearchStrategy[str], st.SearchStrategy[str]]:
    """A required one-line text: fine; or too long, or with a line break or a control character."""
    return LETTERS, st.one_of(
        LETTERS.map(lambda s: (s.strip() + "x" * limit)[: limit + 5]),
        st.tuples(LETTERS, st.sampled_from("\t\n\r\x0b\x00\u2028"), LETTERS).map("".join),
    )


def values(valid: list[str], invalid: list[str]) -> tuple[st.SearchStrategy[str], ...]:
    return st.sampled_from(valid), st.sampled_from(invalid)


def lists(
    valid: list[str], invalid: list[str], min_size: int = 0
) -> tuple[st.SearchStrategy[list[str]], st.SearchStrategy[list[str]]]:
    good = st.lists(st.sampled_from(valid), min_size=min_size, max_size=3)
    bad = st.tuples(good, st.sampled_from(invalid)).map(lambda t: [*t[0], t[1]])
    return good, bad


def legal_forms(role: Role) -> tuple[st.SearchStrategy[str], st.SearchStrategy[str]]:
    own, other = forms_for(role), forms_for(Role.EXPERT if role is Role.HOLDER else Role.HOLDER)
    loose = [c.upper() for c in own] + [label.lower().replace(" ", "_") for label in own.values()]
    foreign = [label for code, label in other.items() if code not in own]
    return values([*own, *own.values(), *loose], [*foreign, "SARL", "inconnue"])


TAGS = [t.code for t in EDITION.tags] + [t.label for t in EDITION.tags]
RULES = {  # field -> (valid values, invalid values), for a holder; an expert's are adjusted
    "prenom": one_line(100),
    "nom": one_line(100),
    "structure": one_line(200),
    "commune": one_line(100),
    "email": values(
        ["camille@exemple.fr", " Camille.Durand@Exemple.FR ", "c+rdv@asso.example"],
        ["pas-une-adresse", "a@b", "a@@b.fr", "x y@z.fr", "a@exemple.fr\tb", ""],
    ),
    "telephone": values(
        ["", "03 80 00 00 00", "+33 3 80 00 00 00", "(03) 80.00.00.00"], ["abc", "12", "0" * 31]
    ),
    "stade": values(["creation", "Développement", "DEVELOPPEMENT"], ["amorçage", "x"]),
    "thematiques": lists(TAGS, ["RSE", "mécénat ?"], min_size=1),
    "conferences": lists(["matin", "Après-midi", "conference-matin"], ["soir", "journee"]),
    "disponibilite": values(
        ["", "journee", "Journée", "matin", "Le matin", "apres midi"], ["nuit", "morning"]
    ),
    "rdv_max": values(
        ["", "0", "1", "4", "30", " 7 "],
        ["31", "-1", "abc", "3_0", "+3", "٣", "4.5", "1000000"],
    ),
    "repas": values(["", "oui", "non", "yes", "no", "Oui"], ["peut-être", "2"]),
}
# Wishes have no wrong value (a name that matches nobody is a warning); their length is bounded
# as a file's cells are (2,000 characters), which the file reader reports for the whole file.
WISHES = st.lists(st.sampled_from(["Banque Éthique", "e@x.example", "Asso"]), max_size=2)


@st.composite
def participants(draw: st.DrawFn) -> tuple[Role, dict[str, str | list[str]]]:
    """A participant as a form would post it, with up to two fields given a bad value. Every
    field a form requires is filled (the file requires fewer: that is the channels' choice,
    tested below, not a rule of the values)."""
    role = draw(st.sampled_from(Role))
    rules: dict[str, tuple[st.SearchStrategy, st.SearchStrategy]] = {
        **RULES,
        "forme": legal_forms(role),
    }
    if role is Role.EXPERT:  # optional for an expert; a stage is ignored, whatever it says
        rules["commune"] = (st.just("") | LETTERS, RULES["commune"][1])
        stage = st.one_of(*RULES["stade"])
        rules["stade"] = (stage, stage)
    broken = draw(st.sets(st.sampled_from(sorted(rules)), max_size=2))
    fields: dict[str, str | list[str]] = {
        name: draw(bad if name in broken else good) for name, (good, bad) in rules.items()
    }
    fields["souhaits"] = draw(WISHES)
    return role, fields


def as_file(role: Role, fields: dict[str, str | list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["role", *fields])
    writer.writerow(
        [role.value, *(v if isinstance(v, str) else ";".join(v) for v in fields.values())]
    )
    return out.getvalue().encode()


def by_form(role: Role, fields: dict[str, str | list[str]]) -> Profile | set[str]:
    try:
        return parse_profile(role, fields, EDITION)
    except InvalidProfile as exc:
        return set(exc.errors)


def by_file(role: Role, fields: dict[str, str | list[str]]) -> Profile | set[str]:
    result = parse_participants(as_file(role, fields), "participants.csv", EDITION)
    if not result.ok:
        return {e.column for e in result.errors}
    (row,) = result.rows
    return profile_from_row(row)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(participants())
def test_the_form_and_the_file_accept_and_refuse_the_same_participants(participant) -> None:
    role, fields = participant
    form, file = by_form(role, fields), by_file(role, fields)
    # Refused: by both, blaming the same fields. Accepted: the same profile, codes and all.
    assert form == file


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("telephone", "abc"),
        ("rdv_max", "31"),
        ("rdv_max", "3_0"),
        ("prenom", "x" * 101),
        ("prenom", "Jean\tPierre"),
        ("forme", "banque"),  # an expert's organisation type, not a legal form
    ],
)
def test_what_the_file_accepted_before_and_a_form_never_did_is_refused(field, value) -> None:
    fields: dict[str, str | list[str]] = {
        "prenom": "Camille", "nom": "Durand", "structure": "Asso", "email": "c@asso.example",
        "forme": "SCOP", "commune": "Dijon", "stade": "creation", "thematiques": ["mecenat"],
    }  # fmt: skip
    assert isinstance(by_file(Role.HOLDER, fields), Profile)
    fields[field] = value
    assert by_form(Role.HOLDER, fields) == by_file(Role.HOLDER, fields) == {field}


def test_a_file_still_needs_only_a_role_and_an_email() -> None:
    """`rencontres plan` and the import read files with only these columns; a form asks for a
    whole profile: the requirement differs, the rules of the values do not."""
    result = parse_participants(b"role;email\nexpert;e@x.example\n", "p.csv", EDITION)
    assert result.ok and result.rows[0].max_meetings is None
    assert by_form(Role.EXPERT, {"email": "e@x.example"}) == {
        "prenom", "nom", "structure", "forme", "thematiques",
    }  # fmt: skip
