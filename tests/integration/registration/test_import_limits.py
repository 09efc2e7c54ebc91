"""Files that used to hold the service or answer 500: each gets a French answer within the
limits, memory stays bounded, and the service keeps answering during an import."""

from __future__ import annotations

import io
import threading
import tracemalloc
import zipfile

import httpx
import pytest

from services.registration.entrypoints.http import create_app
from services.registration.service_layer.importing import import_file
from shared.formats.participants import MAX_ROWS
from shared.french import french_number
from tests.integration.registration.conftest import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    EDITION,
    csrf_token,
    participant_rows,
)
from tests.support.notifier import HttpServer
from tests.unit.formats.spreadsheets import FRENCH_HEADER, realistic_rows, to_csv, to_xlsx

SHEET = "xl/worksheets/sheet1.xml"


def _messages(report) -> list[str]:
    return [str(issue) for issue in report.errors]


def _rewrite_sheet(xlsx: bytes, sheet: bytes | None = None, padding: int = 0) -> bytes:
    """The same workbook with its first sheet replaced, or padded with `padding` bytes of
    blanks (an XML bomb: it compresses a thousandfold)."""
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            if member.filename != SHEET:
                target.writestr(member, source.read(member))
                continue
            with target.open(SHEET, "w", force_zip64=True) as stream:
                body = sheet if sheet is not None else source.read(member)
                head, _, tail = body.partition(b"<sheetData>")
                stream.write(head + b"<sheetData>")
                chunk = b" " * (1024 * 1024)
                for _ in range(padding // len(chunk)):
                    stream.write(chunk)
                stream.write(tail)
    return out.getvalue()


def test_a_hundred_thousand_rows_are_refused_before_they_are_parsed(kit):
    short = [["porteur", "A", "B", f"p{n}@exemple.fr"] for n in range(100_000)]
    data = to_csv([FRENCH_HEADER, *short], sep=";")
    assert len(data) < 5 * 1024 * 1024
    report = import_file(kit, EDITION, data, "enorme.csv", dry_run=True)
    assert _messages(report) == [
        f"ligne {MAX_ROWS + 2} : le fichier a plus de {french_number(MAX_ROWS)} participants : "
        "rien n'a été lu"
    ]
    heavy = b"x" * (5 * 1024 * 1024 + 1)
    [message] = _messages(import_file(kit, EDITION, heavy, "lourd.csv", dry_run=True))
    assert message == "ligne 1 : le fichier dépasse 5 Mo : rien n'a été lu"
    assert participant_rows(kit) == []


def test_an_xlsx_bomb_is_refused_with_bounded_memory(kit):
    bomb = _rewrite_sheet(to_xlsx(realistic_rows(holders=2, experts=1)), padding=200 * 1024 * 1024)
    assert len(bomb) < 1024 * 1024  # under a megabyte, 200 MB unpacked
    tracemalloc.start()
    report = import_file(kit, EDITION, bomb, "bombe.xlsx", dry_run=True)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert _messages(report) == [
        "ligne 1 : le classeur décompressé dépasse 50 Mo : rien n'a été lu"
    ]
    assert peak < 20 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB"


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        (
            "champ.csv",
            to_csv([FRENCH_HEADER, ["porteur", "A" * 200_000, "B", "a@b.fr"]]),
            "ligne 2 : cellule de plus de 2\u202f000 caractères ou guillemet non refermé",
        ),
        (
            "cellule.csv",
            to_csv([FRENCH_HEADER, ["porteur", "A" * 3_000, "B", "a@b.fr"]]),
            "ligne 2 : une cellule dépasse 2\u202f000 caractères : rien n'a été lu",
        ),
        (
            "malforme.xlsx",
            _rewrite_sheet(to_xlsx([FRENCH_HEADER]), sheet=b"<worksheet><sheetData><row>"),
            "ligne 1 : classeur .xlsx illisible",
        ),
        (
            "reference.xlsx",
            _rewrite_sheet(
                to_xlsx([FRENCH_HEADER]),
                sheet=(
                    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                    b'<sheetData><row r="1"><c r="ZZZZZZ1" t="inlineStr"><is><t>x</t></is></c>'
                    b"</row></sheetData></worksheet>"
                ),
            ),
            "ligne 1 : classeur .xlsx illisible",
        ),
    ],
)
def test_files_that_answered_500_get_a_french_error(kit, name, data, expected):
    report = import_file(kit, EDITION, data, name, dry_run=True)
    assert _messages(report) == [expected]


@pytest.fixture
def server(kit):
    from services.registration.service_layer.admins import create_admin

    create_admin(kit, ADMIN_EMAIL, ADMIN_PASSWORD)
    running = HttpServer(create_app(kit))
    running.start()
    yield running
    running.stop()


def _logged_in(url: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=url, timeout=60)
    page = client.get("/admin/login")
    client.post(
        "/admin/login",
        data={
            "csrf_token": csrf_token(page.text),
            "email": ADMIN_EMAIL,
            "password": ADMIN_PASSWORD,
        },
    )
    page = client.get("/admin/import")
    assert page.status_code == 200, page.text[:200]
    return client, csrf_token(page.text)


def test_a_file_of_errors_shows_the_first_fifty_and_the_service_answers_meanwhile(server):
    client, token = _logged_in(server.url)
    bad = [["porteur", "A", "B", f"pas-une-adresse-{n}", *[""] * 12] for n in range(4_000)]
    data = to_csv([FRENCH_HEADER, *bad])
    answered: dict[str, object] = {}

    def upload() -> None:
        answered["page"] = client.post(
            "/admin/import",
            data={"csrf_token": token, "edition": EDITION, "action": "verifier"},
            files={"fichier": ("erreurs.csv", data, "text/csv")},
        )

    importing = threading.Thread(target=upload)
    importing.start()
    health = httpx.Client(base_url=server.url, timeout=5)
    during = []
    while importing.is_alive():
        during.append(health.get("/healthz").status_code)
    importing.join()
    health.close()
    page = answered["page"]
    assert page.status_code == 422
    assert page.text.count("<tr><td>") == 50
    assert "… et 3\u202f950 autres erreurs" in page.text
    assert len(page.content) < 100_000
    assert during and set(during) == {200}  # the service kept answering while it ran
    too_heavy = client.post(
        "/admin/import",
        data={"csrf_token": token, "edition": EDITION, "action": "verifier"},
        files={"fichier": ("lourd.csv", b"x" * (6 * 1024 * 1024), "text/csv")},
    )
    assert too_heavy.status_code == 413 and "Fichier trop lourd : 5 Mo au plus." in too_heavy.text
    client.close()
