"""The pages and the internal API over HTTP: links, problems, venue QR code, back-office."""

from __future__ import annotations

import datetime as dt
import html
import os
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from services.surveys.adapters.db import responses
from services.surveys.entrypoints.due import run_due
from services.surveys.entrypoints.http import create_app
from services.surveys.metrics import ANSWERS
from services.surveys.service_layer import surveys as uc
from shared.db import transaction
from shared.events import Role
from shared.web.auth import ADMIN_COOKIE
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
DAY_FORM = {
    "organisation": "5",
    "qualite_rdv": "4",
    "reviendrait": "oui",
    "recommandation": "10",
    "commentaires": "Très utile <b>merci</b>",
}


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(DAY_END + dt.timedelta(minutes=5))


@pytest.fixture
def client(kit, clock) -> TestClient:
    app = create_app(kit)
    app.state.clock = clock
    # No lifespan: the bus is not started, events stay in the outbox.
    return with_csrf(TestClient(app), kit.settings)


@pytest.fixture
def admin(client, kit) -> TestClient:
    client.cookies.set(
        ADMIN_COOKIE,
        admin_cookie(kit.settings),
    )
    return client


def invite_one(kit, **kwargs):
    holder = register(kit, **kwargs)
    close_day(kit)
    (request,) = [
        e for e in published(kit, "SurveyInvitationRequested") if e["participant_id"] == str(holder)
    ]
    return holder, request["invitation_id"]


def test_internal_invitation_endpoint_issues_a_fresh_link(client, kit):
    holder, invitation = invite_one(kit)
    assert client.post(f"/internal/invitations/{invitation}/link").status_code == 401
    bad = {"Authorization": "Bearer nope"}
    assert client.post(f"/internal/invitations/{invitation}/link", headers=bad).status_code == 401
    assert (
        client.post(
            "/internal/invitations/00000000-0000-0000-0000-000000000000/link", headers=SERVICE
        ).status_code
        == 404
    )
    first = client.post(f"/internal/invitations/{invitation}/link", headers=SERVICE).json()
    second = client.post(f"/internal/invitations/{invitation}/link", headers=SERVICE).json()
    assert first["participant_id"] == str(holder)
    assert (
        first["survey_title"] == "Votre avis sur la journée des Rencontres du financement de l'ESS"
    )
    assert first["closes_at"] == "2026-12-10T16:00:00Z"
    assert first["answered"] is False and first["open"] is True
    assert re.fullmatch(r"http://testserver/q/[A-Za-z0-9_-]{43}", first["link"])
    assert first["link"] != second["link"]


def test_answer_correct_and_problem_pages(client, kit, clock):
    _holder, invitation = invite_one(kit)
    expert = register(kit, role=Role.EXPERT, legal_form="banque")
    link = client.post(f"/internal/invitations/{invitation}/link", headers=SERVICE).json()["link"]
    path = link.replace("http://testserver", "")
    page = client.get(path)
    assert page.status_code == 200
    assert 'lang="fr"' in page.text and "Organisation de la journée" in page.text
    # Missing required answers: the page comes back with the messages and what was typed.
    incomplete = client.post(path, data={"organisation": "5", "commentaires": "Gardez-moi"})
    assert incomplete.status_code == 422
    assert "Quelques réponses sont à compléter" in incomplete.text
    assert "Gardez-moi" in incomplete.text
    assert 'value="5" checked' in incomplete.text
    done = client.post(path, data=DAY_FORM)
    assert done.status_code == 200 and "Merci" in done.text
    again = client.get(path)
    assert "Nous avons bien votre réponse" in again.text and 'value="10" checked' in again.text
    assert "Très utile &lt;b&gt;merci&lt;/b&gt;" in again.text  # escaped
    assert client.post(path, data={**DAY_FORM, "organisation": "2"}).status_code == 200
    with kit.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(responses)).scalar_one() == 1
    assert (
        client.post(f"/internal/invitations/{invitation}/link", headers=SERVICE).json()["answered"]
        is True
    )
    # Closed: the link shows a clear page, and nothing changes.
    clock.now = DAY_END + dt.timedelta(days=22)
    closed = client.post(path, data={**DAY_FORM, "organisation": "1"})
    assert closed.status_code == 410 and "Ce questionnaire est clos" in closed.text
    assert client.get(path).status_code == 410
    unknown = client.get("/q/" + "A" * 43)
    assert unknown.status_code == 404 and "Lien inconnu" in unknown.text
    del expert


def test_expired_link_page(client, kit, clock):
    _, invitation = invite_one(kit)
    path = (
        client.post(f"/internal/invitations/{invitation}/link", headers=SERVICE)
        .json()["link"]
        .replace("http://testserver", "")
    )
    with transaction(kit.factory) as session:
        uc.set_closing(session, uc.list_surveys(session, EDITION)[0].survey_id, None)
    clock.now = clock.now + dt.timedelta(days=kit.settings.token_ttl_days)
    page = client.get(path)
    assert page.status_code == 410 and "Ce lien a expiré" in page.text


def test_each_meeting_is_rated_on_the_page(client, kit):
    holder, invitation = invite_one(kit)
    expert = register(kit, role=Role.EXPERT, legal_form="banque")
    aid = meeting(kit, holder, expert, 10)
    path = (
        client.post(f"/internal/invitations/{invitation}/link", headers=SERVICE)
        .json()["link"]
        .replace("http://testserver", "")
    )
    page = client.get(path)
    assert "Votre rendez-vous de 10 h 00" in page.text  # 09:00 UTC is 10:00 in Dijon
    assert client.post(path, data={**DAY_FORM, f"rdv__{aid}": "3"}).status_code == 200
    assert published(kit, "SurveyAnswered")[-1]["scores"][f"rdv:{aid}"] == 3


def test_conditional_questions_are_checked_on_the_server(client, kit, clock):
    holder = register(kit)
    close_day(kit)
    clock.now = DAY_END + dt.timedelta(days=42)
    run_due(kit.factory, kit.outbox, kit.settings, clock.now)
    (request,) = [e for e in published(kit, "SurveyInvitationRequested") if e["kind"] == "ex-post"]
    assert request["participant_id"] == str(holder)
    path = (
        client.post(f"/internal/invitations/{request['invitation_id']}/link", headers=SERVICE)
        .json()["link"]
        .replace("http://testserver", "")
    )
    page = client.get(path)
    assert "Seulement si vous avez répondu « oui » à : Avez-vous obtenu un financement" in page.text
    # « non » to the financing question: its follow-ups are not required and not kept.
    form = {"contacts_suivis": "oui", "financement_obtenu": "non", "montant": "Plus de 50 000 €"}
    assert client.post(path, data=form).status_code == 200
    with kit.factory() as session:
        survey = next(s for s in uc.list_surveys(session, EDITION) if s.kind.value == "ex-post")
        assert uc.answers_of(session, survey.survey_id) == [
            {"contacts_suivis": True, "financement_obtenu": False}
        ]


def test_venue_link_and_qr_code(client, admin, kit):
    # Reading the page prepares nothing: it says to prepare the questionnaires first.
    before = admin.get(f"/admin/editions/{EDITION}/venue")
    assert "Préparez d'abord les questionnaires" in html.unescape(before.text)
    with kit.factory() as session:
        assert uc.list_surveys(session, EDITION) == []
    admin.post(f"/admin/editions/{EDITION}/surveys/prepare")
    page = admin.get(f"/admin/editions/{EDITION}/venue")
    assert page.status_code == 200 and "<svg" in page.text
    code = re.search(r"http://testserver/j/([A-Z0-9]{6})", page.text).group(1)
    assert "testserver/j/" + code in page.text
    qr = client.get(f"/j/{code}/qr.svg")
    assert qr.status_code == 200 and qr.headers["content-type"] == "image/svg+xml"
    form_page = client.get(f"/j/{code.lower()}")
    assert form_page.status_code == 200
    submission = re.search(r'name="submission_id" value="([^"]+)"', form_page.text).group(1)
    data = {**DAY_FORM, "submission_id": submission}
    answers = ANSWERS.labels("journee", "venue")
    counted = answers._value.get()
    assert client.post(f"/j/{code}", data=data).status_code == 200
    assert (
        client.post(f"/j/{code}", data={**data, "organisation": "3"}).status_code == 200
    )  # double send
    assert answers._value.get() == counted + 2  # a correction counts again
    assert client.get("/j/ZZZZZZ").status_code == 404
    with kit.factory() as session:
        survey = uc.day_survey(session, EDITION)
        assert uc.response_counts(session, survey.survey_id) == (0, 0, 1)
        assert uc.answers_of(session, survey.survey_id)[0]["organisation"] == 3
    assert published(kit, "SurveyAnswered") == []  # anonymous: no participant to name


def test_back_office_needs_the_admin_session(client):
    # A person is sent to the login page (served by registration), a program gets 401.
    page = client.get(f"/admin/editions/{EDITION}/surveys", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].startswith("http://127.0.0.1:8001/admin/login?suite=")
    json_only = {"Accept": "application/json"}
    assert client.get(f"/admin/editions/{EDITION}/surveys", headers=json_only).status_code == 401
    client.cookies.set(ADMIN_COOKIE, "forged")
    assert client.get(f"/admin/editions/{EDITION}/report", headers=json_only).status_code == 401


def test_editor_add_move_remove_and_edit(admin, kit):
    assert admin.post(f"/admin/editions/{EDITION}/surveys/prepare").status_code == 200
    listing = admin.get(f"/admin/editions/{EDITION}/surveys").text
    assert (
        "Conférence-débat du matin – Mécénat et RSE" in listing
        and "Questionnaire de suivi" in listing
    )
    with kit.factory() as session:
        survey = next(
            s for s in uc.list_surveys(session, EDITION) if s.session_key == "conference-matin"
        )
    url = f"/admin/surveys/{survey.survey_id}/edit"
    page = admin.get(url).text
    assert 'value="Le thème de la conférence vous a-t-il intéressé·e ?"' in page

    def form_of(questions, title="Conférence du matin", **extra):
        data = {"title": title, "count": str(len(questions))}
        for n, q in enumerate(questions):
            data.update(
                {
                    f"q-{n}-id": q.id,
                    f"q-{n}-text": q.text,
                    f"q-{n}-type": q.type.value,
                    f"q-{n}-scale": f"{q.scale_min}-{q.scale_max}",
                    f"q-{n}-options": "\n".join(q.options),
                    f"q-{n}-help": q.help,
                }
            )
            if q.required:
                data[f"q-{n}-required"] = "1"
            if q.show_if:
                data[f"q-{n}-cond_q"] = q.show_if.question_id
                data[f"q-{n}-cond_values"] = ",".join(q.show_if.values)
        data.update(extra)
        return data

    def current():
        with kit.factory() as session:
            return uc.get_survey(session, survey.survey_id)

    qs = survey.questions
    assert admin.post(url, data=form_of(qs, action="add", new_type="single")).status_code == 200
    s = current()
    assert s.title == "Conférence du matin"
    assert [q.id for q in s.questions] == [
        "interet",
        "intervenants",
        "utilite",
        "commentaires",
        "q5",
    ]
    assert s.questions[-1].options == ("Choix 1", "Choix 2")
    data = form_of(s.questions, action="up:q5")
    data["q-4-text"] = "Comment avez-vous connu la journée ?"
    data["q-4-options"] = "Bouche à oreille\nSite du PES 21\nRéseaux sociaux"
    data["q-4-cond_q"], data["q-4-cond_values"] = "interet", "4, 5"
    admin.post(url, data=data)
    s = current()
    assert [q.id for q in s.questions] == [
        "interet",
        "intervenants",
        "utilite",
        "q5",
        "commentaires",
    ]
    assert s.questions[3].options == ("Bouche à oreille", "Site du PES 21", "Réseaux sociaux")
    assert s.questions[3].show_if.values == ("4", "5")
    admin.post(url, data=form_of(s.questions, action="delete:intervenants"))
    assert [q.id for q in current().questions] == ["interet", "utilite", "q5", "commentaires"]
    # An impossible condition is refused, nothing saved.
    bad = form_of(current().questions, action="save")
    bad["q-2-cond_values"] = "7"
    refused = admin.post(url, data=bad)
    assert refused.status_code == 422 and "impossible" in refused.text
    assert current().questions[2].show_if.values == ("4", "5")
    admin.post(url, data=form_of(current().questions, action="reset"))
    assert [q.id for q in current().questions] == [
        "interet",
        "intervenants",
        "utilite",
        "commentaires",
    ]


def test_results_page_shows_rates_and_free_texts(admin, client, kit):
    _, invitation = invite_one(kit)
    register(kit)  # not present: not invited
    other_holder = register(kit)
    path = (
        client.post(f"/internal/invitations/{invitation}/link", headers=SERVICE)
        .json()["link"]
        .replace("http://testserver", "")
    )
    client.post(path, data=DAY_FORM)
    with kit.factory() as session:
        survey = uc.list_surveys(session, EDITION)[0]
    page = admin.get(f"/admin/surveys/{survey.survey_id}").text
    assert "Très utile &lt;b&gt;merci&lt;/b&gt;" in page
    assert re.search(r"Taux de réponse</th><td class=\"num\">100,0 %", page)  # 1 of 1 invited
    reminded = admin.post(f"/admin/surveys/{survey.survey_id}/remind")
    assert "Relance demandée pour 0 personne(s)" in reminded.text
    del other_holder


def test_surveys_api_gives_each_questionnaire_with_its_counts(client, kit):
    assert client.get(f"/internal/editions/{EDITION}/surveys").status_code == 401
    assert client.get(f"/internal/editions/{EDITION}/surveys", headers=SERVICE).json() == {
        "edition_id": EDITION,
        "surveys": [],
    }
    _, invitation = invite_one(kit)
    path = (
        client.post(f"/internal/invitations/{invitation}/link", headers=SERVICE)
        .json()["link"]
        .replace("http://testserver", "")
    )
    client.post(path, data=DAY_FORM)
    body = client.get(f"/internal/editions/{EDITION}/surveys", headers=SERVICE).json()
    day = [s for s in body["surveys"] if s["invited"]]
    assert len(day) == 1 and day[0]["open"] and day[0]["opened_at"]
    assert (day[0]["invited"], day[0]["answered"]) == (1, 1)


def test_editor_refuses_fields_no_editor_sends_in_french_and_changes_nothing(admin, kit):
    admin.post(f"/admin/editions/{EDITION}/surveys/prepare")
    with kit.factory() as session:
        survey = next(s for s in uc.list_surveys(session, EDITION) if s.kind.value == "journee")
    url = f"/admin/surveys/{survey.survey_id}/edit"
    base = {"title": "Changé", "count": "1", "q-0-id": "q1", "q-0-text": "Note ?"}
    for extra, message in (
        ({"count": "abc"}, "« abc » n&#39;est pas un nombre entier"),
        ({"count": "99999999"}, "doit être compris entre 0 et 200"),
        ({"q-0-type": "dessin"}, "Type de question inconnu : « dessin »"),
        ({"q-0-type": "rating", "q-0-scale": "1-99999999"}, "Échelle des notes inconnue"),
        ({"action": "add", "new_type": "dessin"}, "Type de question inconnu"),
    ):
        answer = admin.post(url, data={**base, **extra})
        assert answer.status_code == 422, (extra, answer.status_code)
        assert message in answer.text, (extra, answer.text[:2000])
    with kit.factory() as session:
        after = uc.get_survey(session, survey.survey_id)
    assert after.title == survey.title and after.questions == survey.questions


def test_report_of_an_unknown_edition_is_a_french_404(admin):
    for suffix in ("", ".pdf", ".xlsx"):
        answer = admin.get(f"/admin/editions/99999/report{suffix}")
        assert answer.status_code == 404
        assert "Cette édition est inconnue" in answer.text


def test_meetings_are_named_after_the_organisation_met(client, kit):
    """The form names the other side, asked of registration's internal API when shown."""
    from fastapi import FastAPI, Header, HTTPException

    from services.surveys.adapters.registration import Directory
    from tests.support.notifier import HttpServer

    holder, invitation = invite_one(kit)
    expert = register(kit, role=Role.EXPERT, legal_form="banque")
    meeting(kit, holder, expert, 10)
    registration = FastAPI()

    @registration.get("/internal/participants/{pid}")
    def participant(pid: str, authorization: str | None = Header(default=None)) -> dict:
        if authorization != SERVICE["Authorization"]:
            raise HTTPException(401)
        if pid != str(expert):
            raise HTTPException(404)
        return {
            "first_name": "Marie",
            "last_name": "Dupont",
            "organisation": "France Active Bourgogne",
        }

    server = HttpServer(registration)
    server.start()
    try:
        client.app.state.directory = Directory(server.url, "dev-secret-change-me")
        path = (
            client.post(f"/internal/invitations/{invitation}/link", headers=SERVICE)
            .json()["link"]
            .replace("http://testserver", "")
        )
        page = client.get(path).text
    finally:
        server.stop()
    assert "Votre rendez-vous de 10 h 00 avec France Active Bourgogne (Marie Dupont)" in page
    if folder := os.environ.get("EMAILS_DIR"):  # to look at the form as the respondent does
        Path(folder, "questionnaire-journee.html").write_text(page, encoding="utf-8")
    assert "table T" not in page


def test_conference_scales_fit_their_questions():
    from services.surveys.domain.defaults import CONFERENCE

    helps = {q.id: q.help for q in CONFERENCE}
    assert helps["interet"] == "1 = pas du tout intéressé·e, 5 = très intéressé·e"
    assert helps["utilite"] == "1 = pas utile, 5 = très utile"
    assert "satisfait" in helps["intervenants"]


def test_the_follow_up_sent_now_once_from_the_back_office(admin, kit):
    # Before the day is closed there is nothing to send: a French refusal, nothing written.
    refused = admin.post(f"/admin/editions/{EDITION}/ex-post/send")
    assert "La journée n&#39;est pas encore close" in refused.text
    assert published(kit, "SurveyInvitationRequested") == []

    holder = register(kit)
    register(kit, role=Role.EXPERT, legal_form="banque")  # the follow-up is for holders
    register(kit, present=False)  # not there: not asked
    close_day(kit)
    listed = admin.get(f"/admin/editions/{EDITION}/surveys").text
    assert "envoi automatique prévu le" in listed and "Envoyer maintenant…" in listed
    asked = admin.get(f"/admin/editions/{EDITION}/ex-post/send").text
    assert "1 porteur(s) de projet présent(s)" in asked

    sent = admin.post(f"/admin/editions/{EDITION}/ex-post/send")
    assert "Questionnaire de suivi envoyé à 1 porteur(s) de projet." in sent.text
    follow_up = [e for e in published(kit, "SurveyInvitationRequested") if e["kind"] == "ex-post"]
    assert [e["participant_id"] for e in follow_up] == [str(holder)]
    # Sent once: neither the button again nor the date's job sends it a second time.
    again = admin.post(f"/admin/editions/{EDITION}/ex-post/send")
    assert "déjà été envoyé" in again.text
    with kit.factory() as session:
        [ex_post] = [s for s in uc.list_surveys(session, EDITION) if s.kind.value == "ex-post"]
    results = admin.get(f"/admin/surveys/{ex_post.survey_id}").text
    assert "Envoyé aux porteurs de projet présents le" in results
    assert "Envoyer maintenant…" not in results
    assert "Envoyer maintenant…" not in admin.get(f"/admin/editions/{EDITION}/surveys").text
    later = DAY_END + dt.timedelta(days=400)
    run_due(kit.factory, kit.outbox, kit.settings, later)  # reminders only
    assert (
        len([e for e in published(kit, "SurveyInvitationRequested") if e["kind"] == "ex-post"]) == 1
    )


def test_non_respondents_api_gives_who_has_not_answered(client, kit):
    answering, silent = register(kit), register(kit)
    close_day(kit)
    invitations = {
        e["participant_id"]: e["invitation_id"] for e in published(kit, "SurveyInvitationRequested")
    }
    link = client.post(
        f"/internal/invitations/{invitations[str(answering)]}/link", headers=SERVICE
    ).json()["link"]
    assert client.post(link.replace("http://testserver", ""), data=DAY_FORM).status_code == 200
    [day] = [
        s
        for s in client.get(f"/internal/editions/{EDITION}/surveys", headers=SERVICE).json()[
            "surveys"
        ]
        if s["invited"]
    ]
    path = f"/internal/surveys/{day['survey_id']}/non-respondents"
    assert client.get(path).status_code == 401
    assert client.get(path, headers=SERVICE).json() == {
        "survey_id": day["survey_id"],
        "edition_id": EDITION,
        "participant_ids": [str(silent)],
    }
    unknown = client.get("/internal/surveys/inconnu/non-respondents", headers=SERVICE)
    assert unknown.status_code == 404
