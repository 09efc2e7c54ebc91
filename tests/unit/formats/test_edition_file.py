import datetime as dt

import pytest

from shared.formats.edition_file import EditionFileError, parse_edition


def test_fields_override_the_action_sheet_defaults() -> None:
    edition = parse_edition(
        """
        date = 2026-11-19
        slot_minutes = 20
        tables = 12
        holder_max_meetings = 5

        [[windows]]
        start = 09:30:00
        end = "12:30"

        [[tags]]
        code = "rse"
        label = "Responsabilité sociétale"
        """
    )
    assert edition.edition_id == "2026"
    assert edition.date == dt.date(2026, 11, 19)
    assert edition.tables == 12
    assert edition.holder_max_meetings == 5
    assert [s.start.strftime("%H:%M") for s in edition.meeting_slots()] == [
        "09:30",
        "09:50",
        "10:10",
        "10:30",
        "10:50",
        "11:10",
        "11:30",
        "11:50",
        "12:10",
    ]
    assert edition.tag_code("Responsabilité Sociétale") == "rse"
    assert edition.conferences()[0].start == dt.time(11, 0)  # untouched default


def test_empty_file_is_the_action_sheet() -> None:
    edition = parse_edition("")
    assert len(edition.meeting_slots()) == 10
    assert edition.tables is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("slot_minutes = 5", "champ slot_minutes : doit valoir au moins 10"),
        ('date = "demain"', "champ date : date attendue (AAAA-MM-JJ)"),
        ("couleur = 'vert'", "champ inconnu : couleur"),
        ('tables = "beaucoup"', "champ tables : nombre entier attendu"),
        (
            '[[windows]]\nstart = "12:00"\nend = "11:00"',
            "champ windows.0 : l'heure de fin doit suivre l'heure de début",
        ),
    ],
)
def test_errors_are_french(text: str, message: str) -> None:
    with pytest.raises(EditionFileError) as caught:
        parse_edition(text)
    assert caught.value.problems == [message]


def test_syntax_error() -> None:
    with pytest.raises(EditionFileError, match="fichier TOML invalide"):
        parse_edition("date = ")
