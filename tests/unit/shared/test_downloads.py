import pytest

from shared.web.downloads import attachment, content_disposition, inline


def test_a_plain_name_is_one_quoted_filename() -> None:
    assert attachment("planning-2026.csv") == {
        "Content-Disposition": 'attachment; filename="planning-2026.csv"'
    }
    assert inline("mon-agenda.pdf") == {"Content-Disposition": 'inline; filename="mon-agenda.pdf"'}


def test_an_accented_name_gets_an_ascii_fallback_and_its_utf8_form() -> None:
    assert content_disposition("évaluation 2026.xlsx") == (
        'attachment; filename="evaluation_2026.xlsx"; '
        "filename*=UTF-8''%C3%A9valuation%202026.xlsx"
    )


@pytest.mark.parametrize(
    "name", ['a"b.csv', "a\r\nSet-Cookie: x=1.csv", "a;b.csv", "a\\b/../c.csv", "\x00\x7f.csv"]
)
def test_no_name_breaks_the_header(name: str) -> None:
    header = content_disposition(name)
    for bad in ("\r", "\n", "\\", "\x00", "\x7f"):
        assert bad not in header
    assert header.count('"') == 2 and header.count(";") <= 2
    fallback = header.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback and ";" not in fallback and "/" not in fallback


def test_an_empty_name_still_names_a_file() -> None:
    assert content_disposition('"";') == 'attachment; filename="fichier"'
