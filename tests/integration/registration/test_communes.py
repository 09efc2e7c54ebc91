"""The commune typed in a form or a file becomes its INSEE code: the events carry the code,
never the text, and an erasure keeps only the code."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import MetaData, Table, text

from services.registration.entrypoints.import_worker import import_now
from services.registration.service_layer import participants as uc
from shared.db import make_engine, transaction
from shared.migrations import upgrade
from tests.integration.registration.conftest import (
    EDITION,
    holder_form,
    outbox_events,
    participant_rows,
    submit,
)
from tests.unit.formats.spreadsheets import FRENCH_HEADER, realistic_rows, to_csv

PACKAGE = Path(__file__).resolve().parents[3] / "services" / "registration"


def test_the_form_stores_the_official_name_and_publishes_only_the_code(client, kit):
    page = client.get(f"/inscription/{EDITION}/porteur").text
    assert 'list="communes-liste"' in page and '<option value="Dijon">' in page
    submit(client, "porteur", holder_form(email="a@asso-exemple.fr", commune="  st-apollinaire "))
    submit(client, "porteur", holder_form(email="b@asso-exemple.fr", commune="Mâcon (71)"))
    submit(client, "porteur", holder_form(email="c@asso-exemple.fr", commune="Je suis à Paris"))
    rows = {r.email: r for r in participant_rows(kit)}
    assert (rows["a@asso-exemple.fr"].commune, rows["a@asso-exemple.fr"].commune_code) == (
        "Saint-Apollinaire",
        "21540",
    )
    assert rows["b@asso-exemple.fr"].commune_code == "71270"
    assert rows["c@asso-exemple.fr"].commune == "Je suis à Paris"
    assert rows["c@asso-exemple.fr"].commune_code == "autre"
    events = outbox_events(kit, "ParticipantRegistered")
    assert sorted(e["commune_code"] for e in events) == ["21540", "71270", "autre"]
    assert all(e["schema_version"] == 2 and "commune" not in e for e in events)
    assert not any("Paris" in str(e) or "Apollinaire" in str(e) for e in events)


def test_an_erasure_keeps_the_code_and_forgets_the_text(client, kit):
    submit(client, "porteur", holder_form(commune="Je suis à Paris"))
    [row] = participant_rows(kit)
    with transaction(kit.factory) as session:
        uc.erase(session, kit, row.participant_id, "test")
    [erased] = participant_rows(kit)
    assert erased.commune is None and erased.commune_code == "autre"


def test_the_import_column_stays_a_name_and_becomes_the_code(kit):
    rows = realistic_rows(holders=3, experts=1)  # the header, an expert, three holders
    column = FRENCH_HEADER.index("commune")
    for row, typed in zip(rows[2:], ("DIJON", "21300 Chenôve", "Lyon"), strict=True):
        row[column] = typed
    report = import_now(kit, EDITION, to_csv(rows, sep=";"), "inscrits.csv", dry_run=False)
    assert report.errors == []
    holders = [r for r in participant_rows(kit) if r.role == "porteur"]
    stored = sorted((r.commune, r.commune_code) for r in holders)
    assert stored == [("Chenôve", "21166"), ("Dijon", "21231"), ("Lyon", "autre")]
    events = outbox_events(kit, "ParticipantRegistered")
    published = sorted(e["commune_code"] for e in events if e["role"] == "porteur")
    assert published == ["21166", "21231", "autre"]
    again = import_now(kit, EDITION, to_csv(rows, sep=";"), "inscrits.csv", dry_run=False)
    assert again.outcome.unchanged == 4


def test_the_commune_field_in_a_browser(client, chromium_browser, tmp_path):
    page = chromium_browser.new_page(viewport={"width": 900, "height": 900})
    page.set_content(client.get(f"/inscription/{EDITION}/porteur").text)
    field = page.get_by_label("Commune")
    assert field.get_attribute("list") == "communes-liste"
    assert page.locator("#communes-liste option[value='Chenôve']").count() == 1
    assert "Mâcon (71)" in page.locator("#f-commune-hint").inner_text()
    field.fill("Dijon")
    field.scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "commune.png"), full_page=False)
    page.close()


def test_the_migration_codes_the_communes_stored_and_forgets_the_erased_ones_text(database_url):
    upgrade(PACKAGE, database_url, "3f1b2c7d9e4a")  # the revision before the codes
    engine = make_engine(database_url)
    try:
        table = Table("participants", MetaData(), autoload_with=engine)
        now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
        base = {
            "edition_id": EDITION, "role": "porteur", "status": "inscrit",
            "legal_form": "association", "tags": [], "wants": [], "refuses": [], "sessions": [],
            "availability": "journee", "lunch": False, "consent_share_profile": False,
            "consent_contact": False, "source": "formulaire", "revision": 1,
            "created_at": now, "updated_at": now,
        }  # fmt: skip
        typed = {
            "p1": ("dijon", None),
            "p2": ("Lyon", None),
            "p3": ("Chenôve", now),
            "p4": (None, None),
        }
        with engine.begin() as conn:
            for pid, (commune, erased_at) in typed.items():
                values = {"participant_id": pid, "commune": commune, "erased_at": erased_at}
                conn.execute(table.insert().values(**base, **values, token_nonce=pid))
        upgrade(PACKAGE, database_url)
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT participant_id, commune, commune_code FROM participants")
            )
            stored = {pid: (commune, code) for pid, commune, code in rows}
    finally:
        engine.dispose()
    assert stored == {
        "p1": ("dijon", "21231"),
        "p2": ("Lyon", "autre"),
        "p3": (None, "21166"),  # erased: the code only
        "p4": (None, None),
    }
