"""Wishes and needs without a meeting in the schedule the grid shows, each with its reason
(the one `rencontres plan --explain` gives, from `domain/explain.py`) and what the operator
can change in the back-office for it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from services.scheduler.adapters.registration import DirectoryUnavailable
from services.scheduler.domain.explain import Cause, Explanation, Unmet, explain
from services.scheduler.domain.model import Appointment
from services.scheduler.service_layer import planning
from services.scheduler.service_layer.context import Scheduler
from services.scheduler.service_layer.editions import current_edition

PROGRAMME = "/admin/edition"
MOVE_FORM = "/admin/planning#deplacer"


@dataclass(frozen=True)
class Action:
    label: str  # French, for the operator
    url: str  # a back-office page, absolute


@dataclass(frozen=True)
class Unplaced:
    explanation: Explanation
    tag_label: str  # the need's label; empty for a wish
    actions: tuple[Action, ...]


@dataclass(frozen=True)
class UnplacedReport:
    version: int | None  # the schedule explained (draft under review, else published)
    status: str | None
    items: tuple[Unplaced, ...]


def unplaced(
    session: Session, sched: Scheduler, participant_id: str | None = None
) -> UnplacedReport:
    """Every unmet wish and need of the shown schedule, or only those of one person."""
    edition = current_edition(session, sched.edition_id)
    day = planning.load_day(session, edition)
    version = planning.working_version(session, sched.edition_id)
    if version is None:
        return UnplacedReport(None, None, ())
    meetings = [
        Appointment(slot=slot, table=r.table_number, expert_id=r.expert_id, holder_id=r.holder_id)
        for r in planning.active_rows(session, version.id)
        if (slot := day.slot_of(r.start)) is not None
    ]
    found = explain(day.problem, meetings)
    if participant_id is not None:
        found = tuple(x for x in found if participant_id in (x.holder_id, x.expert_id))
    labels = day.tag_labels()
    urls = sched.settings.public_urls()
    return UnplacedReport(
        version=version.number,
        status=version.status,
        items=tuple(Unplaced(x, labels.get(x.tag, x.tag), _actions(day, x, urls)) for x in found),
    )


def _actions(day: planning.Day, x: Explanation, urls: dict[str, str]) -> tuple[Action, ...]:
    """Links to where each cause can be changed; after a change « Planifier » (or, once
    published, the live re-plan) takes it into account. Nothing is offered where the
    back-office has no page for it (no expert offers the need)."""

    def field(pid: str, name: str) -> str:
        """The field of the person's form in the back-office (registration)."""
        return f"{urls['registration']}/admin/participants/{pid}#f-{name}"

    programme = f"{urls['scheduler']}{PROGRAMME}"
    slot = Action("Ajouter un créneau (Programme)", programme)
    wish = x.kind is Unmet.WISH
    match x.cause:
        case Cause.REFUSED:
            h = day.holder(x.holder_id)
            by_holder = not wish or (h is not None and x.expert_id in h.refuses)
            return (
                Action("Revoir les refus du porteur", field(x.holder_id, "refus"))
                if by_holder
                else Action("Revoir les refus de l'expert", field(x.expert_id, "refus")),
            )
        case Cause.ABSENT | Cause.CONFERENCE:
            what, name = (
                ("Modifier la disponibilité", "disponibilite")
                if x.cause is Cause.ABSENT
                else ("Revoir les conférences choisies", "conferences")
            )
            found = [Action(f"{what} du porteur", field(x.holder_id, name))]
            if wish:
                found.append(Action(f"{what} de l'expert", field(x.expert_id, name)))
            return tuple(found)
        case Cause.HOLDER_FULL:
            return (
                Action("Relever le plafond du porteur", field(x.holder_id, "rdv_max")),
                Action("Relever le plafond de l'édition", programme),
            )
        case Cause.EXPERT_FULL:
            if wish:
                return (
                    Action("Relever le plafond de l'expert", field(x.expert_id, "rdv_max")),
                    slot,
                )
            return (slot,)
        case Cause.NO_FREE_SLOT:
            move = f"{urls['scheduler']}{MOVE_FORM}"
            return (Action("Déplacer un rendez-vous pour libérer un créneau", move), slot)
        case Cause.NO_TABLE:
            return (Action("Ajouter des tables", programme),)
    return ()


def panel(sched: Scheduler, report: UnplacedReport) -> dict[str, object]:
    """The planning page's panel (`_unplaced.html`): organisations fetched from registration
    now; short ids when it does not answer. Sorted by holder, wishes before needs."""
    ids = {x.explanation.holder_id for x in report.items}
    ids |= {x.explanation.expert_id for x in report.items if x.explanation.expert_id}
    try:
        contacts = sched.directory.contacts(ids)
    except DirectoryUnavailable:
        contacts = {}

    def org(pid: str) -> str:
        contact = contacts.get(pid)
        return contact.organisation if contact and contact.organisation else f"#{pid[:8]}"

    rows = [
        {
            "holder": org(x.explanation.holder_id),
            "kind": x.explanation.kind.value,
            "asked_by": x.explanation.asked_by,
            "counterpart": org(x.explanation.expert_id) if x.explanation.expert_id else "",
            "tag_label": x.tag_label,
            "reason": x.explanation.reason,
            "actions": x.actions,
        }
        for x in report.items
    ]
    rows.sort(key=lambda r: (str(r["holder"]).casefold(), r["kind"] != Unmet.WISH.value))
    return {
        "available": True,
        "version": report.version,
        "status": report.status,
        "rows": rows,
        "show_holder": True,
    }
