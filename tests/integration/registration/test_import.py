"""Importing the participants spreadsheet: every variant, all rows or none, idempotent."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from services.registration.adapters.db import import_jobs as import_jobs_table
from services.registration.entrypoints import import_worker
from services.registration.entrypoints.import_worker import import_now
from services.registration.service_layer import import_jobs
from tests.integration.registration.conftest import (
    EDITION,
    csrf_token,
    holder_form,
    outbox_events,
    participant_rows,
    submit,
    submit_job,
)
from tests.unit.formats.spreadsheets import FRENCH_HEADER, realistic_rows, to_csv, to_xlsx

ROWS = realistic_rows(holders=45, experts=15)


def _event_types(kit) -> list[str]:
    return [e["event_type"] for e in outbox_events(kit)]


def test_realistic_file_imports_60_people_once(kit):
    data = to_csv(ROWS, sep=";", bom=True, crlf=True)
    report = import_now(kit, EDITION, data, "inscrits.csv", dry_run=False)
    assert report.errors == []
    assert (report.outcome.created, report.outcome.updated, report.outcome.unchanged) == (60, 0, 0)
    assert _event_types(kit) == ["ParticipantRegistered"] * 60
    rows = participant_rows(kit)
    assert len(rows) == 60
    experts = {r.organisation: r.participant_id for r in rows if r.role == "expert"}
    holder = next(r for r in rows if r.email == "contact0@asso.example")
    assert holder.first_name == "Loïc0" and holder.last_name == "Bérard0"
    assert all(r.email == r.email.strip().lower() for r in rows)
    assert {r.legal_form for r in rows if r.role == "porteur"} <= {
        "association", "scop", "scic", "cooperative", "entreprise-esus", "en-creation",
    }  # fmt: skip
    # Wishes written as upper-case organisation names are published as ids.
    events = outbox_events(kit)
    wishing = [e for e in events if e["role"] == "porteur" and e["wants"]]
    assert wishing and all(set(e["wants"]) <= set(experts.values()) for e in wishing)

    again = import_now(kit, EDITION, data, "inscrits.csv", dry_run=False)
    assert (again.outcome.created, again.outcome.updated, again.outcome.unchanged) == (0, 0, 60)
    assert len(outbox_events(kit)) == 60
    assert [r.revision for r in participant_rows(kit)] == [1] * 60


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("virgules.csv", to_csv(ROWS, sep=",", bom=False, crlf=False)),
        ("points-virgules-lf.csv", to_csv(ROWS, sep=";", bom=True, crlf=False)),
        ("classeur.xlsx", to_xlsx(ROWS)),
    ],
)
def test_spreadsheet_variants_import_the_same_people(kit, name, data):
    reference = to_csv(ROWS)
    report = import_now(kit, EDITION, data, name, dry_run=False)
    assert report.errors == [] and report.outcome.created == 60
    # The same people written another way change nothing.
    again = import_now(kit, EDITION, reference, "inscrits.csv", dry_run=False)
    assert (again.outcome.created, again.outcome.updated) == (0, 0)
    assert len(outbox_events(kit)) == 60


def test_a_file_with_bad_lines_imports_nothing_and_names_each_one(kit):
    rows = [list(r) for r in ROWS[:6]]
    rows[2][3] = "pas-une-adresse"  # line 3: email
    rows[4][6] = "SARL"  # line 5: forme
    rows[5][2] = "Dupré\r\nBcc: x@example.org"  # line 6: a line break in a name
    report = import_now(kit, EDITION, to_csv(rows), "faux.csv", dry_run=False)
    found = {(i.line, i.column) for i in report.errors}
    assert {(3, "email"), (5, "forme"), (6, "nom")} <= found
    assert any("adresse email invalide" in i.message for i in report.errors)
    assert report.outcome is None
    assert participant_rows(kit) == [] and outbox_events(kit) == []


def test_the_file_is_held_to_the_forms_rules(kit):
    """A phone, a meetings count or a name that the form refuses, the import refuses too, by
    line and column; a count the form takes (0 to 30) is kept as it is."""
    column = {name: FRENCH_HEADER.index(name) for name in ("prenom", "telephone", "rdv_max")}
    rows = [list(r) for r in ROWS[:5]]
    rows[1][column["telephone"]] = "appeler le standard"  # line 2
    rows[2][column["rdv_max"]] = "31"  # line 3
    rows[3][column["prenom"]] = "Jean\tPierre"  # line 4
    rows[4][column["rdv_max"]] = "0"  # line 5: fine
    report = import_now(kit, EDITION, to_csv(rows), "faux.csv", dry_run=False)
    assert [(i.line, i.column, i.message) for i in report.errors] == [
        (2, "telephone", "téléphone « appeler le standard » invalide : attendu par exemple "
         "03 80 00 00 00"),
        (3, "rdv_max", "nombre de rendez-vous invalide : 31 (attendu un nombre entier de 0 à 30)"),
        (4, "prenom", "tabulation ou caractère de contrôle interdit"),
    ]  # fmt: skip
    assert participant_rows(kit) == [] and outbox_events(kit) == []
    report = import_now(kit, EDITION, to_csv([rows[0], rows[4]]), "bon.csv", dry_run=False)
    assert report.errors == []
    assert [r.max_meetings for r in participant_rows(kit)] == [0]


def test_dry_run_reports_and_keeps_nothing(kit):
    report = import_now(kit, EDITION, to_csv(ROWS), "inscrits.csv", dry_run=True)
    assert report.outcome.created == 60 and not report.outcome.applied
    assert participant_rows(kit) == [] and outbox_events(kit) == []


def test_a_file_giving_a_registered_email_the_other_role_is_refused(client, kit):
    submit(client, "porteur", holder_form(email="expert0@financeur.example"))
    report = import_now(kit, EDITION, to_csv(ROWS), "inscrits.csv", dry_run=False)
    [issue] = report.errors
    assert (issue.line, issue.column) == (2, "email")
    assert "déjà inscrite comme porteur de projet" in issue.message
    assert len(participant_rows(kit)) == 1 and len(outbox_events(kit)) == 1


def test_import_keeps_what_the_file_does_not_carry(client, kit):
    submit(client, "porteur", holder_form(email="contact0@asso.example"))
    report = import_now(kit, EDITION, to_csv(ROWS), "inscrits.csv", dry_run=False)
    assert (report.outcome.created, report.outcome.updated) == (59, 1)
    row = next(r for r in participant_rows(kit) if r.email == "contact0@asso.example")
    assert row.consent_share_profile is True and row.first_name == "Loïc0"


def _job_page(admin_client, kit, answer):
    """The job's page once this process's import thread would have run it."""
    assert answer.status_code == 303, answer.text[:300]
    location = answer.headers["location"]
    assert location.startswith("/admin/import/")
    waiting = admin_client.get(location)
    assert waiting.status_code == 200 and "en attente" in waiting.text
    assert '<meta http-equiv="refresh" content="1">' in waiting.text
    assert import_worker.run_next(kit)
    page = admin_client.get(location)
    assert page.status_code == 200 and 'http-equiv="refresh"' not in page.text
    return " ".join(page.text.split())


def test_import_page_checks_then_imports_in_the_background(admin_client, kit):
    page = admin_client.get("/admin/import")
    assert "Aucun import ces 30 derniers jours." in page.text
    token = csrf_token(page.text)
    files = {"fichier": ("inscrits.xlsx", to_xlsx(ROWS), "application/octet-stream")}
    post = {"csrf_token": token, "edition": EDITION}
    checked = admin_client.post(
        "/admin/import", data={**post, "action": "verifier"}, files=files, follow_redirects=False
    )
    text = _job_page(admin_client, kit, checked)
    assert "60 nouveaux, 0 modifié, 0 inchangé (rien n'est encore enregistré)" in text
    assert "Importer ce fichier" in text and "État : <strong>terminé</strong>" in text
    assert participant_rows(kit) == []
    done = admin_client.post(
        "/admin/import", data={**post, "action": "importer"}, files=files, follow_redirects=False
    )
    text = _job_page(admin_client, kit, done)
    assert "Import de inscrits.xlsx : 60 nouveaux, 0 modifié, 0 inchangé." in text
    assert len(participant_rows(kit)) == 60

    bad = to_csv([FRENCH_HEADER, ["porteur", "A", "B", "faux", *[""] * 12]])
    refused = admin_client.post(
        "/admin/import", data={**post, "action": "importer"},
        files={"fichier": ("faux.csv", bad, "text/csv")}, follow_redirects=False,
    )  # fmt: skip
    text = _job_page(admin_client, kit, refused)
    assert "Fichier refusé : 1 erreur, rien n'a été importé" in text
    assert "<td>2</td><td>email</td><td>adresse email invalide : faux</td>" in text
    # The files are erased with their jobs' end; their results are listed.
    with kit.factory() as session:
        jobs = session.execute(select(import_jobs_table)).all()
    assert [j.content for j in jobs] == [None] * 3 and {j.state for j in jobs} == {"done"}
    listing = " ".join(admin_client.get("/admin/import").text.split())
    assert listing.count("/admin/import/") == 3
    assert "refusé : 1 erreur" in listing and "60 nouveaux, 0 modifié, 0 inchangé" in listing


def test_import_command(kit, database_url, monkeypatch, tmp_path):
    from click.testing import CliRunner

    from rencontres.cli import main

    monkeypatch.setenv("REGISTRATION_DATABASE_URL", database_url)
    good = tmp_path / "inscrits.csv"
    good.write_bytes(to_csv(ROWS))
    runner = CliRunner()
    checked = runner.invoke(main, ["registration", "import", str(good), "--dry-run"])
    assert checked.exit_code == 0, checked.output
    assert "60 créé(s), 0 modifié(s), 0 inchangé(s) : seraient importés" in checked.output
    assert participant_rows(kit) == []
    done = runner.invoke(main, ["registration", "import", str(good), "--edition", EDITION])
    assert "60 créé(s), 0 modifié(s), 0 inchangé(s) : ont été importés" in done.output
    assert len(participant_rows(kit)) == 60

    bad = tmp_path / "faux.csv"
    bad.write_bytes(to_csv([FRENCH_HEADER, ["porteur", "A", "B", "faux", *[""] * 12]]))
    refused = runner.invoke(main, ["registration", "import", str(bad)])
    assert refused.exit_code == 1
    assert "erreur, ligne 2, colonne « email » : adresse email invalide : faux" in refused.output
    assert "fichier refusé : rien n'a été importé" in refused.output


def test_a_job_left_running_by_a_stopped_process_fails_and_one_runs_at_a_time(kit):
    import datetime as dt

    from shared.events import utc_now

    data = to_csv(ROWS)
    silent, alive, waiting = (
        submit_job(kit, EDITION, name, data, dry_run=False) for name in ("a", "b", "c")
    )
    now = utc_now()
    with kit.engine.begin() as conn:
        for job_id, beat in ((silent, now - dt.timedelta(minutes=11)), (alive, now)):
            conn.execute(
                import_jobs_table.update()
                .where(import_jobs_table.c.job_id == job_id)
                .values(state="running", owner="autre-machine:1", heartbeat_at=beat)
            )
    # Another host's job that still reports holds the others back; the silent one has failed.
    assert not import_worker.run_next(kit)
    with kit.factory() as session:
        states = {j: import_jobs.get_job(session, j) for j in (silent, alive, waiting)}
    assert states[silent].state == "failed" and states[silent].result == {
        "message": import_jobs.INTERRUPTED
    }
    assert (states[alive].state, states[waiting].state) == ("running", "waiting")
    with kit.engine.begin() as conn:
        conn.execute(
            import_jobs_table.update()
            .where(import_jobs_table.c.job_id == alive)
            .values(heartbeat_at=now - dt.timedelta(minutes=11))
        )
    assert import_worker.run_next(kit)
    with kit.factory() as session:
        assert import_jobs.get_job(session, waiting).state == "done"
        assert import_jobs.get_job(session, alive).state == "failed"
    assert len(participant_rows(kit)) == 60
