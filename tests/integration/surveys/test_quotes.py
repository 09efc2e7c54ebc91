"""Free comments quoted in the report: ticked on the results page, shown without any name on
the report's page, PDF and XLSX, and gone once their author is erased."""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
import uuid
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from services.surveys.adapters.db import quotes
from services.surveys.service_layer import surveys as uc
from shared.db import retrying
from shared.events import ParticipantErased, Role
from tests.integration.surveys.test_report import _client, answer
from tests.support.surveys import DAY_END, EDITION, close_day, deliver, register

KEPT = "Des rencontres très utiles, nous avons trouvé notre banque."
NOT_CHOSEN = "Je suis Marie Dupont, 06 12 34 56 78, rappelez-moi."
ERASED = "Merci à toute l'équipe, à l'an prochain !"
VENUE = "Belle journée, bien organisée."
DAY = {"organisation": ["5"], "qualite_rdv": ["4"], "reviendrait": ["oui"], "recommandation": ["9"]}


@pytest.fixture
def commented(kit):
    """Three holders and the venue link answered the day questionnaire with a comment."""
    people = [register(kit, commune="Dijon") for _ in range(3)]
    close_day(kit)
    now = DAY_END + dt.timedelta(hours=1)
    for pid, text in zip(people, (KEPT, NOT_CHOSEN, ERASED), strict=True):
        answer(kit, pid, "journee", {**DAY, "commentaires": [text]}, now)
    with kit.factory() as session:
        day = uc.ensure_survey(session, EDITION, uc.SurveyKind.DAY)
    venue = {**DAY, "commentaires": [VENUE]}
    assert retrying(kit.factory, uc.submit_anonymous, day.public_code, uuid.uuid4().hex, venue, now)
    return kit, day.survey_id, people


def _choices(page: str) -> dict[str, tuple[str, bool]]:
    """Each comment on the results page: its text -> (checkbox value, ticked)."""
    found = re.findall(
        r'<li><p>([^<]*)</p><label><input type="checkbox" name="citer" value="([^"]+)"( checked)?>',
        page,
    )
    return {text.replace("&#39;", "'"): (value, bool(ticked)) for text, value, ticked in found}


def _pdf_text(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "rapport.pdf"
    path.write_bytes(content)
    out = subprocess.run(
        ["pdftotext", "-raw", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return " ".join(out.split())


def _quoted_count(kit) -> int:
    with kit.factory() as session:
        return session.execute(select(func.count()).select_from(quotes)).scalar_one()


def test_chosen_comments_are_quoted_without_names_and_leave_with_an_erasure(commented, tmp_path):
    kit, survey_id, (_, _, erased_by) = commented
    client = _client(kit)
    report = client.get(f"/admin/editions/{EDITION}/report").text
    assert "Paroles de participants" in report and "Aucun commentaire cité" in report
    choices = _choices(client.get(f"/admin/surveys/{survey_id}").text)
    assert set(choices) == {KEPT, NOT_CHOSEN, ERASED, VENUE}
    assert not any(ticked for _, ticked in choices.values())

    chosen = [choices[t][0] for t in (KEPT, ERASED, VENUE)]
    # A key of no answer of this questionnaire (forged, or of another one) is ignored.
    forged = [f"{uuid.uuid4()}/commentaires", "n'importe quoi", chosen[0]]
    saved = client.post(f"/admin/surveys/{survey_id}/quotes", data={"citer": chosen + forged})
    assert saved.status_code == 200 and saved.url.path == f"/admin/surveys/{survey_id}"
    page = saved.text
    assert "3 réponse(s) citée(s) dans le rapport." in page
    ticked = {t for t, (_, on) in _choices(page).items() if on}
    assert ticked == {KEPT, ERASED, VENUE}
    assert _quoted_count(kit) == 3

    report = client.get(f"/admin/editions/{EDITION}/report").text
    assert "« Des rencontres très utiles, nous avons trouvé notre banque. »" in report
    assert "— porteur de projet, Journée (évaluation à chaud)" in report
    assert "— réponse sur place, Journée (évaluation à chaud)" in report
    assert "Marie" not in report and "06 12" not in report
    pdf = _pdf_text(client.get(f"/admin/editions/{EDITION}/report.pdf").content, tmp_path)
    assert "Paroles de participants" in pdf
    assert f"« {KEPT} »" in pdf and f"« {VENUE} »" in pdf and "Marie" not in pdf
    xlsx = load_workbook(io.BytesIO(client.get(f"/admin/editions/{EDITION}/report.xlsx").content))
    rows = [[c.value for c in row] for row in xlsx["Paroles"].iter_rows()]
    assert rows[0] == ["Questionnaire", "Rôle", "Parole de participant"]
    assert sorted(r[2] for r in rows[1:]) == sorted([KEPT, ERASED, VENUE])
    assert {r[1] for r in rows[1:]} == {"porteur de projet", "réponse sur place"}

    deliver(kit, ParticipantErased(edition_id=EDITION, participant_id=erased_by, role=Role.HOLDER))
    assert _quoted_count(kit) == 2
    report = client.get(f"/admin/editions/{EDITION}/report").text
    assert KEPT in report and VENUE in report
    assert "l&#39;an prochain" not in report and "[effacé]" not in report
    assert set(_choices(client.get(f"/admin/surveys/{survey_id}").text)) == {
        KEPT,
        NOT_CHOSEN,
        VENUE,
    }
    xlsx = load_workbook(io.BytesIO(client.get(f"/admin/editions/{EDITION}/report.xlsx").content))
    assert sorted(c.value for c in xlsx["Paroles"]["C"][1:]) == sorted([KEPT, VENUE])

    # Unticking everything empties the section, and the XLSX has no empty sheet.
    cleared = client.post(f"/admin/surveys/{survey_id}/quotes", data={})
    assert "Aucune réponse citée dans le rapport." in cleared.text
    assert _quoted_count(kit) == 0
    xlsx = load_workbook(io.BytesIO(client.get(f"/admin/editions/{EDITION}/report.xlsx").content))
    assert "Paroles" not in xlsx.sheetnames


def test_quotes_pages_in_a_browser(commented, chromium_browser, tmp_path):
    kit, survey_id, _ = commented
    client = _client(kit)
    choices = _choices(client.get(f"/admin/surveys/{survey_id}").text)
    client.post(
        f"/admin/surveys/{survey_id}/quotes",
        data={"citer": [choices[KEPT][0], choices[VENUE][0]]},
    )
    pages = {
        "resultats": client.get(f"/admin/surveys/{survey_id}").text,
        "rapport": client.get(f"/admin/editions/{EDITION}/report").text,
    }
    for name, html in pages.items():
        page = chromium_browser.new_page(viewport={"width": 1100, "height": 900})
        page.set_content(html)
        if name == "resultats":
            assert page.get_by_label("Citer dans le rapport").count() == 4
            assert page.get_by_role("button", name="Enregistrer les citations").is_visible()
        else:
            assert page.locator("blockquote.quote").count() == 2
        page.screenshot(path=str(tmp_path / f"citations-{name}.png"), full_page=True)
        page.close()
    pdf = tmp_path / "rapport.pdf"
    pdf.write_bytes(client.get(f"/admin/editions/{EDITION}/report.pdf").content)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", str(pdf), str(tmp_path / "rapport")], check=True
    )
