"""Schedules as stored versions: draft plans, operator edits, publication and live re-plans.

Every use case runs in the caller's transaction and adds its events to the outbox there, so a
published change and its events commit together or not at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
import uuid
import zoneinfo
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, TypeVar

from prometheus_client import Counter, Histogram
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.scheduler.adapters.db import (
    AppointmentRecord,
    ParticipantRecord,
    VersionRecord,
    appointments,
    grid_edits,
    participants,
    schedule_versions,
)
from services.scheduler.domain.live import (
    CellState,
    SchedulingError,
    Verdict,
    check_schedule,
    drop_verdict,
    drop_verdicts,
    meeting_reason,
    moved,
    reconcile,
    remaining_day,
    swapped,
)
from services.scheduler.domain.model import Appointment, Expert, Holder, Problem, RequiredPair
from services.scheduler.service_layer.context import Scheduler
from services.scheduler.service_layer.editions import allow_moves, ensure_edition
from shared.db import record
from shared.edition import Availability, EditionSettings
from shared.events import (
    RegistrationStatus,
    ReleaseReason,
    Role,
    SchedulePublished,
    SlotAssigned,
    SlotReleased,
)
from shared.formats.schedule import table_label

log = logging.getLogger(__name__)
SlotEvent = TypeVar("SlotEvent", SlotAssigned, SlotReleased)


REPLAN_SECONDS = Histogram(
    "rencontres_scheduler_replan_duration_seconds",
    "Time to re-plan the published schedule after a change (solver and rows)",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
MEETINGS_CHANGED = Counter(
    "rencontres_scheduler_live_changes_total",
    "Published meetings changed by live re-plans, by change (released, moved, added)",
    ["change"],
)
for _change in ("released", "moved", "added"):
    MEETINGS_CHANGED.labels(_change)


class Status:
    DRAFT = "draft"
    PUBLISHED = "published"
    REPLACED = "replaced"


# -- the day as the solver sees it ----------------------------------------------------------
def local(edition: EditionSettings, at: dt.time) -> dt.datetime:
    """An aware datetime on the edition's day, in its time zone."""
    return dt.datetime.combine(edition.date, at, tzinfo=zoneinfo.ZoneInfo(edition.timezone))


@dataclass(frozen=True)
class Day:
    edition: EditionSettings
    problem: Problem
    starts: tuple[dt.datetime, ...]  # aware, per slot index
    ends: tuple[dt.datetime, ...]
    people: dict[str, ParticipantRecord]  # the edition's participants, planned or not

    def slot_of(self, start: dt.datetime) -> int | None:
        for i, s in enumerate(self.starts):
            if s == start:
                return i
        return None

    def first_future_slot(self, now: dt.datetime) -> int:
        """The first slot that has not started yet (len(slots) when the day is over)."""
        return next((i for i, s in enumerate(self.starts) if s > now), len(self.starts))

    def tag_labels(self) -> dict[str, str]:
        return {t.code: t.label for t in self.edition.tags}

    def holder(self, pid: str) -> Holder | None:
        i = self.problem.holder_index.get(pid)
        return None if i is None else self.problem.holders[i]

    def expert(self, pid: str) -> Expert | None:
        i = self.problem.expert_index.get(pid)
        return None if i is None else self.problem.experts[i]


def plannable(row: ParticipantRecord) -> bool:
    return row.status == RegistrationStatus.REGISTERED and not row.erased and not row.absent


def load_day(session: Session, edition: EditionSettings) -> Day:
    rows = [
        record(ParticipantRecord, row)
        for row in session.execute(
            select(participants).where(participants.c.edition_id == edition.edition_id)
        )
    ]
    half_day_of = {c.session_id: c.half_day for c in edition.conferences() if c.half_day}
    holders: list[Holder] = []
    experts: list[Expert] = []
    for row in rows:
        if not plannable(row):
            continue
        conferences = frozenset(half_day_of[s] for s in row.sessions if s in half_day_of)
        availability = Availability(row.availability)
        if row.role == Role.HOLDER:
            holders.append(
                Holder(
                    id=row.participant_id,
                    needs=tuple(row.tags),
                    wants=frozenset(row.wants),
                    refuses=frozenset(row.refuses),
                    availability=availability,
                    conferences=conferences,
                    max_meetings=(
                        edition.holder_max_meetings
                        if row.max_meetings is None
                        else row.max_meetings
                    ),
                )
            )
        else:
            experts.append(
                Expert(
                    id=row.participant_id,
                    expertise=frozenset(row.tags),
                    wants=frozenset(row.wants),
                    refuses=frozenset(row.refuses),
                    availability=availability,
                    conferences=conferences,
                    max_meetings=row.max_meetings,
                )
            )
    problem = Problem.for_edition(edition, tuple(holders), tuple(experts))
    utc = dt.UTC
    return Day(
        edition=edition,
        problem=problem,
        starts=tuple(local(edition, s.start).astimezone(utc) for s in problem.slots),
        ends=tuple(local(edition, s.end).astimezone(utc) for s in problem.slots),
        people={row.participant_id: row for row in rows},
    )


# -- versions and their appointments ---------------------------------------------------------
def latest_version(session: Session, edition_id: str, *statuses: str) -> VersionRecord | None:
    query = select(schedule_versions).where(schedule_versions.c.edition_id == edition_id)
    if statuses:
        query = query.where(schedule_versions.c.status.in_(statuses))
    row = session.execute(query.order_by(schedule_versions.c.number.desc()).limit(1)).first()
    return None if row is None else record(VersionRecord, row)


def published_version(session: Session, edition_id: str) -> VersionRecord | None:
    return latest_version(session, edition_id, Status.PUBLISHED)


def working_version(session: Session, edition_id: str) -> VersionRecord | None:
    """What the grid shows and edits: the draft under review, else the published schedule."""
    return latest_version(session, edition_id, Status.DRAFT, Status.PUBLISHED)


def active_rows(session: Session, version_id: int) -> list[AppointmentRecord]:
    return [
        record(AppointmentRecord, row)
        for row in session.execute(
            select(appointments)
            .where(appointments.c.version_id == version_id, appointments.c.released_at.is_(None))
            .order_by(appointments.c.start, appointments.c.table_number)
        )
    ]


def no_show_rows(session: Session, version_id: int) -> list[AppointmentRecord]:
    """The version's meetings released because someone of them was marked absent."""
    return [
        record(AppointmentRecord, row)
        for row in session.execute(
            select(appointments)
            .where(
                appointments.c.version_id == version_id,
                appointments.c.released_at.is_not(None),
                appointments.c.release_reason == ReleaseReason.NO_SHOW.value,
            )
            .order_by(appointments.c.start, appointments.c.table_number)
        )
    ]


def _new_version(
    session: Session, edition_id: str, status: str, origin: str, now: dt.datetime
) -> tuple[int, int]:
    number = (
        session.execute(
            select(func.max(schedule_versions.c.number)).where(
                schedule_versions.c.edition_id == edition_id
            )
        ).scalar()
        or 0
    ) + 1
    version_id = session.execute(
        schedule_versions.insert()
        .returning(schedule_versions.c.id)
        .values(
            edition_id=edition_id,
            number=number,
            status=status,
            origin=origin,
            created_at=now,
            published_at=now if status == Status.PUBLISHED else None,
            note="",
        )
    ).scalar_one()
    return version_id, number


def _domain(day: Day, row: AppointmentRecord) -> Appointment | None:
    slot = day.slot_of(row.start)
    if slot is None:
        return None
    return Appointment(
        slot=slot, table=row.table_number, expert_id=row.expert_id, holder_id=row.holder_id
    )


def _row_values(day: Day, a: Appointment) -> dict[str, Any]:
    holder, expert = day.holder(a.holder_id), day.expert(a.expert_id)
    assert holder is not None and expert is not None
    reason = meeting_reason(holder, expert, day.tag_labels())
    return {
        "holder_id": a.holder_id,
        "expert_id": a.expert_id,
        "start": day.starts[a.slot],
        "end": day.ends[a.slot],
        "table_number": a.table,
        "reason_kind": reason.kind.value,
        "reason": reason.text,
    }


def _slot_event(
    cls: type[SlotEvent],
    row: AppointmentRecord | None,
    values: dict[str, Any],
    number: int,
    **extra: Any,
) -> SlotEvent:
    merged = {**asdict(row), **values} if row is not None else values
    return cls(
        edition_id=merged["edition_id"],
        appointment_id=uuid.UUID(merged["appointment_id"]),
        holder_id=uuid.UUID(merged["holder_id"]),
        expert_id=uuid.UUID(merged["expert_id"]),
        start=merged["start"],
        end=merged["end"],
        table=table_label(merged["table_number"]),
        schedule_version=number,
        **extra,
    )


def assigned(row: AppointmentRecord, number: int) -> SlotAssigned:
    return _slot_event(SlotAssigned, row, {}, number)


def released(row: AppointmentRecord, number: int, reason: ReleaseReason) -> SlotReleased:
    return _slot_event(SlotReleased, row, {}, number, reason=reason)


# -- planning a draft --------------------------------------------------------------------------
@dataclass(frozen=True)
class DraftResult:
    number: int
    meetings: int
    holders_with_meeting: int
    holders: int
    bound: int | None  # most meetings any schedule can have
    seconds: float
    # The objective level by level, in its order: (French label, the draft's value, its
    # proven upper bound with the levels above at their optimum).
    levels: tuple[tuple[str, int, int], ...] = ()
    gaps: int = 0  # idle slots between people's meetings
    gaps_bound: int | None = None  # proven least idle slots for these pairs
    placement: str = ""  # which method placed the slots


def plan_draft(
    session: Session,
    app: Scheduler,
    edition_id: str,
    required: tuple[RequiredPair, ...] = (),
) -> DraftResult:
    """Run the solver on the read model and store the result as the draft to review. After a
    publication the draft starts from the published meetings (and keeps the locked ones).
    `required`: meetings the organiser arranged (participant ids); `RequiredPairError` when
    one cannot be planned."""
    from services.scheduler.domain.solver import plan, replan  # OR-Tools: when planning

    now = app.clock()
    edition = ensure_edition(session, app.outbox, edition_id, now)
    day = load_day(session, edition)
    problem = replace(day.problem, required=required) if required else day.problem
    started = time.perf_counter()
    published = published_version(session, edition_id)
    locked_pairs: set[tuple[str, str]] = set()
    published_ids: dict[tuple[str, str], str] = {}
    seconds_allowed = app.settings.placement_seconds
    if published is None:
        result = plan(problem, placement_seconds=seconds_allowed)
    else:
        rows = active_rows(session, published.id)
        published_ids = {(r.holder_id, r.expert_id): r.appointment_id for r in rows}
        pairs = [(a, r) for a, r in ((_domain(day, r), r) for r in rows) if a is not None]
        previous = [a for a, _r in pairs]
        locked = [a for a, r in pairs if r.locked]
        locked_pairs = {(a.holder_id, a.expert_id) for a in locked}
        result = replan(
            problem,
            previous,
            locked=locked,
            allow_moves=allow_moves(session, edition_id),
            with_bound=True,
            placement_seconds=seconds_allowed,
        )
    seconds = time.perf_counter() - started
    session.execute(
        schedule_versions.update()
        .where(
            schedule_versions.c.edition_id == edition_id,
            schedule_versions.c.status == Status.DRAFT,
        )
        .values(status=Status.REPLACED)
    )
    version_id, number = _new_version(session, edition_id, Status.DRAFT, "plan", now)
    values = [
        {
            "appointment_id": published_ids.get((a.holder_id, a.expert_id), str(uuid.uuid4())),
            "edition_id": edition_id,
            "version_id": version_id,
            "locked": (a.holder_id, a.expert_id) in locked_pairs,
            "assigned_version": number,
            **_row_values(day, a),
        }
        for a in result.appointments
    ]
    if values:
        session.execute(appointments.insert(), values)
    order = problem.needs_before_wishes
    levels = (
        tuple(
            (label, value, most)
            for (label, value), (_, most) in zip(
                result.figures.levels(order), result.bound.levels(order), strict=True
            )
        )
        if result.bound
        else ()
    )
    return DraftResult(
        number=number,
        meetings=len(result.appointments),
        holders_with_meeting=len({a.holder_id for a in result.appointments}),
        holders=len(day.problem.holders),
        bound=result.bound.meetings if result.bound else None,
        seconds=seconds,
        levels=levels,
        gaps=result.gaps,
        gaps_bound=result.gaps_bound,
        placement=result.placement.value,
    )


# -- publishing -------------------------------------------------------------------------------
@dataclass(frozen=True)
class PublishResult:
    number: int
    meetings: int
    holders_with_meeting: int
    released: int


@dataclass(frozen=True)
class PublishPreview:
    """What publishing the draft would do, for the confirmation page."""

    number: int
    meetings: int
    people: int  # with at least one meeting: each receives their agenda
    holders_with_meeting: int
    replaced: int | None  # the published version it replaces, if any
    released: int  # meetings of that version the draft does not repeat


def publish_preview(session: Session, edition_id: str) -> PublishPreview | None:
    """None when there is no draft to publish."""
    draft = latest_version(session, edition_id, Status.DRAFT)
    if draft is None:
        return None
    rows = active_rows(session, draft.id)
    old = published_version(session, edition_id)
    released_count = 0
    if old is not None:
        kept = {(r.appointment_id, r.start, r.table_number) for r in rows}
        released_count = sum(
            (r.appointment_id, r.start, r.table_number) not in kept
            for r in active_rows(session, old.id)
        )
    return PublishPreview(
        number=draft.number,
        meetings=len(rows),
        people=len({p for r in rows for p in (r.holder_id, r.expert_id)}),
        holders_with_meeting=len({r.holder_id for r in rows}),
        replaced=old.number if old is not None else None,
        released=released_count,
    )


def publish(session: Session, app: Scheduler, edition_id: str) -> PublishResult:
    """The draft becomes the schedule: SchedulePublished, then one SlotAssigned per meeting.
    Meetings of a previous publication that the new one does not repeat are released."""
    now = app.clock()
    draft = latest_version(session, edition_id, Status.DRAFT)
    if draft is None:
        raise SchedulingError("Aucun brouillon à publier : lancez d'abord la planification.")
    edition = ensure_edition(session, app.outbox, edition_id, now)
    day = load_day(session, edition)
    rows = active_rows(session, draft.id)
    domain = [_domain(day, r) for r in rows]
    if any(a is None for a in domain):
        raise SchedulingError("Le programme a changé depuis ce brouillon : replanifiez.")
    try:
        check_schedule(day.problem, [a for a in domain if a is not None])
    except SchedulingError as exc:
        raise SchedulingError(f"Brouillon périmé, replanifiez. {exc}") from exc

    events: list[Any] = []
    old = published_version(session, edition_id)
    released_count = 0
    if old is not None:
        # The same appointment_id at the same time and table is the same meeting: its
        # SlotAssigned is repeated (consumers key on the id), and it is not released.
        kept = {(r.appointment_id, r.start, r.table_number) for r in rows}
        for r in active_rows(session, old.id):
            if (r.appointment_id, r.start, r.table_number) not in kept:
                events.append(released(r, draft.number, ReleaseReason.MOVED))
                released_count += 1
        session.execute(
            schedule_versions.update()
            .where(schedule_versions.c.id == old.id)
            .values(status=Status.REPLACED)
        )
    session.execute(
        schedule_versions.update()
        .where(schedule_versions.c.id == draft.id)
        .values(status=Status.PUBLISHED, published_at=now)
    )
    holders = len({r.holder_id for r in rows})
    publication = SchedulePublished(
        edition_id=edition_id,
        schedule_version=draft.number,
        appointments=len(rows),
        holders_with_meeting=holders,
    )
    events.append(publication)
    events.extend(assigned(r, draft.number) for r in rows)
    # Streams are not ordered with each other: the publication's id on each of its events lets
    # a consumer tell them from later changes, whichever it reads first.
    tagged = [e.model_copy(update={"correlation_id": publication.event_id}) for e in events]
    app.outbox.add(session, *tagged)
    return PublishResult(
        number=draft.number,
        meetings=len(rows),
        holders_with_meeting=holders,
        released=released_count,
    )


# -- the operator's edits ------------------------------------------------------------------
def _editable(session: Session, app: Scheduler, edition_id: str):
    version = working_version(session, edition_id)
    if version is None:
        raise SchedulingError("Aucun planning : lancez d'abord la planification.")
    edition = ensure_edition(session, app.outbox, edition_id, app.clock())
    day = load_day(session, edition)
    rows = active_rows(session, version.id)
    by_id = {r.appointment_id: r for r in rows}
    domain: dict[str, Appointment] = {}
    for r in rows:
        a = _domain(day, r)
        if a is not None:
            domain[r.appointment_id] = a
    return version, day, by_id, domain


def _find(by_id: dict[str, AppointmentRecord], appointment_id: str) -> AppointmentRecord:
    if appointment_id not in by_id:
        raise SchedulingError("Ce rendez-vous n'existe pas (ou plus) dans le planning affiché.")
    return by_id[appointment_id]


def _apply_changes(
    session: Session,
    app: Scheduler,
    version: VersionRecord,
    day: Day,
    by_id: dict[str, AppointmentRecord],
    changed: dict[str, Appointment],
) -> int:
    """Write changed slots/tables; a published schedule also tells everyone (release, assign)."""
    events: list[Any] = []
    for appointment_id, a in changed.items():
        row = by_id[appointment_id]
        values = {
            "start": day.starts[a.slot],
            "end": day.ends[a.slot],
            "table_number": a.table,
            "assigned_version": version.number,
        }
        if (row.start, row.table_number) == (values["start"], values["table_number"]):
            continue
        session.execute(appointments.update().where(appointments.c.id == row.id).values(**values))
        if version.status == Status.PUBLISHED:
            events.append(released(row, version.number, ReleaseReason.MANUAL))
            events.append(_slot_event(SlotAssigned, row, values, version.number))
    app.outbox.add(session, *events)
    return len(events) // 2


def _first_open(app: Scheduler, version: VersionRecord, day: Day) -> int:
    """Slots a published schedule may no longer change (started or past); a draft, none."""
    return day.first_future_slot(app.clock()) if version.status == Status.PUBLISHED else 0


def _locked(
    by_id: dict[str, AppointmentRecord], domain: dict[str, Appointment]
) -> set[Appointment]:
    return {a for i, a in domain.items() if by_id[i].locked}


def drop_targets(
    session: Session, app: Scheduler, edition_id: str, appointment_id: str
) -> tuple[Verdict, ...]:
    """For the grid: what dropping the meeting on each slot of its expert's row would do."""
    version, day, by_id, domain = _editable(session, app, edition_id)
    _find(by_id, appointment_id)
    if appointment_id not in domain:
        raise SchedulingError("Ce rendez-vous n'est plus sur un créneau du programme.")
    return drop_verdicts(
        day.problem,
        domain.values(),
        domain[appointment_id],
        locked=_locked(by_id, domain),
        first_open=_first_open(app, version, day),
    )


def operator_key(operator: str) -> str:
    """How the grid's undo journal names an operator: a hash, never the account itself."""
    return hashlib.sha256(operator.encode()).hexdigest()


def _journal(
    session: Session,
    app: Scheduler,
    version: VersionRecord,
    day: Day,
    by_id: dict[str, AppointmentRecord],
    changed: dict[str, Appointment],
    kind: str,
    operator: str,
) -> None:
    changes = [
        {
            "appointment_id": i,
            "before": {"start": by_id[i].start.isoformat(), "table": by_id[i].table_number},
            "after": {"start": day.starts[a.slot].isoformat(), "table": a.table},
        }
        for i, a in changed.items()
    ]
    session.execute(
        grid_edits.insert().values(
            edition_id=version.edition_id,
            version_id=version.id,
            operator=operator_key(operator),
            kind=kind,
            changes=changes,
            created_at=app.clock(),
        )
    )


def drop_appointment(
    session: Session,
    app: Scheduler,
    edition_id: str,
    appointment_id: str,
    slot: int,
    operator: str,
) -> Verdict:
    """The grid's one edit: the meeting goes to `slot` in its expert's row, moving there when
    the cell is free, exchanging slots with the expert's meeting there otherwise. Refused with
    the very reason the grid showed (`drop_verdict`). Journalled for « Annuler »."""
    version, day, by_id, domain = _editable(session, app, edition_id)
    _find(by_id, appointment_id)
    if appointment_id not in domain:
        raise SchedulingError("Ce rendez-vous n'est plus sur un créneau du programme.")
    target = domain[appointment_id]
    verdict = drop_verdict(
        day.problem,
        domain.values(),
        target,
        slot,
        locked=_locked(by_id, domain),
        first_open=_first_open(app, version, day),
    )
    if verdict.state is CellState.HERE:
        raise SchedulingError("Ce rendez-vous est déjà à ce créneau.")
    if not verdict.allowed:
        raise SchedulingError(verdict.reason)
    if verdict.state is CellState.MOVE:
        assert verdict.table is not None
        changed = {appointment_id: replace(target, slot=slot, table=verdict.table)}
        kind = "move"
    else:
        other = verdict.other
        assert other is not None
        other_id = next(i for i, a in domain.items() if a == other)
        changed = {
            appointment_id: replace(target, slot=other.slot, table=other.table),
            other_id: replace(other, slot=target.slot, table=target.table),
        }
        kind = "swap"
    after = {**domain, **changed}
    check_schedule(day.problem, after.values())
    _journal(session, app, version, day, by_id, changed, kind, operator)
    _apply_changes(session, app, version, day, by_id, changed)
    return verdict


def undo_last(session: Session, app: Scheduler, edition_id: str, operator: str) -> str:
    """Put back the meetings of this operator's last move or swap still not undone (on the
    schedule the grid shows), if nothing has moved them since. Returns what was undone."""
    version, day, by_id, domain = _editable(session, app, edition_id)
    edit = session.execute(
        select(grid_edits)
        .where(
            grid_edits.c.edition_id == edition_id,
            grid_edits.c.version_id == version.id,
            grid_edits.c.operator == operator_key(operator),
            grid_edits.c.undone_at.is_(None),
        )
        .order_by(grid_edits.c.id.desc())
        .limit(1)
    ).first()
    if edit is None:
        raise SchedulingError("Rien à annuler : aucun déplacement ni échange de votre part.")
    changed: dict[str, Appointment] = {}
    first_open = _first_open(app, version, day)
    for change in edit.changes:
        i = change["appointment_id"]
        row = by_id.get(i)
        after, before = change["after"], change["before"]
        if (
            row is None
            or i not in domain
            or (row.start.isoformat(), row.table_number) != (after["start"], after["table"])
        ):
            raise SchedulingError(
                "Le planning a changé depuis cette modification : elle ne peut plus être annulée."
            )
        slot = day.slot_of(dt.datetime.fromisoformat(before["start"]))
        if slot is None:
            raise SchedulingError("Le programme a changé : ce créneau n'existe plus.")
        if slot < first_open or domain[i].slot < first_open:
            raise SchedulingError("Ce créneau est déjà commencé ou passé : annulation impossible.")
        if row.locked:
            raise SchedulingError("Ce rendez-vous a été verrouillé depuis : déverrouillez-le.")
        changed[i] = replace(domain[i], slot=slot, table=before["table"])
    check_schedule(day.problem, {**domain, **changed}.values())
    _apply_changes(session, app, version, day, by_id, changed)
    session.execute(
        grid_edits.update().where(grid_edits.c.id == edit.id).values(undone_at=app.clock())
    )
    return "Échange annulé." if edit.kind == "swap" else "Déplacement annulé."


def move_appointment(
    session: Session,
    app: Scheduler,
    edition_id: str,
    appointment_id: str,
    slot: int,
    table: int | None = None,
    operator: str | None = None,
) -> None:
    """The form's move: to a free cell of the expert's row (its table, or the one given).
    With `operator`, journalled for « Annuler »."""
    version, day, by_id, domain = _editable(session, app, edition_id)
    row = _find(by_id, appointment_id)
    if appointment_id not in domain:
        raise SchedulingError("Ce rendez-vous n'est plus sur un créneau du programme.")
    verdict = drop_verdict(
        day.problem,
        domain.values(),
        domain[appointment_id],
        slot,
        locked=_locked(by_id, domain),
        first_open=_first_open(app, version, day),
    )
    if verdict.state is CellState.SWAP:
        label = day.problem.slots[slot].start.strftime("%H:%M")
        raise SchedulingError(
            f"L'expert a déjà un rendez-vous à {label} : choisissez « Échanger » pour "
            "intervertir les deux."
        )
    if verdict.state is CellState.REFUSED:
        raise SchedulingError(verdict.reason)
    if verdict.state is CellState.HERE and table is None:
        raise SchedulingError("Ce rendez-vous est déjà à ce créneau.")
    chosen = table if table is not None else verdict.table
    result = moved(day.problem, domain.values(), domain[appointment_id], slot, chosen)
    target = next(a for a in result if (a.holder_id, a.expert_id) == (row.holder_id, row.expert_id))
    if operator is not None:
        _journal(session, app, version, day, by_id, {appointment_id: target}, "move", operator)
    _apply_changes(session, app, version, day, by_id, {appointment_id: target})


def swap_appointments(
    session: Session,
    app: Scheduler,
    edition_id: str,
    first_id: str,
    second_id: str,
    operator: str | None = None,
) -> None:
    version, day, by_id, domain = _editable(session, app, edition_id)
    first, second = _find(by_id, first_id), _find(by_id, second_id)
    if first.locked or second.locked:
        raise SchedulingError("Un rendez-vous verrouillé ne peut pas être échangé.")
    if first_id not in domain or second_id not in domain:
        raise SchedulingError("Ce rendez-vous n'est plus sur un créneau du programme.")
    first_open = _first_open(app, version, day)
    if min(domain[first_id].slot, domain[second_id].slot) < first_open:
        raise SchedulingError("Un de ces rendez-vous a déjà commencé ou est passé.")
    swapped(day.problem, domain.values(), domain[first_id], domain[second_id])
    a, b = domain[first_id], domain[second_id]
    changed = {
        first_id: Appointment(b.slot, b.table, a.expert_id, a.holder_id),
        second_id: Appointment(a.slot, a.table, b.expert_id, b.holder_id),
    }
    if operator is not None:
        _journal(session, app, version, day, by_id, changed, "swap", operator)
    _apply_changes(session, app, version, day, by_id, changed)


def lock_appointment(
    session: Session, app: Scheduler, edition_id: str, appointment_id: str, locked: bool
) -> None:
    by_id = _editable(session, app, edition_id)[2]
    row = _find(by_id, appointment_id)
    session.execute(appointments.update().where(appointments.c.id == row.id).values(locked=locked))


# -- live re-planning -------------------------------------------------------------------------
@dataclass
class ReplanReport:
    released: int = 0  # meetings removed (cancelled, absent, no longer possible)
    moved: int = 0  # published meetings given another slot or table
    added: int = 0  # new meetings
    kept: int = 0
    seconds: float = 0.0
    events: list[Any] = field(default_factory=list, repr=False)


def live_replan(
    session: Session,
    app: Scheduler,
    edition_id: str,
    reason: ReleaseReason = ReleaseReason.CANCELLED,
    release_running: bool = False,
    dry_run: bool = False,
) -> ReplanReport | None:
    """Bring the published schedule up to date with the read model, from now on: meetings of
    people no longer planned are released (`reason`), the others are kept (moved only when the
    operator allows it, never the locked ones), and free capacity goes to those lacking
    meetings. Nothing happens before a publication (the operator plans and reviews instead).
    `dry_run`: the caller rolls back (a preview), so nothing is counted or logged."""
    from services.scheduler.domain.solver import replan  # OR-Tools: when planning

    started = time.perf_counter()
    version = published_version(session, edition_id)
    if version is None:
        return None
    now = app.clock()
    edition = ensure_edition(session, app.outbox, edition_id, now)
    day = load_day(session, edition)
    first = day.first_future_slot(now)
    report = ReplanReport()
    events: list[Any] = report.events

    past: list[Appointment] = []
    future: dict[tuple[str, str], AppointmentRecord] = {}
    for row in active_rows(session, version.id):
        running = row.start <= now < row.end
        gone = day.holder(row.holder_id) is None or day.expert(row.expert_id) is None
        if gone and (row.start > now or (running and release_running)):
            person = row.holder_id if day.holder(row.holder_id) is None else row.expert_id
            why = ReleaseReason.NO_SHOW if day.people[person].absent else reason
            _release(session, row, why, now)
            events.append(released(row, version.number, why))
            report.released += 1
            continue
        if row.start <= now:
            a = _domain(day, row)
            if a is not None:
                past.append(a)
            continue
        future[(row.holder_id, row.expert_id)] = row

    rest = remaining_day(day.problem, past, first)
    published = {pair: a for pair, row in future.items() if (a := _domain(day, row)) is not None}
    result = replan(
        rest.problem,
        [rest.to_remaining(a) for a in published.values()],
        locked=[rest.to_remaining(a) for pair, a in published.items() if future[pair].locked],
        allow_moves=allow_moves(session, edition_id),
    )
    change = reconcile(published.values(), map(rest.to_full, result.appointments))

    # A meeting on a slot the programme no longer has cannot be kept either.
    lost = [row for pair, row in future.items() if pair not in published]
    for row in lost + [future[(a.holder_id, a.expert_id)] for a in change.released]:
        _release(session, row, ReleaseReason.MOVED, now)
        events.append(released(row, version.number, ReleaseReason.MOVED))
        report.released += 1
    report.kept = len(change.kept)
    for old, a in change.moved:
        row = future[(old.holder_id, old.expert_id)]
        values = {"start": day.starts[a.slot], "end": day.ends[a.slot], "table_number": a.table}
        session.execute(
            appointments.update()
            .where(appointments.c.id == row.id)
            .values(**values, assigned_version=version.number)
        )
        events.append(released(row, version.number, ReleaseReason.MOVED))
        events.append(_slot_event(SlotAssigned, row, values, version.number))
        report.moved += 1
    new_rows = []
    for a in change.created:
        values = {
            "appointment_id": str(uuid.uuid4()),
            "edition_id": edition_id,
            "version_id": version.id,
            "locked": False,
            "assigned_version": version.number,
            **_row_values(day, a),
        }
        new_rows.append(values)
        events.append(_slot_event(SlotAssigned, None, values, version.number))
        report.added += 1
    if new_rows:
        session.execute(appointments.insert(), new_rows)
    app.outbox.add(session, *events)
    report.seconds = time.perf_counter() - started
    if dry_run:
        return report
    REPLAN_SECONDS.observe(report.seconds)
    for kind in ("released", "moved", "added"):
        MEETINGS_CHANGED.labels(kind).inc(getattr(report, kind))
    if events:
        log.info(
            "re-planification : %d libéré(s), %d déplacé(s), %d ajouté(s), %d gardé(s) en %.3f s",
            report.released,
            report.moved,
            report.added,
            report.kept,
            report.seconds,
        )
    return report


def _release(
    session: Session, row: AppointmentRecord, reason: ReleaseReason, now: dt.datetime
) -> None:
    session.execute(
        appointments.update()
        .where(appointments.c.id == row.id)
        .values(released_at=now, release_reason=reason.value)
    )


def mark_no_shows(
    session: Session,
    app: Scheduler,
    edition_id: str,
    started_by: dt.datetime | None = None,
    only: Collection[str] | None = None,
    dry_run: bool = False,
    excused: bool = False,
) -> tuple[int, ReplanReport | None]:
    """Everyone with a published meeting already started who has not checked in is absent:
    their running and later meetings are released and the day is re-planned around them.
    With `only`, those people (if they have a published meeting and have not checked in) are
    absent whatever the time, `excused` when they sent word they will not come.
    Returns how many people were marked absent."""
    version = published_version(session, edition_id)
    if version is None:
        return 0, None
    cutoff = started_by or app.clock()
    rows = active_rows(session, version.id)
    if only is not None:
        named = set(only)
        expected = {pid for r in rows for pid in (r.holder_id, r.expert_id) if pid in named}
    else:
        expected = {pid for r in rows if r.start <= cutoff for pid in (r.holder_id, r.expert_id)}
    if not expected:
        return 0, None
    absent = [
        pid
        for pid, present, gone in session.execute(
            select(
                participants.c.participant_id, participants.c.present, participants.c.absent
            ).where(participants.c.participant_id.in_(sorted(expected)))
        ).all()
        if not present and not gone
    ]
    if absent:
        session.execute(
            participants.update()
            .where(participants.c.participant_id.in_(absent))
            .values(absent=True, excused=excused)
        )
    report = live_replan(
        session,
        app,
        edition_id,
        reason=ReleaseReason.NO_SHOW,
        release_running=True,
        dry_run=dry_run,
    )
    return len(absent), report


def unmark_absent(
    session: Session, app: Scheduler, edition_id: str, participant_id: str, dry_run: bool = False
) -> ReplanReport | None:
    """Undo « absent » for someone marked by mistake: planned again, and the rest of the day
    re-planned (their released meetings are not restored as such; the re-plan may give them
    meetings again where there is room)."""
    row = session.execute(
        select(participants.c.absent).where(
            participants.c.participant_id == participant_id,
            participants.c.edition_id == edition_id,
            participants.c.erased.is_(False),
        )
    ).first()
    if row is None:
        raise SchedulingError("Cette personne n'est pas inscrite à cette édition.")
    if not row.absent:
        raise SchedulingError("Cette personne n'est pas marquée absente.")
    session.execute(
        participants.update()
        .where(participants.c.participant_id == participant_id)
        .values(absent=False, excused=False, updated_at=app.clock())
    )
    return live_replan(session, app, edition_id, dry_run=dry_run)


def slot_choices(day: Day) -> Sequence[tuple[int, str]]:
    return [
        (i, f"{s.start.strftime('%H:%M')}–{s.end.strftime('%H:%M')}")
        for i, s in enumerate(day.problem.slots)
    ]
