"""Back-office forms and views: the programme form, the grid's cells, French messages."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from services.scheduler.adapters.db import AppointmentRecord
from services.scheduler.adapters.registration import DirectoryUnavailable
from services.scheduler.domain.programme import (
    ROW_KINDS,
    WINDOW,
    new_session_id,
    span,
    window_overlaps,
)
from services.scheduler.service_layer.context import Scheduler
from services.scheduler.service_layer.planning import Day
from services.scheduler.service_layer.sessions import DAY_SESSION
from shared.edition import (
    TIMEZONE,
    EditionSettings,
    HalfDay,
    Session,
    SessionKind,
    Tag,
    TimeRange,
    half_day_of,
)
from shared.formats.schedule import table_label
from shared.french import french_number, local_time
from shared.presence import PRESENCE_LABELS, Presence, presence_of
from shared.text import clean
from shared.web.forms import whole_number

# Far above any day of the action sheet (12 tables, 4 meetings), low enough that a typo never
# asks the planner for a billion tables.
MAX_TABLES = 500
MAX_MEETINGS = 100
MAX_PLACES = 10_000
MAX_ROWS = 60  # rows of the day on the programme page
BLANK_ROWS = 2  # empty rows under the day's, to add a session without a script
ROW_FIELDS = ("kind", "title", "start", "end", "theme", "id", "remove")
_TIME = re.compile(r"(\d{1,2})\s*(?:[:hH.]\s*(\d{2})?)?")


class FormError(ValueError):
    """A field the operator must correct; the message says which and how."""


class FormErrors(ValueError):
    """Every field of the programme to correct, by field name, in French."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def error_summary(errors: dict[str, str]) -> list[tuple[str, str]]:
    """The errors at the top of the page, each with its field's id; a row's says which row."""
    summary = []
    for name, message in errors.items():
        parts = name.split("-")
        if len(parts) == 3 and parts[0] == "row" and parts[1].isdigit():
            message = f"Ligne {int(parts[1]) + 1} : {message[0].lower()}{message[1:]}"
        summary.append((f"f-{name}", message))
    return summary


def blank_row() -> dict[str, str]:
    return {"kind": SessionKind.CONFERENCE.value, **dict.fromkeys(ROW_FIELDS[1:], "")}


def edition_rows(edition: EditionSettings) -> list[dict[str, str]]:
    """The day as the page shows it: meeting windows and sessions, one row each, by time."""
    rows = [
        (w.start, {"kind": WINDOW, "title": "", "theme": "", "id": "", "start": f"{w.start:%H:%M}",
                   "end": f"{w.end:%H:%M}", "remove": ""})
        for w in edition.windows
    ]  # fmt: skip
    rows += [
        (s.start, {"kind": s.kind.value, "title": s.title, "theme": s.theme, "id": s.session_id,
                   "start": f"{s.start:%H:%M}", "end": f"{s.end:%H:%M}", "remove": ""})
        for s in edition.sessions
    ]  # fmt: skip
    return [row for _start, row in sorted(rows, key=lambda r: r[0])]


def edition_fields(edition: EditionSettings) -> dict[str, str]:
    def places(n: int | None) -> str:
        return "" if n is None else str(n)

    return {
        "title": edition.title,
        "date": edition.date.isoformat(),
        "venue": edition.venue,
        "slot_minutes": str(edition.slot_minutes),
        "tables": places(edition.tables),
        "holder_max_meetings": str(edition.holder_max_meetings),
        "capacity_holders": places(edition.capacity_holders),
        "capacity_experts": places(edition.capacity_experts),
        "tags": "\n".join(f"{t.code} | {t.label}" for t in edition.tags),
        "registration_opens": _local_input(edition.registration_opens),
        "registration_closes": _local_input(edition.registration_closes),
    }


def posted_rows(form: dict[str, str]) -> list[dict[str, str]]:
    """The rows of the day as posted (`row-<n>-<field>`), in their order on the page."""
    numbers = set()
    for name in form:
        parts = name.split("-")
        if len(parts) == 3 and parts[0] == "row" and parts[1].isdigit() and parts[2] in ROW_FIELDS:
            numbers.add(int(parts[1]))
    return [{f: form.get(f"row-{n}-{f}", "").strip() for f in ROW_FIELDS} for n in sorted(numbers)]


def is_empty(row: dict[str, str]) -> bool:
    return not any(row[f] for f in ("title", "start", "end", "theme"))


def _clock(text: str) -> dt.time | None:
    """« 11:00 » as a time field sends it, or « 11h », « 11 h 30 », « 11.30 » as typed."""
    match = _TIME.fullmatch(text.strip())
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 23 or minute > 59:
        return None
    return dt.time(hour, minute)


def _parse_rows(
    current: EditionSettings, rows: list[dict[str, str]], errors: dict[str, str]
) -> tuple[list[TimeRange], list[Session]]:
    if len(rows) > MAX_ROWS:
        errors["rows"] = f"Le programme compte au plus {MAX_ROWS} lignes."
        return [], []
    known = {s.session_id for s in current.sessions}
    kept = [r for r in rows if not r["remove"] and not is_empty(r)]
    # Existing sessions keep their ids (registrations and surveys refer to them).
    taken = {r["id"] for r in kept if r["id"] in known}
    # The ids the closing of the day gives the meeting windows and the day itself.
    reserved = {f"rendez-vous-{h.value}" for h in HalfDay} | {DAY_SESSION}
    taken |= reserved - known
    windows: list[TimeRange] = []
    sessions: list[Session] = []
    for n, row in enumerate(rows):
        if row["remove"] or is_empty(row):
            continue
        key = f"row-{n}"
        kind = row["kind"]
        if kind not in ROW_KINDS:
            errors[f"{key}-kind"] = "Choisissez le type dans la liste."
            continue
        start, end = _clock(row["start"]), _clock(row["end"])
        if start is None:
            errors[f"{key}-start"] = "Indiquez l'heure de début, par exemple 11:00."
        if end is None:
            errors[f"{key}-end"] = "Indiquez l'heure de fin, par exemple 12:00."
        elif start is not None and end <= start:
            errors[f"{key}-end"] = f"La fin ({row['end']}) doit suivre le début ({row['start']})."
        title = " ".join(clean(row["title"]).split())
        if kind != WINDOW and not title:
            errors[f"{key}-title"] = "Donnez un titre à cette session."
        if start is None or end is None or end <= start or (kind != WINDOW and not title):
            continue
        if kind == WINDOW:
            windows.append(TimeRange(start=start, end=end))
            continue
        session_kind = SessionKind(kind)
        session_id = row["id"] if row["id"] in known and row["id"] in taken else ""
        if not session_id or any(s.session_id == session_id for s in sessions):
            session_id = new_session_id(kind, title, taken)
        taken.add(session_id)
        sessions.append(
            Session(
                session_id=session_id,
                kind=session_kind,
                title=title,
                start=start,
                end=end,
                theme=" ".join(clean(row["theme"]).split()),
                half_day=half_day_of(start) if session_kind is SessionKind.CONFERENCE else None,
            )
        )
    if not windows and not any(k.startswith("row-") for k in errors):
        errors["rows"] = "Indiquez au moins une fenêtre de rendez-vous."
    for a, b in window_overlaps(tuple(windows)):
        errors.setdefault(
            "rows",
            f"Les fenêtres de rendez-vous {span(a.start, a.end)} et {span(b.start, b.end)} "
            "se chevauchent : réunissez-les en une seule ligne ou décalez-en une.",
        )
    # In time order, as the forms and agendas list them, wherever the row was typed.
    return sorted(windows, key=lambda w: w.start), sorted(sessions, key=lambda s: (s.start, s.end))


def _local_input(moment: dt.datetime | None) -> str:
    """A moment as a `datetime-local` field shows it, in the edition's zone."""
    return "" if moment is None else local_time(moment).strftime("%Y-%m-%dT%H:%M")


def _moment(form: dict[str, str], name: str, errors: dict[str, str]) -> dt.datetime | None:
    text = form.get(name, "").strip()
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        errors[name] = "Indiquez une date et une heure, par exemple 2026-10-01 09:00."
        return None
    return moment.replace(tzinfo=ZoneInfo(TIMEZONE)) if moment.tzinfo is None else moment


def _number(
    form: dict[str, str],
    name: str,
    low: int,
    high: int,
    errors: dict[str, str],
    default: str = "",
) -> int | None:
    text = form.get(name, default).strip()
    if not text:
        return None
    try:
        return whole_number(text, low, high, "Valeur")
    except ValueError:
        errors[name] = f"Indiquez un nombre entier de {low} à {french_number(high)}."
        return None


def parse_edition_form(current: EditionSettings, form: dict[str, str]) -> EditionSettings:
    """The programme as posted, or `FormErrors` naming every field to correct."""
    errors: dict[str, str] = {}
    try:
        date = dt.date.fromisoformat(form.get("date", "").strip())
    except ValueError:
        errors["date"] = "Indiquez la date de la journée, par exemple 2026-11-19."
        date = current.date
    windows, sessions = _parse_rows(current, posted_rows(form), errors)
    opens = _moment(form, "registration_opens", errors)
    closes = _moment(form, "registration_closes", errors)
    if opens and closes and closes <= opens:
        errors["registration_closes"] = "La clôture des inscriptions doit suivre leur ouverture."
    slot_minutes = _number(form, "slot_minutes", 10, 120, errors, "30")
    if slot_minutes is None and "slot_minutes" not in errors:
        errors["slot_minutes"] = "Indiquez la durée d'un créneau, de 10 à 120 minutes."
    tables = _number(form, "tables", 1, MAX_TABLES, errors)
    holder_max = _number(form, "holder_max_meetings", 1, MAX_MEETINGS, errors, "4")
    if holder_max is None and "holder_max_meetings" not in errors:
        errors["holder_max_meetings"] = "Indiquez un nombre de rendez-vous, de 1 à 100."
    capacity_holders = _number(form, "capacity_holders", 1, MAX_PLACES, errors)
    capacity_experts = _number(form, "capacity_experts", 1, MAX_PLACES, errors)
    tags = []
    for line in form.get("tags", "").splitlines():
        if not line.strip():
            continue
        code, _, label = (p.strip() for p in line.partition("|"))
        if not code or not label:
            errors["tags"] = f"Ligne « {line.strip()} » : écrivez code | libellé."
            break
        tags.append(Tag(code=code, label=label))
    if errors:
        raise FormErrors(errors)
    try:
        return EditionSettings.model_validate(
            {
                **current.model_dump(),
                "title": form.get("title", current.title).strip() or current.title,
                "date": date,
                "venue": form.get("venue", current.venue).strip(),
                "slot_minutes": slot_minutes,
                "tables": tables,
                "holder_max_meetings": holder_max,
                "capacity_holders": capacity_holders,
                "capacity_experts": capacity_experts,
                "windows": windows,
                "sessions": sessions,
                "tags": tags or current.tags,
                "registration_opens": opens,
                "registration_closes": closes,
            }
        )
    except (ValueError, ValidationError) as exc:  # the checks above leave nothing for this
        raise FormErrors(
            {"rows": "Le programme n'a pas pu être lu : vérifiez les lignes."}
        ) from exc


def table_number(text: str) -> int | None:
    text = text.strip().upper().removeprefix("T")
    if not text:
        return None
    try:
        return whole_number(text, 1, MAX_TABLES, "Table")
    except ValueError as exc:
        raise FormError(f"{exc} : indiquez un numéro (par exemple 3 ou T03).") from exc


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
    mark: str = ""  # « absent·e » or « a prévenu » when someone of the meeting is marked
    mark_kind: str = ""  # absent or prevenu, for the style


@dataclass
class Ghost:
    """A meeting released because someone of it is marked absent: shown struck through in
    its cell, with the mark, so the grid says who is missing and where."""

    holder_organisation: str
    table: str
    mark: str
    mark_kind: str


@dataclass
class SlotCell:
    """One cell of the grid: an expert at a slot. `state`: rdv (a meeting), libre, conference
    (at a conference they chose) or indisponible (not there that half-day, or absent)."""

    slot: int
    state: str
    meetings: list[Cell] = field(default_factory=list)
    released: list[Ghost] = field(default_factory=list)


@dataclass
class GridRow:
    expert_id: str
    organisation: str
    cells: list[SlotCell]
    absent: bool = False  # marked absent (no-show) or no longer planned
    mark: str = ""  # « absent·e », « a prévenu »; empty for someone no longer planned
    mark_kind: str = ""


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


def _mark(day: Day, pid: str) -> Presence | None:
    """Absent or excused (shared/presence.py), None for anyone else."""
    row = day.people.get(pid)
    if row is None or not row.absent:
        return None
    return presence_of(bool(row.present), absent=True, excused=bool(row.excused))


def _marks(day: Day, *pids: str) -> tuple[str, str]:
    for pid in pids:
        mark = _mark(day, pid)
        if mark is not None:
            return PRESENCE_LABELS[mark], mark.value
    return "", ""


def build_grid(
    sched: Scheduler,
    day: Day,
    rows: list[AppointmentRecord],
    released: Sequence[AppointmentRecord] = (),
) -> Grid:
    """Experts as rows, slots as columns; organisations fetched from registration now.
    `released`: the version's released meetings; those of people marked absent are shown."""
    active = {r.appointment_id for r in rows}
    ghosts = [
        r
        for r in released
        if r.appointment_id not in active and (_mark(day, r.holder_id) or _mark(day, r.expert_id))
    ]
    expert_ids = [e.id for e in day.problem.experts]
    expert_ids += sorted({r.expert_id for r in [*rows, *ghosts]} - set(expert_ids))
    ids = set(expert_ids) | {r.holder_id for r in rows} | {r.holder_id for r in ghosts}
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
    for grid_row in grid_rows:
        grid_row.mark, grid_row.mark_kind = _marks(day, grid_row.expert_id)
    for r in ghosts:
        slot = day.slot_of(r.start)
        if slot is None:
            continue
        mark, kind = _marks(day, r.holder_id, r.expert_id)
        grid_rows[index[r.expert_id]].cells[slot].released.append(
            Ghost(org(r.holder_id), table_label(r.table_number), mark, kind)
        )
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
        cell.mark, cell.mark_kind = _marks(day, r.holder_id)
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
