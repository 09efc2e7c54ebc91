"""The back-office: accounts, login, list, edit, cancel, promote, exports."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from services.registration.adapters.exports import COLUMNS
from services.registration.entrypoints.http import create_app
from shared.french import french_datetime
from shared.web.auth import ADMIN_COOKIE, AdminSessions
from tests.integration.registration.conftest import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    EDITION,
    csrf_token,
    expert_form,
    holder_form,
    outbox_events,
    participant_rows,
    submit,
)
from tests.support.spreadsheets import FORMULAS, csv_cells, quoted, xlsx_cells


def test_admin_create_command_stores_an_argon2_hash(kit, database_url, monkeypatch):
    from rencontres.cli import main

    monkeypatch.setenv("REGISTRATION_DATABASE_URL", database_url)
    runner = CliRunner()
    result = runner.invoke(
        main,
        ["registration", "admin", "create", "--email", "Chef@PES21.example"],
        input="mot de passe très long\nmot de passe très long\n",
    )
    assert result.exit_code == 0, result.output
    assert "Compte créé : Chef@PES21.example" in result.output
    from sqlalchemy import select

    from services.registration.adapters.db import admins

    with kit.engine.connect() as conn:
        [row] = conn.execute(select(admins)).all()
    assert row.email == "chef@pes21.example"
    assert row.password_hash.startswith("$argon2id$")
    short = runner.invoke(
        main,
        ["registration", "admin", "create", "--email", "x@pes21.example"],
        input="court\ncourt\n",
    )
    assert short.exit_code != 0 and "au moins 12 caractères" in short.output


def test_a_new_password_or_disabling_ends_the_sessions_from_the_command_line(
    kit, database_url, redis_url, bus_prefix, monkeypatch
):
    from rencontres.cli import main

    for name, value in (
        ("REGISTRATION_DATABASE_URL", database_url),
        ("REDIS_URL", redis_url),
        ("BUS_PREFIX", bus_prefix),
        ("SECRET_KEY", kit.settings.secret_key.get_secret_value()),
    ):
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    create = ["registration", "admin", "create", "--email", ADMIN_EMAIL]
    password = f"{ADMIN_PASSWORD}\n{ADMIN_PASSWORD}\n"
    assert runner.invoke(main, create, input=password).exit_code == 0
    sessions = AdminSessions.for_settings(kit.settings)
    first = sessions.open(ADMIN_EMAIL)
    changed = runner.invoke(main, create, input=password)
    assert changed.exit_code == 0, changed.output
    assert "Mot de passe changé" in changed.output and sessions.email_of(first) is None
    second, third = sessions.open(ADMIN_EMAIL), sessions.open(ADMIN_EMAIL)
    disable = ["registration", "admin", "disable", "--email", ADMIN_EMAIL.upper()]
    disabled = runner.invoke(main, disable)
    assert disabled.exit_code == 0, disabled.output
    assert f"Compte désactivé : {ADMIN_EMAIL.upper()} (2 session(s) fermée(s))" in disabled.output
    assert sessions.email_of(second) is None and sessions.email_of(third) is None
    unknown = runner.invoke(
        main, ["registration", "admin", "disable", "--email", "x@pes21.example"]
    )
    assert unknown.exit_code != 0 and "aucun compte pour x@pes21.example" in unknown.output


def test_the_sessions_end_once_the_change_is_committed_never_on_a_rollback(kit):
    from services.registration.service_layer.admins import (
        authenticate,
        create_admin,
        disable_admin,
    )
    from shared.db import transaction

    with transaction(kit.factory) as session:
        create_admin(session, kit, ADMIN_EMAIL, ADMIN_PASSWORD)
    sessions = AdminSessions.for_settings(kit.settings)
    cookie = sessions.open(ADMIN_EMAIL)
    with pytest.raises(RuntimeError), transaction(kit.factory) as session:
        disable_admin(session, kit, ADMIN_EMAIL)
        raise RuntimeError("the caller's next step fails")
    assert sessions.email_of(cookie) == ADMIN_EMAIL
    assert authenticate(kit, ADMIN_EMAIL, ADMIN_PASSWORD) == ADMIN_EMAIL
    with transaction(kit.factory) as session:
        create_admin(session, kit, ADMIN_EMAIL, "un autre mot de passe")
        assert sessions.email_of(cookie) == ADMIN_EMAIL  # not before the commit
    assert sessions.email_of(cookie) is None
    assert authenticate(kit, ADMIN_EMAIL, "un autre mot de passe") == ADMIN_EMAIL


def test_login_sets_a_signed_httponly_lax_cookie(kit, client):
    from services.registration.service_layer.admins import create_admin
    from shared.db import transaction

    with transaction(kit.factory) as session:
        create_admin(session, kit, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert client.get("/admin/accueil", follow_redirects=False).headers["location"] == (
        "/admin/login?suite=%2Fadmin%2Faccueil"
    )
    token = csrf_token(client.get("/admin/login").text)
    wrong = client.post(
        "/admin/login", data={"csrf_token": token, "email": ADMIN_EMAIL, "password": "non"}
    )
    assert wrong.status_code == 401 and "mot de passe incorrect" in wrong.text
    answer = client.post(
        "/admin/login",
        data={"csrf_token": token, "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{ADMIN_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    value = client.cookies[ADMIN_COOKIE]
    sessions = AdminSessions.for_settings(kit.settings)
    assert sessions.email_of(value) == ADMIN_EMAIL
    forged = AdminSessions(sessions.client, sessions.prefix, "another-secret", 1)
    assert forged.email_of(value) is None
    assert client.get("/admin/participants").status_code == 200
    assert answer.headers["location"] == "/admin"


def test_login_returns_to_the_page_asked_for_and_never_elsewhere(kit, client):
    from services.registration.service_layer.admins import create_admin
    from shared.db import transaction

    with transaction(kit.factory) as session:
        create_admin(session, kit, ADMIN_EMAIL, ADMIN_PASSWORD)
    page = client.get("/admin/login", params={"suite": "/admin/accueil"})
    assert 'name="suite" value="/admin/accueil"' in page.text
    token = csrf_token(page.text)
    for asked, landing in (
        ("/admin/accueil", "/admin/accueil"),
        ("https://ailleurs.example/admin/", "/admin"),
        ("//ailleurs.example", "/admin"),
    ):
        answer = client.post(
            "/admin/login",
            data={
                "csrf_token": token,
                "email": ADMIN_EMAIL,
                "password": ADMIN_PASSWORD,
                "suite": asked,
            },
            follow_redirects=False,
        )
        assert answer.headers["location"] == landing


def test_login_is_rate_limited(make_kit):
    kit = make_kit(login_per_email=3)
    client = TestClient(create_app(kit))
    token = csrf_token(client.get("/admin/login").text)
    codes = [
        client.post(
            "/admin/login", data={"csrf_token": token, "email": ADMIN_EMAIL, "password": "x"}
        ).status_code
        for _ in range(4)
    ]
    assert codes == [401, 401, 401, 429]


def test_list_filters_and_search(admin_client, kit):
    submit(admin_client, "porteur", holder_form())
    submit(
        admin_client,
        "porteur",
        holder_form(
            email="scop@example.org", structure="Scop Bâtir", forme="scop", stade="developpement",
            commune="Beaune", besoin_1="relation-bancaire", besoin_2="",
        ),
    )  # fmt: skip
    submit(admin_client, "expert", expert_form())

    def names(**params: str) -> list[str]:
        html = admin_client.get("/admin/participants", params=params).text
        return [
            n for n in ("Jardins du Suzon", "Scop Bâtir", "Fondation du Bien Commun") if n in html
        ]

    assert names() == ["Jardins du Suzon", "Scop Bâtir", "Fondation du Bien Commun"]
    assert names(role="expert") == ["Fondation du Bien Commun"]
    assert names(legal_form="scop") == ["Scop Bâtir"]
    assert names(stage="creation") == ["Jardins du Suzon"]
    assert names(commune="beaune") == ["Scop Bâtir"]
    assert names(tag="mecenat") == ["Jardins du Suzon", "Fondation du Bien Commun"]
    assert names(q="batir") == ["Scop Bâtir"]
    assert names(status="liste-attente") == []


def test_edit_cancel_and_promote_publish_their_events(admin_client, kit):
    from services.registration.service_layer.editions import apply_edition_updated
    from shared.edition import default_edition
    from shared.events import EditionUpdated

    settings = default_edition().model_copy(update={"capacity_holders": 1})
    with kit.factory() as session, session.begin():
        apply_edition_updated(session, EditionUpdated(edition_id=EDITION, settings=settings))
    submit(admin_client, "porteur", holder_form())
    submit(admin_client, "porteur", holder_form(email="b@example.org", structure="B"))
    first, second = participant_rows(kit)
    assert second.status == "liste-attente"

    page = admin_client.get(f"/admin/participants/{first.participant_id}")
    assert 'value="Les Jardins du Suzon"' in page.text
    form = {**holder_form(commune="Chenôve"), "csrf_token": csrf_token(page.text)}
    answer = admin_client.post(f"/admin/participants/{first.participant_id}", data=form)
    assert answer.status_code == 200 and "Modifications enregistrées." in answer.text

    token = csrf_token(page.text)
    assert (
        admin_client.post(f"/admin/participants/{first.participant_id}/annuler").status_code == 403
    )
    admin_client.post(
        f"/admin/participants/{first.participant_id}/annuler", data={"csrf_token": token}
    )
    admin_client.post(
        f"/admin/participants/{second.participant_id}/promouvoir", data={"csrf_token": token}
    )
    first, second = participant_rows(kit)
    assert (first.commune, first.status, second.status) == ("Chenôve", "annule", "inscrit")
    types = [(e["event_type"], e["participant_id"]) for e in outbox_events(kit)]
    assert types[2:] == [
        ("ParticipantUpdated", first.participant_id),
        ("ParticipantCancelled", first.participant_id),
        ("ParticipantUpdated", second.participant_id),
    ]
    assert outbox_events(kit)[-1]["status"] == "inscrit"


def test_csv_and_xlsx_exports(admin_client, kit):
    submit(admin_client, "porteur", holder_form(structure='=HYPERLINK("http://x")'))
    submit(admin_client, "expert", expert_form())
    answer = admin_client.get("/admin/participants.csv", params={"role": "porteur"})
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig")), delimiter=";"))
    assert len(lines) == 1
    assert lines[0]["email"] == "camille.durand@asso-exemple.fr"
    assert lines[0]["structure"] == '\'=HYPERLINK("http://x")'
    assert (
        lines[0]["forme"] == "Association"
        and lines[0]["thematiques"] == "mecenat;budget-previsionnel"
    )
    assert lines[0]["statut"] == "Inscrit" and lines[0]["repas"] == "oui"

    answer = admin_client.get("/admin/participants.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("role", "prenom", "nom", "email")
    assert sorted(r[0] for r in rows[1:]) == ["expert", "porteur"]


def test_cookies_are_secure_in_production(make_kit):
    from services.registration.service_layer.admins import create_admin
    from shared.db import transaction

    kit = make_kit(environment="production")
    with transaction(kit.factory) as session:
        create_admin(session, kit, ADMIN_EMAIL, ADMIN_PASSWORD)
    client = TestClient(create_app(kit), base_url="https://testserver")
    page = client.get("/admin/login")
    assert "Secure" in page.headers["set-cookie"]  # the CSRF cookie
    answer = client.post(
        "/admin/login",
        data={
            "csrf_token": csrf_token(page.text),
            "email": ADMIN_EMAIL,
            "password": ADMIN_PASSWORD,
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{ADMIN_COOKIE}=") and "Secure" in cookie and "HttpOnly" in cookie


def test_exports_run_no_formula_whatever_was_typed(admin_client, kit):
    from sqlalchemy import update

    from services.registration.adapters.db import participants

    for n, value in enumerate(FORMULAS):
        submit(admin_client, "porteur", holder_form(email=f"p{n}@asso.example"))
    with kit.engine.begin() as conn:
        for row, value in zip(participant_rows(kit), FORMULAS, strict=True):
            conn.execute(
                update(participants)
                .where(participants.c.participant_id == row.participant_id)
                .values(
                    first_name=value,
                    last_name=value,
                    organisation=value,
                    commune=value,
                    accessibility=value,
                )
            )
    answer = admin_client.get("/admin/participants.csv")
    rows = csv_cells(answer.content.decode("utf-8"), delimiter=";")
    header = rows[0]
    for column in ("prenom", "nom", "structure", "commune", "accessibilite"):
        written = sorted(r[header.index(column)] for r in rows[1:])
        assert written == sorted(quoted(v) for v in FORMULAS), column
    sheet = xlsx_cells(admin_client.get("/admin/participants.xlsx").content)["participants"]
    # XML reads a carriage return back as a line feed.
    assert sorted(r[COLUMNS.index("structure")] for r in sheet[1:]) == sorted(
        quoted(v).replace("\r", "\n") for v in FORMULAS
    )


def test_operator_erases_a_participant_after_a_confirmation_page(admin_client, kit):
    submit(admin_client, "porteur", holder_form())
    [row] = participant_rows(kit)
    page = admin_client.get(f"/admin/participants/{row.participant_id}")
    assert f'href="/admin/participants/{row.participant_id}/effacer"' in page.text
    confirmation = admin_client.get(f"/admin/participants/{row.participant_id}/effacer")
    assert confirmation.status_code == 200
    assert "Effacer définitivement" in confirmation.text and "danger" in confirmation.text
    assert participant_rows(kit)[0].erased_at is None  # the page only reads
    url = f"/admin/participants/{row.participant_id}/effacer"
    assert admin_client.post(url).status_code == 403
    answer = admin_client.post(url, data={"csrf_token": csrf_token(confirmation.text)})
    assert answer.status_code == 200 and "Données effacées" in answer.text
    [erased] = participant_rows(kit)
    assert erased.erased_at is not None and erased.email is None and erased.last_name is None
    assert outbox_events(kit)[-1]["event_type"] == "ParticipantErased"
    assert set(outbox_events(kit)[-1]) >= {"participant_id", "edition_id"}
    again = admin_client.get(url)
    assert again.status_code == 404 and "<html" in again.text.lower()


def test_erase_command_asks_unless_yes(admin_client, kit, database_url, monkeypatch):
    from rencontres.cli import main

    submit(admin_client, "porteur", holder_form())
    monkeypatch.setenv("REGISTRATION_DATABASE_URL", database_url)
    runner = CliRunner()
    email = holder_form()["email"].upper()
    refused = runner.invoke(main, ["registration", "erase", "--email", email], input="n\n")
    assert refused.exit_code == 1 and "1 inscription(s)" in refused.output
    assert participant_rows(kit)[0].erased_at is None
    done = runner.invoke(main, ["registration", "erase", "--email", email, "--yes"])
    assert done.exit_code == 0, done.output
    assert "1 inscription(s) effacée(s)" in done.output
    assert participant_rows(kit)[0].erased_at is not None
    unknown = runner.invoke(main, ["registration", "erase", "--email", email, "--yes"])
    assert unknown.exit_code == 1 and "aucune inscription" in unknown.output
    invalid = runner.invoke(main, ["registration", "erase", "--email", "pas une adresse"])
    assert invalid.exit_code == 1 and "adresse invalide" in invalid.output


def test_the_edit_page_speaks_to_the_team_and_shows_the_recorded_consents(admin_client, kit):
    submit(admin_client, "porteur", holder_form())
    [row] = participant_rows(kit)
    assert row.consent_share_profile and row.consent_share_profile_at is not None
    page = admin_client.get(f"/admin/participants/{row.participant_id}")
    text = " ".join(page.text.replace("&#39;", "'").split())
    # The team's words, not the public form's.
    assert "Le participant recevra son planning" in text
    assert "Vous recevrez" not in text and "J'accepte" not in text
    assert "Vos données personnelles" not in text  # the notice the person read, not the team
    assert "Ses accords, tels qu'enregistrés" in text
    given = french_datetime(row.consent_share_profile_at)
    assert f"Enregistré : accordé le {given}." in text
    assert "Enregistré : non accordé." in text  # the contact for next editions

    # The team withdraws one at the person's request and records the other.
    form = {
        **holder_form(),
        "consentement_partage": "",
        "consentement_contact": "oui",
        "csrf_token": csrf_token(page.text),
    }
    answer = admin_client.post(f"/admin/participants/{row.participant_id}", data=form)
    assert answer.status_code == 200 and "Modifications enregistrées." in answer.text
    [row] = participant_rows(kit)
    assert (row.consent_share_profile, row.consent_share_profile_at) == (False, None)
    assert row.consent_contact and row.consent_contact_at is not None

    # The public form keeps its own words.
    public = admin_client.get(f"/inscription/{EDITION}/porteur").text.replace("&#39;", "'")
    assert "J'accepte que mon nom" in public and "Vous recevrez votre planning" in public
