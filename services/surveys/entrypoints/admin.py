"""The back-office: questionnaires (edit, results, reminders), venue QR code, report, budget."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.surveys.adapters.db import invitations, participants, responses, surveys
from services.surveys.adapters.report_xlsx import comparison_xlsx, report_xlsx
from services.surveys.domain.aggregate import answers_table, rate, results
from services.surveys.domain.budget import LINES, parse_euros
from services.surveys.domain.defaults import KIND_LABELS
from services.surveys.domain.questions import (
    Condition,
    Question,
    QuestionType,
    SurveyError,
    check_questionnaire,
    move,
    new_question_id,
    remove,
)
from services.surveys.domain.report import EditionReport, Masthead, comparison_row
from services.surveys.entrypoints.public import venue_url
from services.surveys.entrypoints.web import kit_of, settings_of
from services.surveys.service_layer import report as reports
from services.surveys.service_layer import surveys as uc
from services.surveys.service_layer.quotes import free_texts, save_quotes
from services.surveys.settings import SurveysSettings
from shared.db import plain_row, transaction
from shared.events import SurveyKind, utc_now
from shared.formats.spreadsheets import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, french_csv, xlsx
from shared.french import french_date
from shared.web import (
    CurrentAdmin,
    ServiceCaller,
    attachment,
    confirm,
    form_lists,
    redirect,
    render,
)
from shared.web.forms import whole_number

router = APIRouter(prefix="/admin")
# The same back-office's state as JSON, for the operator's home page in registration (called
# server-side with the service token; under /internal, so the proxy never exposes it).
api = APIRouter(prefix="/internal")


def _survey_or_404(session: Session, survey_id: str) -> uc.Survey:
    survey = uc.get_survey(session, survey_id)
    if survey is None:
        raise HTTPException(404, "Ce questionnaire n'existe pas.")
    return survey


def _survey(request: Request, survey_id: str) -> uc.Survey:
    with kit_of(request).factory() as session:
        return _survey_or_404(session, survey_id)


def _report(request: Request, edition_id: str) -> EditionReport:
    with kit_of(request).factory() as session:
        if edition_id not in reports.known_editions(session):
            raise HTTPException(404, "Cette édition est inconnue : aucun rapport à montrer.")
        return reports.build_report(session, edition_id, masthead(kit_of(request).settings))


def masthead(settings: object) -> Masthead:
    """The report's first page as set for the service (defaults for another settings class)."""
    if not isinstance(settings, SurveysSettings):
        return Masthead()
    return Masthead(settings.report_organisation, settings.report_funder, settings.report_logo)


def _default_edition(request: Request) -> str:
    with kit_of(request).factory() as session:
        known = reports.known_editions(session)
    return known[-1] if known else str(utc_now().year)


@router.get("", include_in_schema=False)
@router.get("/questionnaires", include_in_schema=False)
def home(request: Request, _admin: CurrentAdmin) -> RedirectResponse:
    # Behind the proxy, /admin is the operator's home (registration): the menu links here.
    return RedirectResponse(f"/admin/editions/{_default_edition(request)}/surveys", 303)


@router.get("/rapport", include_in_schema=False)
def current_report(request: Request, _admin: CurrentAdmin) -> RedirectResponse:
    return RedirectResponse(f"/admin/editions/{_default_edition(request)}/report", 303)


@router.get("/editions/{edition_id}/surveys", response_class=HTMLResponse)
def surveys_page(request: Request, edition_id: str, _admin: CurrentAdmin) -> HTMLResponse:
    kit = kit_of(request)
    with kit.factory() as session:
        rows = []
        for s in uc.list_surveys(session, edition_id):
            invited, answered, anonymous = uc.response_counts(session, s.survey_id)
            rows.append((s, invited, answered, anonymous, rate(answered, invited)))
        editions = reports.known_editions(session)
        ex_post = uc.ex_post_date(session, edition_id)
    context = {
        "title": f"Questionnaires {edition_id}",
        "edition_id": edition_id,
        "ex_post": ex_post,
        "rows": rows,
        "editions": editions,
        "kinds": KIND_LABELS,
        "now": utc_now(),
    }
    return render(request, "admin_surveys.html", context, section="questionnaires")


@router.post("/editions/{edition_id}/surveys/prepare")
def prepare(request: Request, edition_id: str, _admin: CurrentAdmin) -> RedirectResponse:
    """Copy the French defaults for the edition's conferences, the day and the follow-up."""
    with transaction(kit_of(request).factory) as session:
        for conference in uc.edition_settings(session, edition_id).conferences():
            uc.ensure_survey(session, edition_id, SurveyKind.CONFERENCE, conference.session_id)
        uc.ensure_survey(session, edition_id, SurveyKind.DAY)
        uc.ensure_survey(session, edition_id, SurveyKind.EX_POST)
    return redirect(request, f"/admin/editions/{edition_id}/surveys", ok="Questionnaires préparés.")


@router.get("/surveys/{survey_id}", response_class=HTMLResponse)
def results_page(request: Request, survey_id: str, _admin: CurrentAdmin) -> HTMLResponse:
    with kit_of(request).factory() as session:
        survey = _survey_or_404(session, survey_id)
        invited, answered, anonymous = uc.response_counts(session, survey_id)
        answers = uc.answers_of(session, survey_id)
        texts = free_texts(session, survey_id, survey.questions)
        ex_post = (
            uc.ex_post_date(session, survey.edition_id)
            if survey.kind is SurveyKind.EX_POST
            else None
        )
    context = {
        "title": survey.title,
        "survey": survey,
        "ex_post": ex_post,
        "results": results(survey.questions, answers),
        "texts": texts,
        "invited": invited,
        "answered": answered,
        "anonymous": anonymous,
        "response_rate": rate(answered, invited),
        "kinds": KIND_LABELS,
        "now": utc_now(),
    }
    return render(request, "admin_results.html", context, section="questionnaires")


@router.post("/surveys/{survey_id}/quotes")
async def choose_quotes(request: Request, survey_id: str, _admin: CurrentAdmin) -> RedirectResponse:
    form = await form_lists(request)
    with transaction(kit_of(request).factory) as session:
        survey = _survey_or_404(session, survey_id)
        count = save_quotes(session, survey_id, survey.questions, form.get("citer", []))
    said = "Aucune réponse citée" if count == 0 else f"{count} réponse(s) citée(s)"
    return redirect(request, f"/admin/surveys/{survey_id}#citations", ok=f"{said} dans le rapport.")


def _answers_file(request: Request, survey_id: str) -> tuple[str, list[list[object]]]:
    """The file's name without extension, and the raw answers as a table."""
    with kit_of(request).factory() as session:
        survey = _survey_or_404(session, survey_id)
        given = uc.answers_with_roles(session, survey_id)
    name = f"reponses-{survey.edition_id}-{survey.session_key or survey.kind.value}"
    return name, answers_table(survey.questions, given)


@router.get("/surveys/{survey_id}/reponses.xlsx")
def answers_xlsx(request: Request, survey_id: str, _admin: CurrentAdmin) -> Response:
    """Every response as a row, every question as a column (its text), free text included;
    who answered only as the report groups them (holder, expert, at the venue)."""
    name, table = _answers_file(request, survey_id)
    return Response(
        xlsx(table, "Réponses", (6, 20, *[30] * (len(table[0]) - 2))),
        media_type=XLSX_MEDIA_TYPE,
        headers=attachment(f"{name}.xlsx"),
    )


@router.get("/surveys/{survey_id}/reponses-tableur.csv")
def answers_csv(request: Request, survey_id: str, _admin: CurrentAdmin) -> Response:
    """The same table as the XLSX, as a CSV a French spreadsheet opens (`;`, BOM, CRLF)."""
    name, table = _answers_file(request, survey_id)
    return Response(
        french_csv(table), media_type=CSV_MEDIA_TYPE, headers=attachment(f"{name}-tableur.csv")
    )


@router.get("/surveys/{survey_id}/remind", response_class=HTMLResponse)
def remind_page(request: Request, survey_id: str, _admin: CurrentAdmin) -> Response:
    back = f"/admin/surveys/{survey_id}"
    with kit_of(request).factory() as session:
        survey = _survey_or_404(session, survey_id)
        invited, answered, _anonymous = uc.response_counts(session, survey_id)
    if not survey.is_open(utc_now()):
        return redirect(request, back, error="Ce questionnaire n'est pas ouvert : rien à relancer.")
    return confirm(
        request,
        title=f"Relancer « {survey.title} » ?",
        lines=[
            f"{invited - answered} personne(s) invitée(s) sans réponse recevront un email de "
            "relance avec leur lien personnel.",
        ],
        action=f"{back}/remind",
        button="Envoyer les relances",
        cancel=back,
        section="questionnaires",
        danger=False,
    )


@router.post("/surveys/{survey_id}/remind")
def remind_now(request: Request, survey_id: str, _admin: CurrentAdmin) -> RedirectResponse:
    kit = kit_of(request)
    with transaction(kit.factory) as session:
        _survey_or_404(session, survey_id)
        sent = uc.remind(session, kit.outbox, survey_id, utc_now())
    return redirect(
        request,
        f"/admin/surveys/{survey_id}",
        ok=f"Relance demandée pour {sent} personne(s) sans réponse.",
    )


@router.get("/editions/{edition_id}/ex-post/send", response_class=HTMLResponse)
def ex_post_page(request: Request, edition_id: str, _admin: CurrentAdmin) -> Response:
    kit = kit_of(request)
    with kit.factory() as session:
        survey = next(
            (s for s in uc.list_surveys(session, edition_id) if s.kind is SurveyKind.EX_POST), None
        )
        date = uc.ex_post_date(session, edition_id)
        holders = len(uc.checked_in(session, edition_id, role="porteur"))
    back = f"/admin/editions/{edition_id}/surveys"
    if survey is not None:
        back = f"/admin/surveys/{survey.survey_id}"
    if date is None:
        return redirect(request, back, error="La journée n'est pas encore close : rien à envoyer.")
    if date.sent_at is not None:
        return redirect(request, back, error="Le questionnaire de suivi a déjà été envoyé.")
    return confirm(
        request,
        title="Envoyer le questionnaire de suivi maintenant ?",
        lines=[
            f"Il devait partir le {french_date(date.due_at)}.",
            f"{holders} porteur(s) de projet présent(s) le jour recevront un email avec leur "
            "lien personnel ; il ne partira plus à la date prévue.",
        ],
        action=f"/admin/editions/{edition_id}/ex-post/send",
        button="Envoyer maintenant",
        cancel=back,
        section="questionnaires",
        danger=False,
    )


@router.post("/editions/{edition_id}/ex-post/send")
def ex_post_send(request: Request, edition_id: str, _admin: CurrentAdmin) -> RedirectResponse:
    kit = kit_of(request)
    back = f"/admin/editions/{edition_id}/surveys"
    try:
        with transaction(kit.factory) as session:
            sent = uc.send_ex_post_now(
                session, kit.outbox, settings_of(request), edition_id, utc_now()
            )
            survey = uc.ensure_survey(session, edition_id, SurveyKind.EX_POST)
    except SurveyError as exc:
        return redirect(request, back, error=str(exc))
    return redirect(
        request,
        f"/admin/surveys/{survey.survey_id}",
        ok=f"Questionnaire de suivi envoyé à {sent} porteur(s) de projet.",
    )


@router.get("/surveys/{survey_id}/close", response_class=HTMLResponse)
def close_page(request: Request, survey_id: str, _admin: CurrentAdmin) -> HTMLResponse:
    survey = _survey(request, survey_id)
    back = f"/admin/surveys/{survey_id}"
    return confirm(
        request,
        title=f"Clore « {survey.title} » maintenant ?",
        lines=[
            "Plus aucune réponse ne sera recueillie, ni par les liens personnels ni par le "
            "QR code ; les réponses déjà reçues restent dans les résultats et le rapport.",
        ],
        action=f"{back}/close",
        button="Clore le questionnaire",
        cancel=back,
        section="questionnaires",
    )


@router.post("/surveys/{survey_id}/close")
def close_now(request: Request, survey_id: str, _admin: CurrentAdmin) -> RedirectResponse:
    with transaction(kit_of(request).factory) as session:
        _survey_or_404(session, survey_id)
        uc.set_closing(session, survey_id, utc_now())
    return redirect(request, f"/admin/surveys/{survey_id}", ok="Questionnaire clos.")


# -- editor -------------------------------------------------------------------------------------
def _editor(
    request: Request,
    survey: uc.Survey,
    title: str,
    questions: tuple[Question, ...],
    error: str | None = None,
) -> HTMLResponse:
    context = {
        "title": f"Modifier : {title}",
        "survey": survey,
        "survey_title": title,
        "questions": questions,
        "error": error,
        "types": list(QuestionType),
    }
    return render(
        request, "admin_editor.html", context, 422 if error else 200, section="questionnaires"
    )


@router.get("/surveys/{survey_id}/edit", response_class=HTMLResponse)
def edit_page(request: Request, survey_id: str, _admin: CurrentAdmin) -> HTMLResponse:
    survey = _survey(request, survey_id)
    return _editor(request, survey, survey.title, survey.questions)


MAX_QUESTIONS = 200
SCALES = {"1-5": (1, 5), "0-10": (0, 10)}  # the editor's choices


def question_type(value: str) -> QuestionType:
    try:
        return QuestionType(value)
    except ValueError:
        raise SurveyError(f"Type de question inconnu : « {value} »") from None


def parse_editor(form: dict[str, list[str]]) -> tuple[str, tuple[Question, ...]]:
    """The editor's fields `q-<n>-<field>` back into questions, in the order shown; a field no
    form of the editor sends raises SurveyError, in French."""

    def get(key: str, default: str = "") -> str:
        return (form.get(key) or [default])[0].strip()

    try:
        count = whole_number(get("count", "0") or "0", 0, MAX_QUESTIONS, "nombre de questions")
    except ValueError as exc:
        raise SurveyError(str(exc)) from None
    questions = []
    for n in range(count):
        p = f"q-{n}-"
        if not get(p + "id"):
            continue
        qtype = question_type(get(p + "type", "text"))
        scale = get(p + "scale", "1-5")
        if scale not in SCALES:
            raise SurveyError(f"Échelle des notes inconnue : « {scale} » (1-5 ou 0-10)")
        low, high = SCALES[scale]
        options = tuple(o.strip() for o in get(p + "options").splitlines() if o.strip())
        cond_q = get(p + "cond_q")
        cond_values = tuple(v.strip() for v in get(p + "cond_values").split(",") if v.strip())
        questions.append(
            Question(
                id=get(p + "id"),
                text=get(p + "text"),
                type=qtype,
                options=options if qtype in (QuestionType.SINGLE, QuestionType.MULTIPLE) else (),
                required=bool(get(p + "required")),
                help=get(p + "help"),
                scale_min=low,
                scale_max=high,
                show_if=Condition(cond_q, cond_values) if cond_q and cond_values else None,
            )
        )
    return get("title"), tuple(questions)


@router.post("/surveys/{survey_id}/edit", response_class=HTMLResponse)
async def edit(request: Request, survey_id: str, _admin: CurrentAdmin) -> Response:
    survey = _survey(request, survey_id)
    form = await form_lists(request)
    try:
        title, questions = parse_editor(form)
        new_type = question_type((form.get("new_type") or ["text"])[0])
    except SurveyError as exc:
        return _editor(request, survey, survey.title, survey.questions, error=str(exc))
    action = (form.get("action") or ["save"])[0]
    verb, _, target = action.partition(":")
    if verb == "reset":
        with transaction(kit_of(request).factory) as session:
            uc.reset_questions(session, survey_id)
        return redirect(
            request, f"/admin/surveys/{survey_id}/edit", ok="Questions du modèle rétablies."
        )
    if verb == "up":
        questions = move(questions, target, -1)
    elif verb == "down":
        questions = move(questions, target, 1)
    elif verb == "delete":
        questions = remove(questions, target)
    elif verb == "add":
        qtype = new_type
        options = (
            ("Choix 1", "Choix 2") if qtype in (QuestionType.SINGLE, QuestionType.MULTIPLE) else ()
        )
        questions = (
            *questions,
            Question(new_question_id(questions), "Nouvelle question", qtype, options),
        )
    try:
        check_questionnaire(questions)
    except SurveyError as exc:
        return _editor(request, survey, title, questions, error=str(exc))
    with transaction(kit_of(request).factory) as session:
        uc.save_questions(session, survey_id, title, questions)
    return redirect(request, f"/admin/surveys/{survey_id}/edit", ok="Questionnaire enregistré.")


# -- at the venue ------------------------------------------------------------------------------
@router.get("/editions/{edition_id}/venue", response_class=HTMLResponse)
def venue_page(request: Request, edition_id: str, _admin: CurrentAdmin) -> Response:
    """A page to project or print: the QR code and the short address of the day's survey.
    Reads only: the questionnaires are prepared (a POST) on the questionnaires page."""
    kit = kit_of(request)
    with kit.factory() as session:
        survey = uc.day_survey(session, edition_id)
    if survey is None or survey.public_code is None:
        return redirect(
            request,
            f"/admin/editions/{edition_id}/surveys",
            error="Préparez d'abord les questionnaires : le QR code est celui de l'évaluation "
            "de la journée.",
        )
    url = venue_url(kit, survey.public_code)
    import segno  # when a QR code is drawn

    qr = segno.make(url, error="m").svg_inline(scale=10, title="QR code du questionnaire")
    context = {"title": "Votre avis sur la journée", "url": url, "qr": qr}
    return render(request, "admin_venue.html", context, section="questionnaires")


# -- report ----------------------------------------------------------------------------------
@router.get("/editions/{edition_id}/report", response_class=HTMLResponse)
def report_page(request: Request, edition_id: str, _admin: CurrentAdmin) -> HTMLResponse:
    report = _report(request, edition_id)
    context = {"title": f"Rapport d'évaluation {edition_id}", "report": report}
    return render(request, "admin_report.html", context, section="rapport")


@router.get("/editions/{edition_id}/report.pdf")
def report_pdf_file(request: Request, edition_id: str, _admin: CurrentAdmin) -> Response:
    from services.surveys.adapters.report_pdf import report_pdf  # fpdf2: when a PDF is asked

    report = _report(request, edition_id)
    return Response(
        report_pdf(report),
        media_type="application/pdf",
        headers=attachment(f"evaluation-{edition_id}.pdf"),
    )


@router.get("/editions/{edition_id}/report.xlsx")
def report_xlsx_file(request: Request, edition_id: str, _admin: CurrentAdmin) -> Response:
    report = _report(request, edition_id)
    return Response(
        report_xlsx(report),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers=attachment(f"evaluation-{edition_id}.xlsx"),
    )


@router.get("/editions/{edition_id}/budget", response_class=HTMLResponse)
def budget_page(request: Request, edition_id: str, _admin: CurrentAdmin) -> HTMLResponse:
    with kit_of(request).factory() as session:
        amounts = reports.actuals(session, edition_id)
    return _budget_page(request, edition_id, amounts, {}, {})


def _budget_page(
    request: Request,
    edition_id: str,
    amounts: Mapping[str, int | None],
    errors: dict[str, str],
    values: dict[str, str],
) -> HTMLResponse:
    context = {
        "title": f"Budget réalisé {edition_id}",
        "edition_id": edition_id,
        "lines": LINES,
        "amounts": amounts,
        "errors": errors,
        "values": values,
    }
    return render(request, "admin_budget.html", context, 422 if errors else 200, section="rapport")


@router.post("/editions/{edition_id}/budget", response_class=HTMLResponse)
async def save_budget(request: Request, edition_id: str, _admin: CurrentAdmin) -> Response:
    form = await form_lists(request)
    amounts: dict[str, int | None] = {}
    errors: dict[str, str] = {}
    for line in LINES:
        text = (form.get(f"line-{line.code}") or [""])[0]
        try:
            amounts[line.code] = parse_euros(text)
        except ValueError:
            errors[line.code] = "Montant invalide (exemple : 1 234,50)"
    if errors:
        values = {code: (form.get(f"line-{code}") or [""])[0] for code in amounts | errors}
        return _budget_page(request, edition_id, {}, errors, values)
    with transaction(kit_of(request).factory) as session:
        reports.save_actuals(session, edition_id, amounts)
    return redirect(request, f"/admin/editions/{edition_id}/budget", ok="Budget enregistré.")


def _comparison(request: Request) -> list:
    with kit_of(request).factory() as session:
        return [
            comparison_row(reports.build_report(session, e))
            for e in reports.known_editions(session)
        ]


@router.get("/reports/compare", response_class=HTMLResponse)
def compare_page(request: Request, _admin: CurrentAdmin) -> HTMLResponse:
    context = {"title": "Les éditions année par année", "rows": _comparison(request)}
    return render(request, "admin_compare.html", context, section="rapport")


@router.get("/reports/compare.xlsx")
def compare_xlsx(request: Request, _admin: CurrentAdmin) -> Response:
    return Response(
        comparison_xlsx(_comparison(request)),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers=attachment("evaluation-editions.xlsx"),
    )


# -- JSON ---------------------------------------------------------------------------------------
@api.get("/editions/{edition_id}/surveys")
def surveys_json(request: Request, edition_id: str, _caller: ServiceCaller) -> dict[str, Any]:
    """The edition's questionnaires: kind, whether open, invitations and answers."""
    now = utc_now()
    with kit_of(request).factory() as session:
        rows = []
        for s in uc.list_surveys(session, edition_id):
            invited, answered, anonymous = uc.response_counts(session, s.survey_id)
            rows.append(
                {
                    "survey_id": s.survey_id,
                    "kind": s.kind.value,
                    "title": s.title,
                    "opened_at": s.opened_at.isoformat() if s.opened_at else None,
                    "closes_at": s.closes_at.isoformat() if s.closes_at else None,
                    "open": s.is_open(now),
                    "invited": invited,
                    "answered": answered,
                    "anonymous": anonymous,
                }
            )
    return {"edition_id": edition_id, "surveys": rows}


@api.get("/surveys/{survey_id}/non-respondents")
def non_respondents_json(
    request: Request, survey_id: str, _caller: ServiceCaller
) -> dict[str, Any]:
    """Who was invited and has not answered yet: ids only, for the team's message to them."""
    with kit_of(request).factory() as session:
        survey = _survey_or_404(session, survey_id)
        ids = uc.non_respondents(session, survey_id)
    return {"survey_id": survey_id, "edition_id": survey.edition_id, "participant_ids": ids}


@api.get("/participants/{participant_id}/data")
def participant_data(
    request: Request, participant_id: str, _caller: ServiceCaller
) -> dict[str, Any]:
    """Everything the surveys service holds about one person (right of access): its read
    model, the invitations (never a token) and the answers given by personal link."""
    with kit_of(request).factory() as session:
        person = session.execute(
            select(participants).where(participants.c.participant_id == participant_id)
        ).first()
        invited = session.execute(
            select(invitations, surveys.c.title.label("survey_title"))
            .join(surveys, surveys.c.survey_id == invitations.c.survey_id)
            .where(invitations.c.participant_id == participant_id)
            .order_by(invitations.c.created_at)
        ).all()
        answered = session.execute(
            select(responses, surveys.c.title.label("survey_title"))
            .join(surveys, surveys.c.survey_id == responses.c.survey_id)
            .where(responses.c.participant_id == participant_id)
            .order_by(responses.c.created_at)
        ).all()
    return {
        "participant": plain_row(person) if person is not None else None,
        "invitations": [plain_row(i) for i in invited],
        "answers": [plain_row(r, skip=("submission_id",)) for r in answered],
    }
