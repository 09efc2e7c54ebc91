"""The operator's day, step by step: programme, opening registrations, import, plan, review,
publish, emails, check-in, close sessions, surveys, report; each with its state, its figures
and where it is done."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.registration.adapters.day_status import Remote
from services.registration.adapters.db import participants
from services.registration.service_layer.editions import registration_state
from shared.edition import EditionSettings
from shared.events import RegistrationStatus, Role
from shared.french import french_date, french_datetime
from shared.presence import count_present

TODO, WAITING, DOING, DONE, UNREACHABLE = "a-faire", "en-attente", "en-cours", "fait", "injoignable"
STATE_LABELS = {
    TODO: "À faire",
    WAITING: "En attente de l'étape précédente",
    DOING: "En cours",
    DONE: "Fait",
    UNREACHABLE: "Service injoignable",
}


@dataclass(frozen=True)
class Local:
    """Registration's own figures for one edition."""

    holders: int = 0
    experts: int = 0
    waiting: int = 0
    cancelled: int = 0
    imported: int = 0
    present_holders: int = 0
    present_experts: int = 0

    @property
    def registered(self) -> int:
        return self.holders + self.experts

    @property
    def present(self) -> int:
        return self.present_holders + self.present_experts


def local_figures(session: Session, edition_id: str) -> Local:
    rows = session.execute(
        select(
            participants.c.role,
            participants.c.status,
            participants.c.source,
            participants.c.checked_in_at,
            participants.c.erased_at,
        ).where(participants.c.edition_id == edition_id)
    ).all()
    # Present as every page counts it (erased people too); the rest, of people still here.
    present = count_present((r.role, r.checked_in_at is not None) for r in rows)
    rows = [r for r in rows if r.erased_at is None]
    count = Counter((r.role, r.status) for r in rows)
    registered = RegistrationStatus.REGISTERED.value
    return Local(
        holders=count[(Role.HOLDER.value, registered)],
        experts=count[(Role.EXPERT.value, registered)],
        waiting=sum(n for (_, s), n in count.items() if s == RegistrationStatus.WAITING_LIST),
        cancelled=sum(n for (_, s), n in count.items() if s == RegistrationStatus.CANCELLED),
        imported=sum(1 for r in rows if r.source == "import"),
        present_holders=present.holders,
        present_experts=present.experts,
    )


@dataclass
class Step:
    key: str
    title: str
    state: str
    figures: list[str] = field(default_factory=list)
    link: str = ""
    link_label: str = ""
    share: str = ""  # a public address to copy and send
    alert_link: str = ""  # where to look at what went wrong
    alert_label: str = ""

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n <= 1 else (many or one + 's')}"


REGISTRATION_LABELS = {
    "open": "Les inscriptions sont ouvertes.",
    "not_yet": "Les inscriptions ne sont pas encore ouvertes.",
    "closed": "Les inscriptions sont closes.",
    "past": "La journée a eu lieu : les formulaires n'inscrivent plus personne.",
}


def _programme(edition: EditionSettings, sched: str, today: dt.date) -> Step:
    conferences = edition.conferences()
    figures = [
        f"{french_date(edition.date, weekday=True)}, {edition.venue}",
        f"{_plural(len(edition.windows), 'fenêtre')} de rendez-vous, créneaux de "
        f"{edition.slot_minutes} minutes, {_plural(len(conferences), 'conférence')}",
    ]
    # The programme always exists (the action sheet's defaults); a past date needs attention.
    state = DONE
    if edition.date < today:
        figures.append("Cette date est passée : préparez le programme de l'édition suivante.")
        state = TODO
    return Step(
        "programme",
        "Programme de l'édition",
        state,
        figures,
        f"{sched}/admin/edition",
        "Modifier le programme",
    )


def _registrations(edition: EditionSettings, public_link: str, sched: str) -> Step:
    state_code = registration_state(edition)
    figures = [REGISTRATION_LABELS[state_code]]
    if edition.registration_opens:
        figures.append(f"Ouverture : {french_datetime(edition.registration_opens)}")
    if edition.registration_closes:
        figures.append(f"Clôture : {french_datetime(edition.registration_closes)}")
    else:
        figures.append("Pas de date de clôture : fixez-la dans le programme.")
    state = {"open": DOING, "not_yet": TODO, "closed": DONE, "past": DONE}[state_code]
    step = Step(
        "ouverture",
        "Ouverture des inscriptions",
        state,
        figures,
        f"{sched}/admin/edition",
        "Changer les dates",
    )
    step.share = public_link
    return step


def _emails(remote: Remote, notifier: str) -> Step:
    if remote.emails is None:
        return Step(
            "emails",
            "Emails",
            UNREACHABLE,
            ["Le service des emails ne répond pas : réessayez dans un instant."],
            f"{notifier}/admin/emails",
            "Ouvrir le journal des emails",
        )
    counts = remote.emails.get("counts", {})
    sent, failed = counts.get("sent", 0), counts.get("failed", 0)
    waiting = counts.get("pending", 0) + counts.get("sending", 0)
    figures = [
        f"{_plural(sent, 'email envoyé', 'emails envoyés')}, {waiting} en attente",
        f"{_plural(failed, 'échec', 'échecs')}" + (" : à regarder" if failed else ""),
    ]
    state = DOING if waiting else (DONE if sent else TODO)
    step = Step(
        "emails",
        "Emails",
        state,
        figures,
        f"{notifier}/admin/emails",
        "Ouvrir le journal des emails",
    )
    if failed:
        step.alert_link = f"{notifier}/admin/emails?status=failed"
        step.alert_label = f"Voir les {_plural(failed, 'échec', 'échecs')}"
    return step


def steps(
    edition: EditionSettings,
    local: Local,
    remote: Remote,
    urls: dict[str, str],
    today: dt.date,
) -> list[Step]:
    """`urls`: each service's public address, for the links."""
    edition_id = edition.edition_id
    sched, surv = urls["scheduler"], urls["surveys"]
    out: list[Step] = [
        _programme(edition, sched, today),
        _registrations(edition, f"{urls['registration']}/inscription/{edition_id}", sched),
    ]

    out.append(
        Step(
            "import",
            "Inscriptions et import",
            DOING if local.registered else TODO,
            [
                f"{_plural(local.holders, 'porteur')} de projet inscrit"
                + ("s" if local.holders > 1 else ""),
                f"{_plural(local.experts, 'expert')} inscrit" + ("s" if local.experts > 1 else ""),
                f"{local.waiting} en liste d'attente, "
                + _plural(local.cancelled, "annulation")
                + f", {local.imported} par import",
            ],
            f"/admin/import?edition={edition_id}",
            "Importer un fichier",
        )
    )

    schedule, day = remote.schedule, remote.day
    version = schedule.get("version") if schedule else None
    status = schedule.get("status") if schedule else None
    meetings = len(schedule.get("appointments", [])) if schedule else 0
    holders = len({a["holder_id"] for a in schedule.get("appointments", [])}) if schedule else 0
    published = day.get("published_version") if day else None
    grid = f"{sched}/admin/planning"

    if schedule is None:
        plan = Step("plan", "Planification", UNREACHABLE, [])
        review = Step("review", "Relecture du planning", UNREACHABLE, [])
    else:
        figures = (
            [
                f"Version n° {version} : {_plural(meetings, 'rendez-vous', 'rendez-vous')}",
                f"{_plural(holders, 'porteur')} avec au moins un rendez-vous",
            ]
            if version
            else ["Aucun planning calculé."]
        )
        plan = Step("plan", "Planification", DONE if version else TODO, figures)
        if status == "draft":
            review = Step(
                "review",
                "Relecture du planning",
                DOING,
                [f"Brouillon n° {version} à relire : déplacer, échanger, verrouiller"],
            )
        elif status == "published":
            review = Step("review", "Relecture du planning", DONE, ["Planning relu et publié."])
        else:
            review = Step("review", "Relecture du planning", WAITING, ["Aucun brouillon."])
    plan.link, plan.link_label = grid, "Ouvrir la grille de planification"
    review.link, review.link_label = grid, "Relire la grille"
    out += [plan, review]

    if day is None:
        publish = Step("publish", "Publication des agendas", UNREACHABLE, [])
    elif published:
        figures = [f"Version n° {published} publiée : agendas envoyés"]
        if status == "draft":
            figures.append(f"Le brouillon n° {version} n'est pas encore publié.")
        publish = Step(
            "publish", "Publication des agendas", DOING if status == "draft" else DONE, figures
        )
    else:
        publish = Step(
            "publish",
            "Publication des agendas",
            TODO if version else WAITING,
            ["Rien n'est publié."],
        )
    publish.link, publish.link_label = grid, "Publier depuis la grille"
    out.append(publish)
    out.append(_emails(remote, urls["notifier"]))

    out.append(
        Step(
            "checkin",
            "Accueil du jour J",
            DOING if local.present else TODO,
            [
                f"{_plural(local.present, 'présent')} sur {local.registered} inscrits",
                f"{local.present_holders} porteur(s), {local.present_experts} expert(s)",
                *(
                    [
                        f"{day.get('absent', 0)} absent(s), {day.get('excused', 0)} "
                        f"ayant prévenu, {day.get('awaited', 0)} attendu(s)"
                    ]
                    if day and day.get("published_version")
                    else []
                ),
            ],
            f"/admin/accueil?edition={edition_id}",
            "Ouvrir l'accueil",
        )
    )

    if day is None:
        close = Step("close", "Clôture des sessions", UNREACHABLE, [])
    else:
        sessions = day.get("sessions", [])
        closed = [s for s in sessions if s.get("closed")]
        close = Step(
            "close",
            "Clôture des sessions",
            DONE if sessions and len(closed) == len(sessions) else (DOING if closed else TODO),
            [f"{len(closed)} session(s) clôturée(s) sur {len(sessions)}"]
            + [f"{s['title']} : {'clôturée' if s.get('closed') else 'ouverte'}" for s in sessions],
        )
    close.link, close.link_label = f"{sched}/admin/journee", "Clôturer une session"
    out.append(close)

    if remote.surveys is None:
        surveys = Step("surveys", "Questionnaires", UNREACHABLE, [])
        report = Step("report", "Rapport d'évaluation", UNREACHABLE, [])
    else:
        rows = remote.surveys.get("surveys", [])
        opened = [r for r in rows if r.get("opened_at")]
        invited = sum(r.get("invited", 0) for r in rows)
        answered = sum(r.get("answered", 0) + r.get("anonymous", 0) for r in rows)
        surveys = Step(
            "surveys",
            "Questionnaires",
            DOING if opened else (TODO if rows else WAITING),
            [
                f"{len(opened)} questionnaire(s) ouvert(s) sur {len(rows)}",
                f"{_plural(invited, 'invitation')}, {_plural(answered, 'réponse')}",
            ],
        )
        report = Step(
            "report",
            "Rapport d'évaluation",
            DOING if answered else WAITING,
            [f"Établi sur {_plural(answered, 'réponse')}" if answered else "Aucune réponse."],
        )
    surveys.link = f"{surv}/admin/editions/{edition_id}/surveys"
    surveys.link_label = "Voir les questionnaires"
    report.link = f"{surv}/admin/editions/{edition_id}/report"
    report.link_label = "Ouvrir le rapport"
    out += [surveys, report]
    for step in out:
        if step.state == UNREACHABLE and not step.figures:
            service = "des questionnaires" if step.key in ("surveys", "report") else "de planning"
            step.figures = [f"Le service {service} ne répond pas : réessayez dans un instant."]
    return out
