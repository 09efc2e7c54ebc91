"""Back-office forms and views: the programme form, the grid's cells, French messages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from services.scheduler.adapters.registration import DirectoryUnavailable
from services.scheduler.service_layer.context import Scheduler
from services.scheduler.service_layer.planning import Day, ReplanReport
from shared.edition import (
    TIMEZONE,
    EditionSettings,
    Session,
    SessionKind,
    Tag,
    TimeRange,
    half_day_of,
)
from shared.formats.schedule import table_label
from shared.french import french_date, french_datetime, local_time
from shared.web.forms import whole_number

KIND_LABELS = {
    SessionKind.CONFERENCE: "conference",
    SessionKind.LUNCH: "repas",
    SessionKind.CLOSING: "cloture",
    SessionKind.WINDOW: "fenetre",
    SessionKind.DAY: "journee",
}
KINDS_BY_LABEL = {v: k for k, v in KIND_LABELS.items()}


# Far above any day of the action sheet (12 tables, 4 meetings), low enough that a typo never
# asks the planner for a billion tables.
MAX_TABLES = 500
MAX_MEETINGS = 100


class FormError(ValueError):
    """A field the operator must correct; the message says which and how."""


def _time_range(text: str) -> tuple[dt.time, dt.time]:
    try:
        start, end = (dt.time.fromisoformat(p.strip()) for p in text.split("-", 1))
    except ValueError as exc:
        raise FormError(f"« {text} » : écrivez une plage horaire comme 10:00-12:30.") from exc
    return start, end


def edition_fields(edition: EditionSettings) -> dict[str, str]:
    return {
        "title": edition.title,
        "date": edition.date.isoformat(),
        "venue": edition.venue,
        "slot_minutes": str(edition.slot_minutes),
        "tables": "" if edition.tables is None else str(edition.tables),
        "holder_max_meetings": str(edition.holder_max_meetings),
        "windows": "\n".join(f"{w.start:%H:%M}-{w.end:%H:%M}" for w in edition.windows),
        "sessions": "\n".join(
            f"{s.session_id} | {KIND_LABELS[s.kind]} | {s.title} | "
            f"{s.start:%H:%M}-{s.end:%H:%M} | {s.theme}"
            for s in edition.sessions
        ),
        "tags": "\n".join(f"{t.code} | {t.label}" for t in edition.tags),
        "registration_opens": _local_input(edition.registration_opens),
        "registration_closes": _local_input(edition.registration_closes),
    }


def edition_warnings(edition: EditionSettings, now: dt.datetime) -> list[str]:
    """What the programme page points out: dates that make the public forms refuse people."""
    today = local_time(now, edition.timezone).date()
    day = french_date(edition.date, weekday=True)
    if edition.date < today:
        return [
            f"La date de la journée ({day}) est passée : les formulaires d'inscription "
            "n'inscrivent plus personne. Pour l'édition suivante, changez la date."
        ]
    warnings = []
    closes = edition.registration_closes
    if closes is not None and closes.tzinfo is None:
        closes = closes.replace(tzinfo=ZoneInfo(TIMEZONE))
    if closes is not None and closes <= now:
        warnings.append(
            f"La clôture des inscriptions ({french_datetime(closes)}) est passée : "
            "les formulaires l'annoncent et n'inscrivent plus personne."
        )
    elif closes is not None and local_time(closes, edition.timezone).date() > edition.date:
        warnings.append(
            f"La clôture des inscriptions ({french_datetime(closes)}) suit la journée : "
            "les formulaires fermeront de toute façon le lendemain de la journée."
        )
    return warnings


def _local_input(moment: dt.datetime | None) -> str:
    """A moment as a `datetime-local` field shows it, in the edition's zone."""
    return "" if moment is None else local_time(moment).strftime("%Y-%m-%dT%H:%M")


def _moment(form: dict[str, str], name: str, label: str) -> dt.datetime | None:
    text = form.get(name, "").strip()
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise FormError(f"{label} : indiquez une date et une heure (AAAA-MM-JJ HH:MM).") from exc
    return moment.replace(tzinfo=ZoneInfo(TIMEZONE)) if moment.tzinfo is None else moment


def parse_edition_form(current: EditionSettings, form: dict[str, str]) -> EditionSettings:
    def lines(name: str) -> list[str]:
        return [line.strip() for line in form.get(name, "").splitlines() if line.strip()]

    windows = []
    for line in lines("windows"):
        start, end = _time_range(line)
        try:
            windows.append(TimeRange(start=start, end=end))
        except ValidationError as exc:
            raise FormError(f"Fenêtre « {line} » : la fin doit suivre le début.") from exc
    if not windows:
        raise FormError("Indiquez au moins une fenêtre de rendez-vous.")
    sessions = []
    for line in lines("sessions"):
        parts = [p.strip() for p in line.split("|")]
        if len(parts) < 4:
            raise FormError(
                f"Session « {line} » : identifiant | type | titre | 11:00-12:00 | thème."
            )
        session_id, kind, title, times = parts[:4]
        theme = parts[4] if len(parts) > 4 else ""
        if kind not in KINDS_BY_LABEL:
            raise FormError(
                f"Session « {session_id} » : type « {kind} » inconnu (conference, repas, cloture)."
            )
        start, end = _time_range(times)
        if end <= start:
            raise FormError(f"Session « {session_id} » : la fin doit suivre le début.")
        session_kind = KINDS_BY_LABEL[kind]
        sessions.append(
            Session(
                session_id=session_id,
                kind=session_kind,
                title=title,
                start=start,
                end=end,
                theme=theme,
                half_day=half_day_of(start) if session_kind is SessionKind.CONFERENCE else None,
            )
        )
    if len({s.session_id for s in sessions}) != len(sessions):
        raise FormError("Deux sessions ont le même identifiant.")
    opens = _moment(form, "registration_opens", "Ouverture des inscriptions")
    closes = _moment(form, "registration_closes", "Clôture des inscriptions")
    if opens and closes and closes <= opens:
        raise FormError("La clôture des inscriptions doit suivre leur ouverture.")
    try:
        slot_minutes = whole_number(form.get("slot_minutes", "30"), 10, 120, "Durée des créneaux")
        tables_text = form.get("tables", "").strip()
        tables = whole_number(tables_text, 1, MAX_TABLES, "Tables") if tables_text else None
        holder_max = whole_number(
            form.get("holder_max_meetings", "4"), 1, MAX_MEETINGS, "Rendez-vous par porteur"
        )
    except ValueError as exc:
        raise FormError(f"{exc}.") from exc
    tags = []
    for line in lines("tags"):
        code, _, label = (p.strip() for p in line.partition("|"))
        if not code or not label:
            raise FormError(f"Thématique « {line} » : écrivez code | libellé.")
        tags.append(Tag(code=code, label=label))
    try:
        return EditionSettings.model_validate(
            {
                **current.model_dump(),
                "title": form.get("title", current.title).strip() or current.title,
                "date": dt.date.fromisoformat(form.get("date", "").strip()),
                "venue": form.get("venue", current.venue).strip(),
                "slot_minutes": slot_minutes,
                "tables": tables,
                "holder_max_meetings": holder_max,
                "windows": windows,
                "sessions": sessions,
                "tags": tags or current.tags,
                "registration_opens": opens,
                "registration_closes": closes,
            }
        )
    except (ValueError, ValidationError) as exc:
        raise FormError(
            "Vérifiez la date (AAAA-MM-JJ), la durée des créneaux (10 à 120 minutes), "
            "le nombre de tables et le nombre maximal de rendez-vous."
        ) from exc


def table_number(text: str) -> int | None:
    text = text.strip().upper().removeprefix("T")
    if not text:
        return None
    try:
        return whole_number(text, 1, MAX_TABLES, "Table")
    except ValueError as exc:
        raise FormError(f"{exc} : indiquez un numéro (par exemple 3 ou T03).") from exc


def replan_message(absent: int, report: ReplanReport) -> str:
    return (
        f"{absent} absent(s) ; {report.released} rendez-vous libéré(s), "
        f"{report.moved} déplacé(s), {report.added} ajouté(s), {report.kept} inchangé(s)."
    )


@dataclass
class Cell:
    appointment_id: str
    holder_id: str
    holder_organisation: str
    reason: str
    reason_kind: str
    table: str
    locked: bool
    holder_absent: bool = False


@dataclass
class SlotCell:
    """One cell of the grid: an expert at a slot. `state`: rdv (a meeting), libre, conference
    (at a conference they chose) or indisponible (not there that half-day, or absent)."""

    slot: int
    state: str
    meetings: list[Cell] = field(default_factory=list)


@dataclass
class GridRow:
    expert_id: str
    organisation: str
    cells: list[SlotCell]
    absent: bool = False  # marked absent (no-show) or no longer planned


@dataclass
class Grid:
    slots: list[str]
    rows: list[GridRow]
    choices: list[tuple[str, str]] = field(default_factory=list)  # appointment id, label
    directory_ok: bool = True
    meetings: int = 0
    holders_with_meeting: int = 0
    holders: int = 0


STATE_LABELS = {
    "libre": "libre",
    "conference": "conférence",
    "indisponible": "indisponible",
    "absent": "absent·e",
}


def _expert_state(day: Day, expert_id: str, slot: int) -> str:
    expert = day.expert(expert_id)
    if expert is None:
        return "absent"
    s = day.problem.slots[slot]
    if s.half_day not in expert.availability.half_days():
        return "indisponible"
    if s.conference_of & expert.conferences:
        return "conference"
    return "libre"


def _absent(day: Day, pid: str) -> bool:
    """Marked absent at the desk or by the no-show check (the read model's flag)."""
    row = day.people.get(pid)
    return bool(row is not None and row.absent)


def build_grid(sched: Scheduler, day: Day, rows: list[Any]) -> Grid:
    """Experts as rows, slots as columns; organisations fetched from registration now."""
    expert_ids = [e.id for e in day.problem.experts]
    expert_ids += sorted({r.expert_id for r in rows} - set(expert_ids))
    ids = set(expert_ids) | {r.holder_id for r in rows}
    try:
        contacts = sched.directory.contacts(ids)
        directory_ok = True
    except DirectoryUnavailable:
        contacts, directory_ok = {}, False

    def org(pid: str) -> str:
        contact = contacts.get(pid)
        return contact.organisation if contact and contact.organisation else f"#{pid[:8]}"

    index = {pid: i for i, pid in enumerate(expert_ids)}
    n_slots = len(day.problem.slots)
    grid_rows = [
        GridRow(
            pid,
            org(pid),
            [SlotCell(s, _expert_state(day, pid, s)) for s in range(n_slots)],
            absent=day.expert(pid) is None,
        )
        for pid in expert_ids
    ]
    choices = []
    for r in rows:
        slot = day.slot_of(r.start)
        if slot is None:
            continue
        cell = Cell(
            appointment_id=r.appointment_id,
            holder_id=r.holder_id,
            holder_organisation=org(r.holder_id),
            reason=r.reason,
            reason_kind=r.reason_kind,
            table=table_label(r.table_number),
            locked=r.locked,
            holder_absent=day.holder(r.holder_id) is None or _absent(day, r.holder_id),
        )
        target = grid_rows[index[r.expert_id]].cells[slot]
        target.meetings.append(cell)
        target.state = "rdv"
        label = day.problem.slots[slot].start.strftime("%H:%M")
        choices.append(
            (
                r.appointment_id,
                f"{label} {cell.table} – {org(r.expert_id)} / {cell.holder_organisation}",
            )
        )
    return Grid(
        slots=[f"{s.start:%H:%M}–{s.end:%H:%M}" for s in day.problem.slots],
        rows=grid_rows,
        choices=sorted(choices, key=lambda c: c[1]),
        directory_ok=directory_ok,
        meetings=len(rows),
        holders_with_meeting=len({r.holder_id for r in rows}),
        holders=len(day.problem.holders),
    )
