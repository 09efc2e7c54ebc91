from shared.edition import HalfDay, default_edition
from shared.formats.pairs import RequiredMeeting, parse_pairs
from shared.formats.participants import parse_participants
from tests.unit.formats.spreadsheets import to_csv, to_xlsx

PEOPLE = parse_participants(
    to_csv(
        [
            ["role", "email", "structure"],
            ["expert", "e1@x.example", "Banque Éthique"],
            ["expert", "e2@x.example", "France Active"],
            ["expert", "e3@x.example", "France Active"],
            ["porteur", "h1@x.example", "Asso Un"],
            ["porteur", "h2@x.example", "Asso Deux"],
        ]
    ),
    "p.csv",
    default_edition(),
).rows


def parse(rows: list[list[str]], name: str = "paires.csv"):
    data = to_xlsx(rows) if name.endswith(".xlsx") else to_csv(rows)
    return parse_pairs(data, name, PEOPLE)


def test_pairs_in_either_order_with_or_without_header_and_half_day() -> None:
    rows = [
        ["h1@x.example", "banque ethique", ""],
        ["E2@x.example", "asso deux", "Après-midi"],
        ["h1@x.example", "e1@x.example", "matin"],  # the same pair again, now in the morning
    ]
    expected = (
        RequiredMeeting("h1@x.example", "e1@x.example", HalfDay.MORNING, 3),
        RequiredMeeting("h2@x.example", "e2@x.example", HalfDay.AFTERNOON, 2),
    )
    plain = parse(rows)
    assert plain.ok, plain.errors
    assert plain.pairs == expected
    with_header = parse([["porteur", "expert", "demi-journée"], *rows], "paires.xlsx")
    assert with_header.ok, with_header.errors
    assert [(p.holder_email, p.expert_email, p.half_day) for p in with_header.pairs] == [
        (p.holder_email, p.expert_email, p.half_day) for p in expected
    ]


def test_every_bad_row_is_listed_and_nothing_is_kept() -> None:
    result = parse(
        [
            ["h1@x.example", "inconnu@x.example"],
            ["h1@x.example", "h2@x.example"],
            ["h2@x.example", "France Active"],
            ["h2@x.example", "e1@x.example", "soir"],
            ["h2@x.example"],
            ["h1@x.example", "e1@x.example", "matin"],
            ["h1@x.example", "e1@x.example", "apres-midi"],
        ]
    )
    assert not result.ok and result.pairs == ()
    messages = [str(e) for e in result.errors]
    assert messages == [
        "ligne 1, colonne « colonne 2 » : « inconnu@x.example » ne correspond à aucun "
        "participant du fichier",
        "ligne 2 : il faut un porteur et un expert, pas deux porteurs",
        "ligne 3, colonne « colonne 2 » : « France Active » désigne 2 participants "
        "(e2@x.example, e3@x.example) : indiquez l'adresse email",
        "ligne 4, colonne « demi_journee » : demi-journée « soir » inconnue : attendu matin, "
        "apres-midi ou rien",
        "ligne 5, colonne « colonne 2 » : il faut deux colonnes : un porteur et un expert",
        "ligne 7, colonne « demi_journee » : ce rendez-vous est déjà imposé ligne 6 (matin) : "
        "une seule demi-journée par paire",
    ]
