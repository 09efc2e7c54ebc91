"""The report's « Présents par commune » from the codes the events carry, and from the text
that the read model held before (its migration), so past reports keep their figures."""

from __future__ import annotations

from sqlalchemy import text

from services.surveys.bootstrap import bootstrap
from services.surveys.service_layer import report as reports
from shared.db import make_engine
from shared.events import Role
from shared.migrations import upgrade
from tests.support.surveys import EDITION, PACKAGE, register

BEFORE_CODES = "a4c7e9d2b816"  # the read model still held the commune as typed


def test_codes_are_named_and_a_commune_outside_the_list_is_another_commune(kit):
    for typed in ("Dijon", "dijon", "Chenôve", "Paris", "Je suis Marie, 06 12 34 56 78"):
        register(kit, commune=typed)
    register(kit, role=Role.EXPERT, legal_form="banque", commune=None)
    with kit.factory() as session:
        figures = reports.build_report(session, EDITION).participants
    assert figures.present_by_commune == [
        ("Autre commune", 2),
        ("Dijon", 2),
        ("Chenôve", 1),
        ("Non renseigné", 1),
    ]


def test_the_migration_turns_the_communes_typed_into_codes(settings):
    upgrade(PACKAGE, settings.database_url, BEFORE_CODES)
    engine = make_engine(settings.database_url)
    typed = {"p1": "Dijon", "p2": " dijon ", "p3": "Beaune (21)", "p4": "Lyon", "p5": None}
    with engine.begin() as conn:
        for pid, commune in typed.items():
            conn.execute(
                text(
                    "INSERT INTO participants (participant_id, edition_id, role, status,"
                    " legal_form, stage, commune, revision, checked_in, erased) VALUES"
                    " (:pid, :edition, 'porteur', 'inscrit', 'association', 'creation',"
                    " :commune, 1, :yes, :no)"
                ),
                {"pid": pid, "edition": EDITION, "commune": commune, "yes": True, "no": False},
            )
    engine.dispose()
    upgrade(PACKAGE, settings.database_url)
    kit = bootstrap(settings).kit
    try:
        with kit.engine.connect() as conn:
            rows = conn.execute(text("SELECT participant_id, commune_code FROM participants"))
            codes = {pid: code for pid, code in rows}
        assert codes == {"p1": "21231", "p2": "21231", "p3": "21054", "p4": "autre", "p5": None}
        with kit.factory() as session:
            figures = reports.build_report(session, EDITION).participants
        assert figures.present_by_commune == [
            ("Dijon", 2),
            ("Autre commune", 1),
            ("Beaune", 1),
            ("Non renseigné", 1),
        ]
    finally:
        kit.engine.dispose()
