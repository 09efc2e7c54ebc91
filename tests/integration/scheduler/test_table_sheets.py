"""All the experts' table sheets in one PDF, through HTTP with the operator's session: read
back, one page per expert, every holder's name and organisation, accents and long names
whole."""

from __future__ import annotations

import io

import pypdf
import pytest
from fastapi.testclient import TestClient

from services.scheduler.entrypoints.http import create_app
from services.scheduler.service_layer import planning
from shared.db import transaction
from tests.support.scheduler import EDITION, PARIS, Harness, small_day
from tests.support.web import admin_cookies

LONG = "Association intercommunale pour le développement de l'économie sociale et solidaire"


def _text(content: bytes) -> tuple[int, list[str]]:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return len(reader.pages), [_squash(p.extract_text()) for p in reader.pages]


def _squash(text: str) -> str:
    """Without white space: a wrapped cell reads the same as one line."""
    return "".join(text.split())


@pytest.fixture
def operator(harness: Harness) -> TestClient:
    client = TestClient(create_app(harness.app), base_url="http://127.0.0.1:8002")
    client.cookies.update(admin_cookies(harness.app.settings))
    return client


def _publish(harness: Harness) -> None:
    with transaction(harness.app.kit.factory) as session:
        planning.plan_draft(session, harness.app, EDITION)
    with transaction(harness.app.kit.factory) as session:
        planning.publish(session, harness.app, EDITION)


def test_all_table_sheets_in_one_pdf(harness: Harness, operator: TestClient):
    day = small_day(harness)
    people = harness.registration.people
    people[str(day.holders[0])].update(first_name="Éloïse", last_name="Gaëlle-Müller")
    people[str(day.holders[1])]["organisation"] = LONG
    people[str(day.experts[0])].update(first_name="Zoé", last_name="Lefèvre")

    grid = operator.get("/admin/planning")
    assert "Imprimer toutes les fiches de table" not in grid.text  # nothing published yet
    early = operator.get("/admin/tables/fiches.pdf", follow_redirects=False)
    assert early.status_code == 303 and early.headers["location"] == "/admin/planning"

    _publish(harness)
    assert 'href="/admin/tables/fiches.pdf"' in operator.get("/admin/planning").text
    answer = operator.get("/admin/tables/fiches.pdf")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["cache-control"] == "no-store"
    pages, texts = _text(answer.content)

    with transaction(harness.app.kit.factory) as session:
        version = planning.published_version(session, EDITION)
        rows = planning.active_rows(session, version.id)
    experts = list(dict.fromkeys(r.expert_id for r in rows))
    assert pages == len(experts) == 3
    for pid in experts:
        expert = people[pid]
        [page] = [t for t in texts if _squash(expert["organisation"]) in t]
        assert _squash(f"{expert['first_name']} {expert['last_name']}") in page
        for r in (r for r in rows if r.expert_id == pid):
            holder = people[r.holder_id]
            assert _squash(f"{holder['first_name']} {holder['last_name']}") in page
            assert _squash(holder["organisation"]) in page  # wrapped, never cut
            assert f"T{r.table_number:02d}" in page
            assert f"{r.start.astimezone(PARIS):%H:%M}" in page
    joined = "".join(texts)
    assert "ZoéLefèvre" in joined and "ÉloïseGaëlle-Müller" in joined and _squash(LONG) in joined

    one = operator.get(f"/admin/tables/{experts[0]}/fiche.pdf")
    assert _text(one.content)[0] == 1
    assert operator.get(f"/admin/tables/{day.holders[0]}/fiche.pdf").status_code == 404


def test_table_sheets_need_the_operator(harness: Harness):
    client = TestClient(create_app(harness.app), base_url="http://127.0.0.1:8002")
    answer = client.get("/admin/tables/fiches.pdf", follow_redirects=False)
    assert answer.status_code in (302, 303, 307)
    assert "/admin/login" in answer.headers["location"]
