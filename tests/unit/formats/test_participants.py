import pytest

from shared.edition import Availability, HalfDay, default_edition
from shared.formats.participants import Issue, Role, Stage, parse_participants
from tests.unit.formats.spreadsheets import FRENCH_HEADER, realistic_rows, to_csv, to_xlsx

EDITION = default_edition()

HEADER = [
    "Rôle",
    "Prénom",
    "Nom",
    "Email",
    "Structure",
    "Forme",
    "Stade",
    "Thématiques",
    "Souhaits",
    "Refus",
    "Conférences",
    "Disponibilité",
    "rdv_max",
    "Repas",
]
EXPERT = [
    "expert",
    "Élise",
    "Dupré",
    " Elise@Fondation.Example ",
    "Fondation Crédit Coopératif",
    "fondation",
    "",
    "Mécénat; financement-participatif",
    "",
    "",
    "Matin",
    "Après-midi",
    "",
    "non",
]
HOLDER = [
    "Porteur",
    "Loïc",
    "Bérard",
    "loic@asso.example",
    "La Ressourcerie",
    "Coopérative",
    "Création",
    "Budget prévisionnel;MÉCÉNAT;budget-previsionnel",
    "fondation credit cooperatif",
    "",
    "matin;apres-midi",
    "",
    "3",
    "Oui",
]


def parse(rows: list[list[str]], **kwargs: object):
    return parse_participants(to_csv(rows, **kwargs), "participants.csv", EDITION)


@pytest.mark.parametrize(
    "encode",
    [
        lambda rows: ("p.csv", to_csv(rows, sep=";", bom=True, crlf=True)),
        lambda rows: ("p.csv", to_csv(rows, sep=",", bom=False, crlf=False)),
        lambda rows: ("p.xlsx", to_xlsx(rows)),
    ],
    ids=["semicolon-bom-crlf", "comma-lf", "xlsx"],
)
def test_spreadsheet_variants_give_the_same_rows(encode) -> None:
    name, data = encode([HEADER, EXPERT, HOLDER])
    result = parse_participants(data, name, EDITION)
    assert result.ok, result.errors
    expert, holder = result.rows
    assert expert.role is Role.EXPERT
    assert expert.email == "elise@fondation.example"
    assert expert.kind == "fondation"
    assert expert.tags == ("mecenat", "financement-participatif")
    assert expert.sessions == frozenset({HalfDay.MORNING})
    assert expert.availability is Availability.AFTERNOON
    assert expert.max_meetings is None
    assert expert.lunch is False
    assert expert.first_name == "Élise"
    assert holder.role is Role.HOLDER
    assert holder.line == 3
    assert holder.kind == "cooperative"  # the vocabulary's code, as the form stores it
    assert holder.stage is Stage.CREATION
    assert holder.tags == ("budget-previsionnel", "mecenat")  # priority kept, duplicate dropped
    assert holder.sessions == frozenset(HalfDay)
    assert holder.availability is Availability.DAY
    assert holder.max_meetings == 3
    assert holder.lunch is True
    assert holder.wants_emails == ("elise@fondation.example",)
    assert result.warnings == ()


def test_xlsx_numbers_and_english_headers() -> None:
    rows: list[list[object]] = [
        ["role", "email", "organisation", "kind", "tags", "max_meetings", "availability"],
        ["holder", "a@asso.example", "Asso", "association", "mecenat", 2, "morning"],
    ]
    result = parse_participants(to_xlsx(rows), "p.xlsx", EDITION)
    assert not result.ok
    assert result.errors == (
        Issue(
            2,
            "availability",
            "disponibilité « morning » inconnue : attendu journee, matin ou apres-midi",
        ),
    )
    rows[1][-1] = "matin"
    result = parse_participants(to_xlsx(rows), "p.xlsx", EDITION)
    assert result.ok
    assert result.rows[0].max_meetings == 2
    assert result.rows[0].availability is Availability.MORNING


def test_defaults_unknown_columns_and_empty_rows() -> None:
    rows = [
        ["role", "email", "couleur"],
        ["porteur", "a@x.example", "bleu"],
        ["", "", ""],
        ["expert", "b@x.example", ""],
    ]
    result = parse(rows)
    assert result.ok
    assert [r.line for r in result.rows] == [2, 4]
    assert result.rows[0].max_meetings == EDITION.holder_max_meetings
    assert result.rows[1].max_meetings is None
    assert result.rows[0].availability is Availability.DAY
    assert result.warnings == (Issue(1, "couleur", "colonne inconnue, ignorée"),)


def test_every_bad_row_is_listed_with_line_column_and_reason() -> None:
    rows = [
        [
            "role",
            "email",
            "forme",
            "stade",
            "thematiques",
            "conferences",
            "disponibilite",
            "rdv_max",
            "repas",
            "structure",
        ],
        ["visiteur", "a@x.example", "", "", "", "", "", "", "", ""],
        ["porteur", "", "", "", "", "", "", "", "", ""],
        ["porteur", "pas-une-adresse", "", "", "", "", "", "", "", ""],
        ["porteur", "b@x.example", "banque", "", "", "", "", "", "", ""],
        ["porteur", "c@x.example", "", "amorçage", "", "", "", "", "", ""],
        ["porteur", "d@x.example", "", "", "mécénat;RSE", "", "", "", "", ""],
        ["expert", "e@x.example", "", "", "", "soir", "", "", "", ""],
        ["expert", "f@x.example", "", "", "", "", "nuit", "", "", ""],
        ["expert", "g@x.example", "", "", "", "", "", "beaucoup", "", ""],
        ["expert", "h@x.example", "", "", "", "", "", "", "peut-être", ""],
        ["expert", "B@x.example", "", "", "", "", "", "", "", ""],
        ["expert", "i@x.example", "", "", "", "", "", "", "", "Ligne 1\nLigne 2"],
        ["porteur", "j@x.example", "", "", "", "", "", "-1", "", ""],
        ["porteur", "k@x.example", "SCOP", "developpement", "mecenat", "", "", "4", "oui", "Bonne"],
    ]
    result = parse(rows)
    assert not result.ok
    assert result.rows == ()
    located = [(e.line, e.column) for e in result.errors]
    assert located == [
        (2, "role"),
        (3, "email"),
        (4, "email"),
        (5, "forme"),
        (6, "stade"),
        (7, "thematiques"),
        (8, "conferences"),
        (9, "disponibilite"),
        (10, "rdv_max"),
        (11, "repas"),
        (12, "email"),
        (13, "structure"),
        (14, "rdv_max"),
    ]
    messages = {e.line: e.message for e in result.errors}
    assert messages[2] == "rôle « visiteur » inconnu : attendu porteur ou expert"
    assert messages[3] == "adresse email obligatoire"
    assert "forme « banque » inconnue" in messages[5]
    assert "thématique « RSE » inconnue" in messages[7]
    assert messages[12] == "adresse déjà utilisée ligne 5 : b@x.example"
    assert messages[13] == "retour à la ligne interdit dans une cellule"
    assert str(result.errors[0]) == (
        "ligne 2, colonne « role » : rôle « visiteur » inconnu : attendu porteur ou expert"
    )


def test_missing_required_column() -> None:
    result = parse([["prenom", "nom"], ["A", "B"]])
    assert [(e.line, e.column, e.message) for e in result.errors] == [
        (1, "role", "colonne obligatoire absente"),
        (1, "email", "colonne obligatoire absente"),
    ]


def test_line_numbers_count_cells_with_quoted_line_breaks_as_one_row() -> None:
    rows = [
        ["role", "email", "structure"],
        ["expert", "a@x.example", "A\r\nB"],
        ["porteur", "oops", ""],
    ]
    result = parse(rows)
    assert [(e.line, e.column) for e in result.errors] == [(2, "structure"), (3, "email")]


def test_wishes_and_refusals_resolve_against_the_other_side() -> None:
    rows = [
        ["role", "email", "structure", "souhaits", "refus"],
        ["expert", "e1@x.example", "Banque Éthique", "", "h1@x.example"],
        ["expert", "e2@x.example", "banque ethique", "", ""],
        ["expert", "e3@x.example", "France Active", "Asso Inconnue", ""],
        ["porteur", "h1@x.example", "Asso Un", "BANQUE ETHIQUE; nobody@x.example", "France active"],
        ["porteur", "h2@x.example", "Asso Deux", "e1@x.example", ""],
    ]
    result = parse(rows)
    assert result.ok
    by_email = {r.email: r for r in result.rows}
    assert by_email["h1@x.example"].wants_emails == ("e1@x.example", "e2@x.example")
    assert by_email["h1@x.example"].refuses_emails == ("e3@x.example",)
    assert by_email["e1@x.example"].refuses_emails == ("h1@x.example",)
    assert [(w.line, w.column) for w in result.warnings] == [(4, "souhaits"), (5, "souhaits")]
    assert "« Asso Inconnue » ne correspond à aucun porteur" in result.warnings[0].message


def test_realistic_file_imports_cleanly_in_both_encodings() -> None:
    rows = realistic_rows(45, 15)
    semicolon = parse(rows)
    comma = parse(rows, sep=",", bom=False, crlf=False)
    xlsx = parse_participants(to_xlsx(rows), "p.xlsx", EDITION)
    assert semicolon.ok and comma.ok and xlsx.ok, semicolon.errors
    assert len(semicolon.rows) == 60
    assert semicolon.rows == comma.rows == xlsx.rows
    assert FRENCH_HEADER[0] == "role"


def test_windows_1252_file_is_read_with_a_warning() -> None:
    data = "role;email;structure\r\nexpert;a@x.example;Crédit\r\n".encode("cp1252")
    result = parse_participants(data, "p.csv", EDITION)
    assert result.ok
    assert result.rows[0].organisation == "Crédit"
    assert "Windows-1252" in result.warnings[0].message


def test_required_meetings_name_one_person_of_the_other_side_each() -> None:
    rows = [
        ["role", "email", "structure", "rdv_imposes"],
        ["expert", "e1@x.example", "Banque Éthique", ""],
        ["expert", "e2@x.example", "France Active", "h2@x.example"],
        ["expert", "e3@x.example", "France Active", ""],
        ["porteur", "h1@x.example", "Asso Un", "BANQUE ETHIQUE"],
        ["porteur", "h2@x.example", "Asso Deux", ""],
    ]
    result = parse(rows)
    assert result.ok, result.errors
    by_email = {r.email: r for r in result.rows}
    assert by_email["h1@x.example"].required_emails == ("e1@x.example",)
    assert by_email["e2@x.example"].required_emails == ("h2@x.example",)

    rows[4][3] = "France Active; nobody@x.example"
    result = parse(rows)
    assert not result.ok and result.rows == ()
    assert [str(e) for e in result.errors] == [
        "ligne 5, colonne « rdv_imposes » : « France Active » désigne 2 experts "
        "(e2@x.example, e3@x.example) : indiquez l'adresse email",
        "ligne 5, colonne « rdv_imposes » : « nobody@x.example » ne correspond à aucun "
        "expert inscrit",
    ]
