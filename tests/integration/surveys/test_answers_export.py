"""Every questionnaire's answers, raw, as XLSX and as a CSV for a French spreadsheet: answered
through the real pages, read back through the real HTTP client."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.surveys.domain.defaults import DAY
from services.surveys.entrypoints.http import create_app
from services.surveys.service_layer import surveys as uc
from shared.events import Role
from shared.web.auth import ADMIN_COOKIE
from tests.support.browser import download_exports
from tests.support.notifier import HttpServer
from tests.support.spreadsheets import (
    FRENCH_CSV_FILTER,
    NO_SOFFICE,
    SOFFICE,
    csv_cells,
    soffice_convert,
    xlsx_cells,
)
from tests.support.surveys import (
    DAY_END,
    EDITION,
    close_day,
    meeting,
    published,
    register,
)
from tests.support.web import admin_cookie, with_csrf

SERVICE = {"Authorization": "Bearer dev-secret-change-me"}
HEADER = ("N°", "Répondant", *(q.text for q in DAY))
# What respondents type: a `;`, quotes, accents, a formula, a line break.
HOLDER_TEXT = '=1+1 ; « très » "bien", merci'
EXPERT_TEXT = "Première ligne\nseconde ligne : à refaire"


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def client(kit) -> TestClient:
    app = create_app(kit)
    app.state.clock = Clock(DAY_END + dt.timedelta(minutes=5))
    return with_csrf(TestClient(app), kit.settings)


@pytest.fixture
def admin(client, kit) -> TestClient:
    client.cookies.set(ADMIN_COOKIE, admin_cookie(kit.settings))
    return client


def _path(client: TestClient, invitation_id: str) -> str:
    link = client.post(f"/internal/invitations/{invitation_id}/link", headers=SERVICE)
    return link.json()["link"].replace("http://testserver", "")


def _answered_day(client: TestClient, admin: TestClient, kit) -> dict[str, object]:
    """A holder and an expert answer by their links, someone else at the venue."""
    holder = register(kit)
    expert = register(kit, role=Role.EXPERT, legal_form="banque")
    aid = meeting(kit, holder, expert, 10)
    close_day(kit)
    links = {
        e["participant_id"]: e["invitation_id"] for e in published(kit, "SurveyInvitationRequested")
    }
    holder_form = {
        "organisation": "5",
        "qualite_rdv": "4",
        f"rdv__{aid}": "4",
        "reviendrait": "oui",
        "recommandation": "9",
        "commentaires": HOLDER_TEXT,
    }
    assert client.post(_path(client, links[str(holder)]), data=holder_form).status_code == 200
    client.app.state.clock.now += dt.timedelta(minutes=1)  # rows come in the answers' order
    expert_form = {
        "organisation": "3",
        "qualite_rdv": "2",
        f"rdv__{aid}": "2",
        "reviendrait": "non",
        "recommandation": "6",
        "commentaires": EXPERT_TEXT,
    }
    assert client.post(_path(client, links[str(expert)]), data=expert_form).status_code == 200
    client.app.state.clock.now += dt.timedelta(minutes=1)
    venue = admin.get(f"/admin/editions/{EDITION}/venue").text
    code = re.search(r"http://testserver/j/([A-Z0-9]{6})", venue).group(1)
    form = client.get(f"/j/{code}").text
    submission = re.search(r'name="submission_id" value="([^"]+)"', form).group(1)
    venue_form = {
        "submission_id": submission,
        "organisation": "4",
        "qualite_rdv": "5",
        "reviendrait": "oui",
        "recommandation": "8",
    }
    assert client.post(f"/j/{code}", data=venue_form).status_code == 200
    with kit.factory() as session:
        survey = uc.day_survey(session, EDITION)
    return {"survey": survey, "ids": (str(holder), str(expert), str(aid))}


def test_xlsx_has_one_row_per_response_and_a_column_per_question(admin, client, kit):
    day = _answered_day(client, admin, kit)
    survey = day["survey"]
    response = admin.get(f"/admin/surveys/{survey.survey_id}/reponses.xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert 'filename="reponses-2026-journee.xlsx"' in response.headers["content-disposition"]
    rows = xlsx_cells(response.content)["Réponses"]  # also checks that no cell would run
    assert rows[0] == HEADER
    assert rows[1:] == [
        (1, "Porteur", 5, 4, "4", "Oui", 9, "'" + HOLDER_TEXT),
        (2, "Expert", 3, 2, "2", "Non", 6, EXPERT_TEXT),
        (3, "Sur place (QR code)", 4, 5, None, "Oui", 8, None),
    ]
    # Nobody is named: no participant's nor meeting's id in any cell.
    cells = {str(v) for row in rows for v in row}
    assert not any(i in c for i in day["ids"] for c in cells)


def test_french_csv_opens_in_a_french_spreadsheet(admin, client, kit):
    day = _answered_day(client, admin, kit)
    survey = day["survey"]
    response = admin.get(f"/admin/surveys/{survey.survey_id}/reponses-tableur.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "reponses-2026-journee-tableur.csv" in response.headers["content-disposition"]
    raw = response.content
    assert raw.startswith("\ufeff".encode())
    text = raw.decode("utf-8-sig")
    assert text.startswith(";".join(HEADER) + "\r\n") and text.endswith("\r\n")
    # The free text with `;` and quotes is quoted; the formula it starts with is text.
    assert '"\'=1+1 ; « très » ""bien"", merci"' in text
    cells = csv_cells(text, delimiter=";")
    assert [len(r) for r in cells] == [len(HEADER)] * 4
    assert cells[1] == ["1", "Porteur", "5", "4", "4", "Oui", "9", "'" + HOLDER_TEXT]
    assert cells[2][-1] == EXPERT_TEXT and cells[2][5] == "Non"
    assert cells[3][:4] == ["3", "Sur place (QR code)", "4", "5"] and cells[3][-1] == ""
    assert not any(i in text for i in day["ids"])


def test_every_questionnaire_exports_even_without_answers(admin, kit):
    admin.post(f"/admin/editions/{EDITION}/surveys/prepare")
    with kit.factory() as session:
        surveys = uc.list_surveys(session, EDITION)
    assert {s.kind.value for s in surveys} == {"conference", "journee", "ex-post"}
    for s in surveys:
        rows = xlsx_cells(admin.get(f"/admin/surveys/{s.survey_id}/reponses.xlsx").content)
        assert rows["Réponses"] == [("N°", "Répondant", *(q.text for q in s.questions))]
        text = admin.get(f"/admin/surveys/{s.survey_id}/reponses-tableur.csv").text
        assert text.removeprefix("\ufeff").count("\r\n") == 1


def test_results_page_links_the_exports_and_they_need_a_login(admin, client, kit):
    admin.post(f"/admin/editions/{EDITION}/surveys/prepare")
    with kit.factory() as session:
        survey = uc.day_survey(session, EDITION)
    page = admin.get(f"/admin/surveys/{survey.survey_id}").text
    xlsx_url = f"/admin/surveys/{survey.survey_id}/reponses.xlsx"
    csv_url = f"/admin/surveys/{survey.survey_id}/reponses-tableur.csv"
    assert f'href="{xlsx_url}">Réponses (Excel)</a>' in page
    assert f'href="{csv_url}">Réponses (CSV pour tableur)</a>' in page
    unknown = admin.get(f"/admin/surveys/{uuid.uuid4()}/reponses.xlsx")
    assert unknown.status_code == 404 and "Ce questionnaire n'existe pas" in html.unescape(
        unknown.text
    )
    anonymous = TestClient(create_app(kit))
    for url in (xlsx_url, csv_url):
        assert anonymous.get(url, follow_redirects=False).status_code in (303, 401)


@pytest.mark.skipif(SOFFICE is None, reason=NO_SOFFICE)
def test_libreoffice_reads_columns_and_accents(admin, client, kit, tmp_path: Path):
    survey = _answered_day(client, admin, kit)["survey"]
    source_csv = tmp_path / "reponses-tableur.csv"
    url = f"/admin/surveys/{survey.survey_id}"
    source_csv.write_bytes(admin.get(f"{url}/reponses-tableur.csv").content)
    source_xlsx = tmp_path / "reponses.xlsx"
    source_xlsx.write_bytes(admin.get(f"{url}/reponses.xlsx").content)
    from openpyxl import load_workbook

    sheet = load_workbook(soffice_convert(source_csv, "xlsx", FRENCH_CSV_FILTER)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert tuple(rows[0]) == HEADER
    assert rows[2][-1] == EXPERT_TEXT and rows[1][-1] == "'" + HOLDER_TEXT
    converted = soffice_convert(source_xlsx, "csv:Text - txt - csv (StarCalc):59,34,76")
    back = list(csv.reader(io.StringIO(converted.read_text("utf-8-sig")), delimiter=";"))
    assert tuple(back[0]) == HEADER and back[1][-1] == "'" + HOLDER_TEXT
    assert all(len(r) == len(HEADER) for r in back)


def test_operator_downloads_both_files_from_the_questionnaire_page(
    admin: TestClient, client: TestClient, kit, chromium_browser: Any, tmp_path: Path
):
    survey = _answered_day(client, admin, kit)["survey"]
    server = HttpServer(client.app)
    server.start()
    try:
        text, files = download_exports(
            chromium_browser,
            f"{server.url}/admin/surveys/{survey.survey_id}",
            admin_cookie(kit.settings),
            ("Réponses (Excel)", "Réponses (CSV pour tableur)"),
            tmp_path / "questionnaire-exports.png",
        )
    finally:
        server.stop()
    assert "une ligne par réponse" in text
    assert set(files) == {"reponses-2026-journee.xlsx", "reponses-2026-journee-tableur.csv"}
    assert xlsx_cells(files["reponses-2026-journee.xlsx"])["Réponses"][0] == HEADER
    assert files["reponses-2026-journee-tableur.csv"].decode("utf-8-sig").count("Porteur") == 1
