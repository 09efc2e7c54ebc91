"""The schedule for people, as XLSX and as a CSV for a French spreadsheet, read back through
the real HTTP client; the offline file of docs/formats.md stays as tools read it."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from services.scheduler.adapters.registration import RegistrationClient
from services.scheduler.entrypoints.http import create_app
from services.scheduler.service_layer.exports import PEOPLE_HEADER
from shared.formats.schedule import HEADER
from tests.integration.scheduler.conftest import TOKEN
from tests.support.browser import download_exports
from tests.support.notifier import HttpServer
from tests.support.scheduler import Harness, SmallDay, small_day
from tests.support.servers import free_port
from tests.support.spreadsheets import (
    FRENCH_CSV_FILTER,
    NO_SOFFICE,
    SOFFICE,
    csv_cells,
    quoted,
    soffice_convert,
    xlsx_cells,
)
from tests.support.web import admin_cookie

XLSX = "/admin/planning/planning.xlsx"
FRENCH_CSV = "/admin/planning/planning-tableur.csv"
# What people type: accents, French quotes, a `;` and straight quotes, a formula.
ACCENTED = "Épicerie « Là-Haut » & Cie"
AWKWARD_NAME = 'Dupont; dit "Jo"'
FORMULA = '=HYPERLINK("http://evil.example/x","clic")'


@pytest.fixture
def day(harness: Harness) -> SmallDay:
    d = small_day(harness)
    people = harness.registration.people
    people[str(d.experts[0])].update(first_name="Émilie", organisation=ACCENTED)
    people[str(d.holders[0])].update(last_name=AWKWARD_NAME)
    people[str(d.holders[1])].update(organisation=FORMULA)
    return d


@pytest.fixture
def client(harness: Harness) -> Iterator[TestClient]:
    yield TestClient(create_app(harness.app), headers={"Authorization": f"Bearer {TOKEN}"})


def _publish(client: TestClient) -> list[dict]:
    assert client.post("/api/schedule/plan").status_code == 200
    assert client.post("/api/schedule/publish").status_code == 200
    return client.get("/api/schedule").json()["appointments"]


def _expected(harness: Harness, appointment: dict) -> tuple[str, str, str, str]:
    people = harness.registration.people
    holder, expert = people[appointment["holder_id"]], people[appointment["expert_id"]]
    return (
        f"{holder['first_name']} {holder['last_name']}",
        holder["organisation"],
        f"{expert['first_name']} {expert['last_name']}",
        expert["organisation"],
    )


def test_xlsx_has_names_organisations_topics_and_status(harness, day, client):
    appointments = _publish(client)
    response = client.get(XLSX)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert 'filename="planning-2030.xlsx"' in response.headers["content-disposition"]
    rows = xlsx_cells(response.content)["Planning"]
    assert rows[0] == PEOPLE_HEADER
    body = rows[1:]
    assert len(body) == len(appointments)
    # Real times, sorted by start then table, shown as HH:MM.
    assert all(isinstance(r[0], dt.time) and isinstance(r[1], dt.time) for r in body)
    assert [(r[0], r[2]) for r in body] == sorted((r[0], r[2]) for r in body)
    assert body[0][0] == dt.time(10, 0) and body[0][1] == dt.time(10, 30)
    sheet = load_workbook(io.BytesIO(response.content))["Planning"]
    assert sheet["A2"].number_format == "HH:MM" and sheet["A1"].font.b
    # Each meeting's people, named as registration knows them, the accents intact.
    expected = [tuple(quoted(v) for v in _expected(harness, a)) for a in appointments]
    assert sorted(tuple(r[3:7]) for r in body) == sorted(expected)
    assert any(r[6] == ACCENTED and r[5].startswith("Émilie ") for r in body)
    assert any(r[3] == f"Camille {AWKWARD_NAME}" for r in body)
    # The formula-shaped organisation is text, with the `'` a spreadsheet shows as nothing.
    assert any(r[4] == "'" + FORMULA for r in body)
    # Topics are the edition's French labels; every meeting here covers a need.
    labels = {"Mécénat", "Business plan", "Financement de projet", "Budget prévisionnel"}
    labels |= {"Mise en relation bancaire", "Financement participatif"}
    assert all(r[7] and set(r[7].split("; ")) <= labels for r in body)
    assert {r[8] for r in body} == {"Publié"}
    assert all(r[2].startswith("T") and len(r[2]) == 3 for r in body)


def test_french_csv_opens_in_a_french_spreadsheet(harness, day, client):
    _publish(client)
    response = client.get(FRENCH_CSV)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="planning-2030-tableur.csv"' in response.headers["content-disposition"]
    raw = response.content
    assert raw.startswith("\ufeff".encode())  # the BOM: Excel reads UTF-8
    text = raw.decode("utf-8-sig")
    assert text.count("\r\n") == text.count("\n")  # every line ends with CRLF
    assert text.splitlines()[0] == ";".join(PEOPLE_HEADER)
    # A `;` or a quote in a name is quoted as CSV requires, so the columns hold.
    assert '"Camille Dupont; dit ""Jo"""' in text
    assert ACCENTED in text and "Émilie" in text
    cells = csv_cells(text, delimiter=";")  # also checks that no cell would run
    assert all(len(row) == len(PEOPLE_HEADER) for row in cells)
    # The same table as the XLSX, times written as a French spreadsheet reads them.
    sheet = xlsx_cells(client.get(XLSX).content)["Planning"]
    as_text = [[v.strftime("%H:%M") if isinstance(v, dt.time) else v for v in row] for row in sheet]
    assert cells == as_text
    assert cells[1][0] == "10:00"


def test_a_draft_and_a_locked_meeting_say_so(harness, day, client):
    assert client.post("/api/schedule/plan").status_code == 200
    first = client.get("/api/schedule").json()["appointments"][0]
    locked = client.post(
        f"/api/schedule/appointments/{first['appointment_id']}/lock", json={"locked": True}
    )
    assert locked.status_code == 204
    rows = xlsx_cells(client.get(XLSX).content)["Planning"][1:]
    statuses = [r[8] for r in rows]
    assert statuses.count("Brouillon (non publié), verrouillé") == 1
    assert set(statuses) == {"Brouillon (non publié)", "Brouillon (non publié), verrouillé"}


def test_nothing_planned_gives_the_header_alone(harness, client):
    assert xlsx_cells(client.get(XLSX).content)["Planning"] == [PEOPLE_HEADER]
    text = client.get(FRENCH_CSV).content.decode("utf-8-sig")
    assert text == ";".join(PEOPLE_HEADER) + "\r\n"


def test_offline_file_keeps_its_format(harness, day, client):
    _publish(client)
    raw = client.get("/admin/planning/export.csv").content
    assert not raw.startswith("\ufeff".encode())
    text = raw.decode("utf-8")
    assert text.splitlines()[0] == ",".join(HEADER)
    assert "\r\n" not in text
    assert "Camille" not in text and "Émilie" not in text  # no names: tools need none


def test_registration_down_is_a_french_error(harness, day, client):
    _publish(client)
    harness.app.directory = RegistrationClient(f"http://127.0.0.1:{free_port()}", TOKEN, 1.0)
    for url in (XLSX, FRENCH_CSV):
        answer = client.get(url, headers={"Accept": "text/html"})
        assert answer.status_code == 503
        assert "Les inscriptions ne répondent pas" in answer.text


def test_planning_page_links_the_exports(harness, day, client):
    assert "Planning (Excel)" not in client.get("/admin/planning").text
    _publish(client)
    page = client.get("/admin/planning").text
    assert f'href="{XLSX}">Planning (Excel)</a>' in page
    assert f'href="{FRENCH_CSV}">Planning (CSV pour tableur)</a>' in page
    assert 'href="/admin/planning/export.csv"' in page


@pytest.mark.skipif(SOFFICE is None, reason=NO_SOFFICE)
def test_libreoffice_reads_columns_and_accents(harness, day, client, tmp_path: Path):
    _publish(client)
    source_csv = tmp_path / "planning-tableur.csv"
    source_csv.write_bytes(client.get(FRENCH_CSV).content)
    source_xlsx = tmp_path / "planning.xlsx"
    source_xlsx.write_bytes(client.get(XLSX).content)
    # The CSV as LibreOffice Calc reads it, saved as a workbook.
    from_csv = load_workbook(soffice_convert(source_csv, "xlsx", FRENCH_CSV_FILTER)).active
    assert from_csv is not None
    rows = [[c or "" for c in row] for row in from_csv.iter_rows(values_only=True)]
    assert tuple(rows[0]) == PEOPLE_HEADER
    assert all(len(r) == len(PEOPLE_HEADER) for r in rows)
    assert any(r[6] == ACCENTED for r in rows)
    assert any(r[3] == f"Camille {AWKWARD_NAME}" for r in rows)
    # The workbook as LibreOffice Calc reads it, saved as a `;` UTF-8 CSV.
    converted = soffice_convert(source_xlsx, "csv:Text - txt - csv (StarCalc):59,34,76")
    back = list(csv.reader(io.StringIO(converted.read_text("utf-8-sig")), delimiter=";"))
    assert tuple(back[0]) == PEOPLE_HEADER
    assert all(len(r) == len(PEOPLE_HEADER) for r in back)
    assert any(r[6] == ACCENTED for r in back) and back[1][0] == "10:00"


def test_operator_downloads_both_files_from_the_planning_page(
    harness: Harness, day: SmallDay, client: TestClient, chromium_browser: Any, tmp_path: Path
):
    _publish(client)
    server = HttpServer(create_app(harness.app))
    server.start()
    try:
        text, files = download_exports(
            chromium_browser,
            f"{server.url}/admin/planning",
            admin_cookie(harness.app.kit.settings),
            ("Planning (Excel)", "Planning (CSV pour tableur)"),
            tmp_path / "planning-exports.png",
        )
    finally:
        server.stop()
    assert "Exporter le planning publié" in text
    assert set(files) == {"planning-2030.xlsx", "planning-2030-tableur.csv"}
    sheet = xlsx_cells(files["planning-2030.xlsx"])["Planning"]
    assert sheet[0] == PEOPLE_HEADER and len(sheet) > 1
    assert files["planning-2030-tableur.csv"].startswith("\ufeff".encode())
