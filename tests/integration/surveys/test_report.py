"""The evaluation report equals the data: built from events and answers, then as HTML, PDF
(rendered to an image and read back) and XLSX."""

from __future__ import annotations

import datetime as dt
import html as html_text
import io
import re
import subprocess
import uuid
from pathlib import Path
from urllib.parse import quote

import pypdfium2 as pdfium
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from PIL import Image

from services.surveys.domain.questions import Question, QuestionType
from services.surveys.entrypoints.due import run_due
from services.surveys.entrypoints.http import create_app
from services.surveys.service_layer import report as reports
from services.surveys.service_layer import surveys as uc
from services.surveys.settings import SurveysSettings
from shared.db import retrying, transaction
from shared.events import (
    ClosedSessionKind,
    ParticipantCancelled,
    ParticipantErased,
    RegistrationStatus,
    ReleaseReason,
    Role,
    SessionClosed,
    SlotReleased,
)
from shared.vocabulary import EXPERT_KINDS, HOLDER_LEGAL_FORMS
from shared.web.auth import ADMIN_COOKIE
from tests.support.spreadsheets import FORMULAS, quoted, xlsx_cells
from tests.support.surveys import (
    DAY_END,
    EDITION,
    close_day,
    deliver,
    meeting,
    published,
    register,
)
from tests.support.web import admin_cookie, with_csrf

LOGO_COLOUR = (200, 30, 120)


@pytest.fixture
def settings(settings: SurveysSettings, tmp_path: Path) -> SurveysSettings:
    """The organisation's name and logo as set for the service."""
    logo = tmp_path / "logo.png"
    Image.new("RGB", (240, 120), LOGO_COLOUR).save(logo)
    return settings.model_copy(
        update={"report_organisation": "PES 21 – Pôle d'économie solidaire", "report_logo": logo}
    )


def answer(kit, participant, kind, form, now):
    (request,) = [
        e
        for e in published(kit, "SurveyInvitationRequested")
        if e["participant_id"] == str(participant) and e["kind"] == kind and not e["reminder"]
    ]
    with transaction(kit.factory) as session:
        link = uc.invitation_view(session, kit.settings, request["invitation_id"], now).link
    result = retrying(
        kit.factory, uc.submit_with_token, kit.outbox, link.rsplit("/", 1)[1], form, now
    )
    assert result.validation.ok, result.validation.errors


@pytest.fixture
def edition(kit):
    """Holders, experts, meetings, three questionnaires answered, budget entered."""
    h1 = register(kit, legal_form="association", stage="creation", commune="Dijon")
    h2 = register(kit, legal_form="Association", stage="developpement", commune="Chenôve")
    h3 = register(kit, legal_form="SCOP", stage="creation", commune="Dijon")
    register(kit, legal_form="association", present=False)
    gone = register(kit, legal_form="association", present=False)
    deliver(kit, ParticipantCancelled(edition_id=EDITION, participant_id=gone, role=Role.HOLDER))
    register(kit, legal_form="SCIC", present=False, status=RegistrationStatus.WAITING_LIST)
    e1 = register(kit, role=Role.EXPERT, legal_form="banque", commune="Dijon")
    e2 = register(kit, role=Role.EXPERT, legal_form="fondation", commune="Beaune")
    register(kit, role=Role.EXPERT, legal_form="banque", present=False)

    meeting(kit, h1, e1, 10)
    meeting(kit, h2, e1, 11)
    meeting(kit, h3, e2, 15)
    for reason, hour in ((ReleaseReason.NO_SHOW, 16), (ReleaseReason.CANCELLED, 14)):
        aid = meeting(kit, h1, e2, hour)
        start = dt.datetime(2026, 11, 19, hour - 1, tzinfo=dt.UTC)
        deliver(
            kit,
            SlotReleased(
                edition_id=EDITION,
                appointment_id=aid,
                holder_id=h1,
                expert_id=e2,
                start=start,
                end=start + dt.timedelta(minutes=30),
                table="T01",
                schedule_version=1,
                reason=reason,
            ),
        )
    for session_id, held, missed in (("creneau-matin", 2, 1), ("creneau-apres-midi", 1, 0)):
        deliver(
            kit,
            SessionClosed(
                edition_id=EDITION,
                session_id=session_id,
                kind=ClosedSessionKind.WINDOW,
                closed_at=DAY_END,
                meetings_held=held,
                meetings_missed=missed,
            ),
        )
    deliver(
        kit,
        SessionClosed(
            edition_id=EDITION,
            session_id="conference-matin",
            kind=ClosedSessionKind.CONFERENCE,
            closed_at=DAY_END - dt.timedelta(hours=5),
            attendee_ids=[h1, h2, e1],
            attendees=3,
        ),
    )
    close_day(kit)
    now = DAY_END + dt.timedelta(hours=1)
    answer(kit, h1, "conference", {"interet": ["5"], "intervenants": ["4"], "utilite": ["5"]}, now)
    answer(kit, e1, "conference", {"interet": ["3"], "intervenants": ["4"], "utilite": ["4"]}, now)
    answer(
        kit,
        h1,
        "journee",
        {
            "organisation": ["5"],
            "qualite_rdv": ["4"],
            "reviendrait": ["oui"],
            "recommandation": ["10"],
        },
        now,
    )
    answer(
        kit,
        e2,
        "journee",
        {
            "organisation": ["4"],
            "qualite_rdv": ["3"],
            "reviendrait": ["non"],
            "recommandation": ["6"],
        },
        now,
    )
    with kit.factory() as session:
        day = uc.ensure_survey(session, EDITION, uc.SurveyKind.DAY)
    venue = {
        "organisation": ["2"],
        "qualite_rdv": ["2"],
        "reviendrait": ["oui"],
        "recommandation": ["8"],
    }
    assert retrying(
        kit.factory, uc.submit_anonymous, day.public_code, uuid.uuid4().hex, venue, now
    ).validation.ok

    later = DAY_END + dt.timedelta(days=42)
    assert run_due(kit.factory, kit.outbox, kit.settings, later) >= 1
    answer(
        kit,
        h1,
        "ex-post",
        {
            "contacts_suivis": ["oui"],
            "financement_obtenu": ["oui"],
            "financeurs": ["Banque", "Fondation"],
            "montant": ["De 5 000 à 20 000 €"],
            "financement_participatif": ["non"],
            "relation_bancaire": ["oui"],
            "emplois": ["2"],
        },
        later,
    )
    answer(
        kit,
        h3,
        "ex-post",
        {"contacts_suivis": ["oui"], "financement_obtenu": ["non"], "emplois": ["1"]},
        later,
    )
    # An erased participant's answers still count.
    deliver(kit, ParticipantErased(edition_id=EDITION, participant_id=h1, role=Role.HOLDER))
    with transaction(kit.factory) as session:
        reports.save_actuals(
            session,
            EDITION,
            {
                "601": 180_00,
                "625": 95_50,
                "623": 120_00,
                "626": 60_00,
                "641": 2410_00,
                "645": 930_00,
                "648": 150_00,
                "74": 4000_00,
            },
        )
    return kit


def test_report_figures_equal_the_data(edition):
    with edition.factory() as session:
        r = reports.build_report(session, EDITION)
    p = r.participants
    assert p.registered == {"porteur": 4, "expert": 3}
    assert p.present == {"porteur": 3, "expert": 2}
    assert p.associations_present == 2
    assert p.holders_by_legal_form == [("Association", 2), ("SCOP", 1)]
    assert p.holders_by_stage == [("Création", 2), ("Développement", 1)]
    assert p.present_by_commune == [("Dijon", 3), ("Beaune", 1), ("Chenôve", 1)]
    assert p.experts_by_organisation_type == [("Banque", 1), ("Fondation", 1)]
    assert (r.meetings.planned, r.meetings.held, r.meetings.missed) == (4, 3, 1)
    conf, day = r.sessions
    assert (conf.invited, conf.answered, conf.response_rate, conf.satisfaction) == (
        3,
        2,
        66.7,
        4.17,
    )
    assert r.attendance == {"conference-matin": 3}
    assert (day.invited, day.answered, day.anonymous, day.response_rate) == (5, 2, 1, 40.0)
    assert day.satisfaction == 3.33  # (5+4+4+3+2+2) / 6, the venue answer included
    assert day.net_promoter == 0  # 10, 6, 8: one promoter, one detractor
    assert r.overall_satisfaction == 3.75  # 45 / 12
    assert r.overall_response_rate == 50.0  # 4 of 8
    e = r.ex_post
    assert (e.invited, e.answered, e.response_rate) == (3, 2, 66.7)
    res = {x.question.id: x for x in e.results}
    assert res["financement_obtenu"].counts == {"oui": 1, "non": 1}
    assert (
        res["financeurs"].counts["Banque"] == 1
        and res["montant"].counts["De 5 000 à 20 000 €"] == 1
    )
    assert res["relation_bancaire"].counts == {"oui": 1, "non": 0}
    assert res["emplois"].total == 3
    # Split by role: holders, experts, the venue link, everyone.
    assert [(g.label, g.answered) for g in day.groups] == [
        ("Porteurs", 1),
        ("Experts", 1),
        ("Sur place", 1),
        ("Ensemble", 3),
    ]
    lines = {(x.question, x.detail): x.values for x in day.lines}
    assert lines[("Organisation de la journée (accueil, horaires, lieu)", "Moyenne (1 à 5)")] == (
        5.0,
        4.0,
        2.0,
        3.67,
    )
    assert lines[("Participeriez-vous à la prochaine édition ?", "Oui")] == (1, 0, 1, 2)
    assert [(g.label, g.answered) for g in conf.groups] == [
        ("Porteurs", 1),
        ("Experts", 1),
        ("Ensemble", 2),
    ]
    assert [(g.label, g.answered) for g in e.groups] == [("Porteurs", 2)]  # holders only
    lines = {(x.question, x.detail): x.values for x in e.lines}
    assert lines[("Emplois créés ou maintenus grâce à ces suites", "Total")] == (3,)
    assert lines[("Auprès de qui ?", "Fondation")] == (1,)
    b = r.budget
    assert b.total_charges.forecast_cents == 4000_00
    assert b.total_charges.actual_cents == 3945_50
    assert b.balance_actual_cents == 54_50


def _client(kit) -> TestClient:
    client = with_csrf(TestClient(create_app(kit)), kit.settings)
    client.cookies.set(
        ADMIN_COOKIE,
        admin_cookie(kit.settings),
    )
    return client


def test_report_page_pdf_and_xlsx(edition):
    client = _client(edition)
    html = client.get(f"/admin/editions/{EDITION}/report").text
    for expected in (
        "Acteurs associatifs présents : <strong>2</strong>",
        '<ul class="bars">',
        "3,75 / 5",
        "50,0 %",
        "3\u202f945,50 €",
        "66,7 %",
    ):
        assert expected in html, expected

    pdf = client.get(f"/admin/editions/{EDITION}/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    doc = pdfium.PdfDocument(pdf.content)
    text = " ".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    text = " ".join(text.split())
    for expected in (
        "Rapport d'évaluation – édition 2026",
        "Porteurs de projet 4 3",
        "Experts et financeurs 3 2",
        "Acteurs associatifs présents : 2",
        "Rendez-vous planifiés 4",
        "Rendez-vous tenus 3",
        "Satisfaction globale : 3,75 / 5",
        "taux de réponse global : 50,0 %",
        "Total des charges 4 000 € 3 945,50 € -54,50 €",
        "Emplois créés ou maintenus grâce à ces suites Total 3",
    ):
        assert expected in text, expected
    image = doc[0].render(scale=1).to_pil()
    assert image.size == (596, 842)  # A4 (595.28 x 841.89 pt) at 72 dpi
    colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
    assert any(rgb == (0, 90, 112) for _, rgb in colours)  # the bars are drawn
    assert sum(n for n, rgb in colours if rgb != (255, 255, 255)) > 5000  # not a blank page
    doc.close()

    xlsx = load_workbook(io.BytesIO(client.get(f"/admin/editions/{EDITION}/report.xlsx").content))
    assert xlsx.sheetnames == [
        "Rapport",
        "Participants",
        "Rendez-vous",
        "Satisfaction",
        "Suivi",
        "Par rôle",
        "Budget",
    ]
    assert [c.value for c in xlsx["Participants"][2]] == ["Porteurs de projet", 4, 3]
    assert [c.value for c in xlsx["Rendez-vous"]["B"]][1:] == [4, 3, 1]
    last = [c.value for c in xlsx["Satisfaction"][xlsx["Satisfaction"].max_row]]
    assert last == ["Ensemble", 8, 4, 1, 50.0, 3.75, None]
    budget_rows = {row[0].value: row for row in xlsx["Budget"].iter_rows(min_row=2)}
    assert budget_rows["total"][3].value == 3945.5


@pytest.fixture
def every_category(edition):
    """Someone present under each legal form and organisation type of registration's forms."""
    for code in HOLDER_LEGAL_FORMS:
        register(edition, legal_form=code, stage="developpement", commune="Quetigny")
    for code in EXPERT_KINDS:
        register(edition, role=Role.EXPERT, legal_form=code, commune="Talant")
    return edition


def _visible(page: str) -> str:
    """The words of a page as a reader sees them (tags, styles and links dropped)."""
    page = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", page, flags=re.S)
    return " ".join(html_text.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _pdf_text(content: bytes, tmp_path: Path) -> str:
    """pdftotext in content order: a cell's wrapped lines come one after the other."""
    path = tmp_path / "rapport.pdf"
    path.write_bytes(content)
    out = subprocess.run(
        ["pdftotext", "-raw", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return " ".join(out.split())


CODES_AS_TYPED = re.compile(
    r"\b(Cooperative|Scic|En-creation|Entreprise-esus|Reseau-accompagnement)"
)
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def test_report_reads_as_sent(every_category, tmp_path):
    """French labels for every code, French dates, nothing cut, the budget by the chart of
    accounts, every sheet filled; the PDF's pages as images for a look."""
    client = _client(every_category)
    labels = [*HOLDER_LEGAL_FORMS.values(), *EXPERT_KINDS.values()]
    page = client.get(f"/admin/editions/{EDITION}/report").text
    seen = _visible(page)
    bar_labels = [html_text.unescape(x) for x in re.findall(r'class="bar-label">([^<]*)<', page)]
    assert set(labels) <= set(bar_labels)
    assert not CODES_AS_TYPED.search(seen), CODES_AS_TYPED.search(seen)
    assert "jeudi 19 novembre 2026" in seen and not ISO_DATE.search(seen)
    assert "PES 21 – Pôle d'économie solidaire" in seen
    assert "…" not in seen
    assert "Porteurs (1) Experts (1) Sur place (1) Ensemble (3)" in seen

    pdf = client.get(f"/admin/editions/{EDITION}/report.pdf").content
    text = _pdf_text(pdf, tmp_path)
    for label in labels:
        assert label in text, label
    assert not CODES_AS_TYPED.search(text) and not ISO_DATE.search(text)
    assert "…" not in text and "..." not in text
    assert "Jeudi 19 novembre 2026, PES 21, 12 avenue Gustave Eiffel, 21000 Dijon." in text
    assert "PES 21 – Pôle d'économie solidaire" in text
    for whole in (
        "Avez-vous lancé un financement participatif ?",
        "Ce que vous avez entendu vous sera-t-il utile pour votre projet ?",
        "Recommanderiez-vous cette journée à une autre structure de l'ESS ?",
        "Autres : téléphone, internet, missions, réception",
        "74 – Subventions d'exploitation : Ville de Dijon / Dijon Métropole",
    ):
        assert whole in text, whole
    order = [
        "60 – Achats",
        "601 Achat matières et fournitures",
        "61 – Services extérieurs",
        "613 Location de salles",
        "62 – Autres services extérieurs",
        "63 – Impôts et taxes",
        "64 – Charges de personnel",
        "Total des charges",
        "74 – Subventions",
        "Total des produits",
        "Solde (produits - charges)",
    ]
    budget_text = text[text.index("Budget : prévisionnel et réalisé") :]
    positions = [budget_text.index(x) for x in order]
    assert positions == sorted(positions)
    doc = pdfium.PdfDocument(pdf)
    first = doc[0].render(scale=1).to_pil().convert("RGB")
    assert any(rgb == LOGO_COLOUR for _, rgb in first.getcolors(maxcolors=1_000_000))
    pages = len(doc)
    doc.close()
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", str(tmp_path / "rapport.pdf"), str(tmp_path / "page")],
        check=True,
    )
    assert len(list(tmp_path.glob("page-*.png"))) == pages

    xlsx = load_workbook(io.BytesIO(client.get(f"/admin/editions/{EDITION}/report.xlsx").content))
    for ws in xlsx.worksheets:
        filled = [
            r
            for r in ws.iter_rows(min_row=2, values_only=True)
            if any(v not in (None, "") for v in r)
        ]
        assert len(filled) >= 2, ws.title
    cells = {c for ws in xlsx.worksheets for row in ws.iter_rows(values_only=True) for c in row}
    assert set(labels) <= cells
    assert "jeudi 19 novembre 2026" in cells
    assert not any(isinstance(c, str) and CODES_AS_TYPED.match(c) for c in cells)
    follow_up = [r for r in xlsx["Suivi"].iter_rows(min_row=2, values_only=True)]
    assert ("Avez-vous obtenu un financement depuis la journée ?", "oui", 1) in follow_up
    by_role = list(xlsx["Par rôle"].iter_rows(values_only=True))
    assert by_role[0] == (
        "Questionnaire",
        "Question",
        "Détail",
        "Porteurs",
        "Experts",
        "Sur place",
        "Ensemble",
    )
    day = "Journée (évaluation à chaud)"
    assert (day, "Nombre de réponses", None, 1, 1, 1, 3) in by_role
    assert (day, "Participeriez-vous à la prochaine édition ?", "Oui", 1, 0, 1, 2) in by_role
    budget = {r[0]: r for r in xlsx["Budget"].iter_rows(min_row=2, values_only=True)}
    assert budget["613"][1] == "Location de salles"
    codes = [r[0] for r in xlsx["Budget"].iter_rows(min_row=2, values_only=True)]
    assert codes.index("61") < codes.index("613") < codes.index("62")


# Elements whose text a reader must see whole: their content must not overflow their box.
CLIPPED = """() => [...document.querySelectorAll('.bar-label, .bar-value, td, th')]
    .filter(e => e.scrollWidth > e.clientWidth + 1)
    .map(e => e.textContent.trim())"""


def test_report_page_in_a_browser(every_category, chromium_browser, tmp_path):
    """The page as the operator sees it, wide and on a phone: no figure or label is clipped,
    nothing runs off the page; the screenshots are kept for a look."""
    page_html = _client(every_category).get(f"/admin/editions/{EDITION}/report").text
    for name, width in (("large", 1280), ("telephone", 390)):
        page = chromium_browser.new_page(viewport={"width": width, "height": 900})
        page.set_content(page_html)
        assert page.evaluate(CLIPPED) == [], name
        values = page.locator(".bar-value").all_inner_texts()
        assert "1 (9 %)" in values and "8 (42 %)" in values
        assert page.evaluate("document.documentElement.scrollWidth") <= width, name
        page.screenshot(path=str(tmp_path / f"rapport-{name}.png"), full_page=True)
        page.close()


def test_budget_form_and_year_by_year_comparison(edition):
    client = _client(edition)
    bad = client.post(f"/admin/editions/{EDITION}/budget", data={"line-601": "beaucoup"})
    assert bad.status_code == 422 and "Montant invalide" in bad.text
    client.post("/admin/editions/2025/budget", data={"line-641": "2 300", "line-74": "4 000,00"})
    page = client.get("/admin/editions/2025/budget").text
    assert 'value="2\u202f300"' in page
    report = client.get(f"/admin/editions/{EDITION}/report").text
    assert '<a href="/admin/reports/compare">Comparer les éditions</a>' in report
    compare = client.get("/admin/reports/compare").text
    assert compare.index(">2025<") < compare.index(">2026<")
    rows = load_workbook(io.BytesIO(client.get("/admin/reports/compare.xlsx").content))["Éditions"]
    values = [[c.value for c in row] for row in rows.iter_rows(min_row=2)]
    assert values == [
        ["2025", 0, 0, 0, 0, 0, 0, None, None, None, None, 2300.0],
        ["2026", 7, 5, 3, 2, 2, 4, 3, 3.75, 50.0, 0, 3945.5],
    ]


def test_pdf_without_a_unicode_font_still_renders(edition, monkeypatch):
    from services.surveys.adapters import report_pdf

    monkeypatch.setattr(report_pdf, "unicode_font", lambda: None)
    with edition.factory() as session:
        content = report_pdf.report_pdf(reports.build_report(session, EDITION))
    doc = pdfium.PdfDocument(content)
    text = " ".join(
        " ".join(doc[i].get_textpage().get_text_range() for i in range(len(doc))).split()
    )
    assert "Rapport d'évaluation - édition 2026" in text
    assert "Total des charges 4 000 EUR 3 945,50 EUR -54,50 EUR" in text
    doc.close()


def test_report_files_run_no_formula_a_spreadsheet_would(kit):
    """Legal forms, a question and its answers, an edition: as typed, never run (a town typed
    so reaches the report as « Autre commune »)."""
    holders = [register(kit, legal_form=v, commune=v) for v in FORMULAS]
    register(kit, role=Role.EXPERT, legal_form=FORMULAS[0], commune=FORMULAS[1])
    close_day(kit)
    # The editor trims options: they never start with a tab or a line break.
    options = tuple(v for v in FORMULAS[1:] if v == v.strip())
    question = Question("suite", FORMULAS[0], QuestionType.SINGLE, options)
    with transaction(kit.factory) as session:
        ex_post = uc.ensure_survey(session, EDITION, uc.SurveyKind.EX_POST)
        uc.save_questions(session, ex_post.survey_id, FORMULAS[3], (question,))
    later = DAY_END + dt.timedelta(days=42)
    assert run_due(kit.factory, kit.outbox, kit.settings, later) >= 1
    for holder, value in zip(holders, options, strict=False):
        answer(kit, holder, "ex-post", {"suite": [value]}, later)
    client = _client(kit)
    assert client.post("/admin/editions/%3D1%2B1/budget", data={"line-74": "10"}).status_code == 200
    sheets = xlsx_cells(client.get(f"/admin/editions/{EDITION}/report.xlsx").content)
    # XML reads a carriage return back as a line feed.
    typed = {quoted(v).replace("\r", "\n") for v in FORMULAS}
    participants = {r[0] for r in sheets["Participants"]}
    assert typed <= participants
    follow_up = sheets["Suivi"][1:]
    assert {r[0] for r in follow_up} == {quoted(FORMULAS[0])}
    assert {quoted(v) for v in options} <= {r[1] for r in follow_up}
    editions = xlsx_cells(client.get("/admin/reports/compare.xlsx").content)["Éditions"]
    assert {r[0] for r in editions[1:]} == {EDITION, "'=1+1"}


def test_an_edition_id_with_quotes_and_line_breaks_gives_a_safe_file_name(kit):
    client = _client(kit)
    edition = quote('26"\r\nSet-Cookie: x=1;é', safe="")
    assert client.post(f"/admin/editions/{edition}/budget", data={"line-74": "10"}).is_success
    for suffix in ("xlsx", "pdf"):
        answer = client.get(f"/admin/editions/{edition}/report.{suffix}")
        assert answer.status_code == 200
        assert "set-cookie" not in answer.headers
        header = answer.headers["content-disposition"]
        assert header.startswith('attachment; filename="evaluation-26_Set-Cookie_x_1_e.')
        assert "filename*=UTF-8''evaluation-26_Set-Cookie%3A%20x%3D1_%C3%A9." in header
