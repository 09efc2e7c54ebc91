"""The planning use cases on an in-memory database: what a draft plans, what a publication
announces, the operator's edits and their refusals, and the live re-plans of the day.

Participants arrive as registration's events through the service's consumer
(tests/support/scheduler.py); every use case runs in a transaction of the test's own, as an
entrypoint would run it. No server: the outbox is read back from the database.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.scheduler.adapters.db import grid_edits, outbox_table, participants
from services.scheduler.domain.live import CellState, SchedulingError
from services.scheduler.service_layer import participants as readmodel
from services.scheduler.service_layer import planning
from services.scheduler.service_layer.editions import set_allow_moves
from shared.db import transaction
from shared.edition import Availability
from shared.events import Role
from tests.support.scheduler import EDITION, PARIS, Harness, SmallDay, at, memory_harness, small_day

OPERATOR = "admin@exemple.fr"
# The default programme's meeting windows and conferences, in local time.
WINDOWS = ((dt.time(10, 0), dt.time(12, 30)), (dt.time(14, 0), dt.time(16, 30)))
MORNING_CONFERENCE = (dt.time(11, 0), dt.time(12, 0))
AFTERNOON_CONFERENCE = (dt.time(15, 30), dt.time(16, 30))

Cell = tuple[str, str, dt.datetime, int]  # holder, expert, start, table


@pytest.fixture
def h() -> Iterator[Harness]:
    harness = memory_harness()
    yield harness
    harness.app.kit.engine.dispose()


def run(h: Harness, use_case: Any, *args: Any, **kwargs: Any) -> Any:
    """A use case in its own committed transaction, as an HTTP route runs it."""
    with transaction(h.app.kit.factory) as session:
        return use_case(session, h.app, EDITION, *args, **kwargs)


def plan_and_publish(h: Harness) -> None:
    run(h, planning.plan_draft)
    run(h, planning.publish)


def cells(session: Session, published: bool = False) -> dict[str, Cell]:
    """The schedule the grid shows (or the published one), by appointment id."""
    find = planning.published_version if published else planning.working_version
    version = find(session, EDITION)
    assert version is not None
    return {
        r.appointment_id: (r.holder_id, r.expert_id, r.start, r.table_number)
        for r in planning.active_rows(session, version.id)
    }


def schedule(h: Harness, published: bool = False) -> dict[str, Cell]:
    with h.app.kit.factory() as session:
        return cells(session, published)


def slot_of(h: Harness, start: dt.datetime) -> int:
    with h.app.kit.factory() as session:
        edition = planning.ensure_edition(session, h.app.outbox, EDITION, h.app.clock())
        slot = planning.load_day(session, edition).slot_of(start)
    assert slot is not None
    return slot


def local_time(start: dt.datetime) -> dt.time:
    return start.astimezone(PARIS).time()


def overlaps(start: dt.datetime, end: dt.datetime, window: tuple[dt.time, dt.time]) -> bool:
    return local_time(start) < window[1] and window[0] < local_time(end)


def news(h: Harness, mark: int, event_type: str) -> list[dict[str, Any]]:
    return [e for e in h.outbox()[mark:] if e["event_type"] == event_type]


def free_cell(schedule: dict[str, Cell], appointment_id: str, starts: list[dt.datetime]) -> int:
    """A slot where neither person of the meeting has another one."""
    holder, expert, _start, _table = schedule[appointment_id]
    busy = {s for h_, e, s, _t in schedule.values() if holder == h_ or expert == e}
    return next(i for i, s in enumerate(starts) if s not in busy)


def slot_starts(h: Harness) -> list[dt.datetime]:
    with h.app.kit.factory() as session:
        edition = planning.ensure_edition(session, h.app.outbox, EDITION, h.app.clock())
        return list(planning.load_day(session, edition).starts)


# -- a draft ------------------------------------------------------------------------------------
def test_a_draft_plans_every_holder_within_caps_windows_and_conferences(h: Harness) -> None:
    day = small_day(h)
    morning = h.register(Role.HOLDER, "Asso Matin", ["mecenat"], availability=Availability.MORNING)
    at_talk = h.register(
        Role.HOLDER, "Asso Conférence", ["business-plan"], sessions=["conference-matin"]
    )
    listener = h.register(
        Role.EXPERT, "Banque Conférence", ["mecenat"], sessions=["conference-apres-midi"]
    )
    caps = {str(p): 2 for p in day.holders} | {str(morning): 4, str(at_talk): 4}
    mark = h.outbox_count()

    result = run(h, planning.plan_draft)

    with h.app.kit.factory() as session:
        rows = planning.active_rows(session, planning.working_version(session, EDITION).id)
        assert planning.working_version(session, EDITION).status == planning.Status.DRAFT
    assert result.number == 1 and result.meetings == len(rows) > 0
    assert result.holders == result.holders_with_meeting == len(caps)
    assert result.meetings <= result.bound
    per_holder = {pid: sum(r.holder_id == pid for r in rows) for pid in caps}
    assert all(1 <= per_holder[pid] <= cap for pid, cap in caps.items()), per_holder
    for r in rows:
        assert any(
            start <= local_time(r.start) and local_time(r.end) <= end for start, end in WINDOWS
        ), r.start
    busy = [(r.holder_id, r.start) for r in rows] + [(r.expert_id, r.start) for r in rows]
    assert len(busy) == len(set(busy)), "someone has two meetings at once"
    assert len({(r.start, r.table_number) for r in rows}) == len(rows)
    assert all(local_time(r.start) < dt.time(12, 30) for r in rows if r.holder_id == str(morning))
    assert not any(
        overlaps(r.start, r.end, MORNING_CONFERENCE) for r in rows if r.holder_id == str(at_talk)
    )
    assert not any(
        overlaps(r.start, r.end, AFTERNOON_CONFERENCE) for r in rows if r.expert_id == str(listener)
    )
    # A draft is not news: nothing for participants in the outbox.
    assert not news(h, mark, "SlotAssigned") and not news(h, mark, "SchedulePublished")


# -- publishing -------------------------------------------------------------------------------
def test_publish_makes_version_n_and_puts_its_events_in_the_outbox(h: Harness) -> None:
    small_day(h)
    with transaction(h.app.kit.factory) as session:
        assert planning.publish_preview(session, EDITION) is None
        with pytest.raises(SchedulingError, match="Aucun brouillon à publier"):
            planning.publish(session, h.app, EDITION)
    draft = run(h, planning.plan_draft)
    with h.app.kit.factory() as session:
        preview = planning.publish_preview(session, EDITION)
    assert preview is not None
    assert (preview.number, preview.meetings, preview.replaced) == (1, draft.meetings, None)
    mark = h.outbox_count()

    first = run(h, planning.publish)

    assert (first.number, first.meetings, first.released) == (1, draft.meetings, 0)
    published, *rest = h.outbox()[mark:]
    assert published["event_type"] == "SchedulePublished"
    assert (published["schedule_version"], published["appointments"]) == (1, first.meetings)
    assert published["holders_with_meeting"] == first.holders_with_meeting == 6
    assert {e["event_type"] for e in rest} == {"SlotAssigned"}
    assert sorted(e["appointment_id"] for e in rest) == sorted(schedule(h, published=True))
    assert {e["schedule_version"] for e in rest} == {1}
    assert {e["correlation_id"] for e in rest} == {published["event_id"]}

    # A second draft starts from the publication; published, it becomes version 2 and repeats
    # each meeting it keeps under its id, released nowhere.
    before = schedule(h, published=True)
    assert run(h, planning.plan_draft).number == 2
    mark = h.outbox_count()
    second = run(h, planning.publish)
    assert (second.number, second.released) == (2, 0)
    assert schedule(h, published=True) == before
    assert not news(h, mark, "SlotReleased")
    assert {e["schedule_version"] for e in news(h, mark, "SlotAssigned")} == {2}
    with h.app.kit.factory() as session:
        assert planning.published_version(session, EDITION).number == 2
        with pytest.raises(SchedulingError, match="Aucun brouillon"):
            planning.publish(session, h.app, EDITION)


# -- the operator's edits -----------------------------------------------------------------------
def test_a_move_to_a_busy_cell_is_refused_in_french_and_changes_nothing(h: Harness) -> None:
    small_day(h)
    plan_and_publish(h)
    before = schedule(h)
    starts = slot_starts(h)
    # A meeting, and a slot where its expert meets another holder (who would be free at ours).
    target, clash = next(
        (a, b)
        for a in before
        for b in before
        if before[a][1] == before[b][1]
        and a != b
        and not any(v[0] == before[a][0] and v[2] == before[b][2] for v in before.values())
    )
    mark = h.outbox_count()
    busy_slot = slot_of(h, before[clash][2])
    with h.app.kit.factory() as session:
        with pytest.raises(SchedulingError) as refused:
            planning.move_appointment(session, h.app, EDITION, target, busy_slot, operator=OPERATOR)
        # Nothing written, even in the transaction the refusal happened in.
        assert cells(session) == before
        assert session.execute(select(grid_edits)).first() is None
        assert session.execute(select(func.count()).select_from(outbox_table)).scalar() == mark
    label = local_time(before[clash][2]).strftime("%H:%M")
    assert str(refused.value) == (
        f"L'expert a déjà un rendez-vous à {label} : choisissez « Échanger » pour intervertir "
        "les deux."
    )
    with pytest.raises(SchedulingError, match="La table 99 n'existe pas"):
        run(h, planning.move_appointment, target, slot_of(h, before[target][2]), table=99)

    # To a free cell: moved, and the published schedule tells both people.
    free = free_cell(before, target, starts)
    run(h, planning.move_appointment, target, free)
    after = schedule(h)
    assert after[target][2] == starts[free]
    assert {k: v for k, v in after.items() if k != target} == {
        k: v for k, v in before.items() if k != target
    }
    events = h.outbox()[mark:]
    assert [e["event_type"] for e in events] == ["SlotReleased", "SlotAssigned"]
    assert events[0]["reason"] == "manuel"
    assert {e["appointment_id"] for e in events} == {target}


def swappable(schedule: dict[str, Cell]) -> tuple[str, str]:
    """Two meetings of two holders at two slots, each person free at the other meeting's."""

    def free(pid: str, start: dt.datetime, *moving: str) -> bool:
        return not any(
            start == v[2] and pid in v[:2] for k, v in schedule.items() if k not in moving
        )

    return next(
        (a, b)
        for a, (ha, ea, sa, _) in schedule.items()
        for b, (hb, eb, sb, _) in schedule.items()
        if sa != sb
        and ha != hb
        and all(free(p, sb, a, b) for p in (ha, ea))
        and all(free(p, sa, a, b) for p in (hb, eb))
    )


def test_swap_exchanges_slots_and_tables_and_announces_both_meetings(h: Harness) -> None:
    small_day(h)
    plan_and_publish(h)
    before = schedule(h)
    first, second = swappable(before)
    mark = h.outbox_count()

    run(h, planning.swap_appointments, first, second)

    after = schedule(h)
    assert after[first] == (*before[first][:2], *before[second][2:])
    assert after[second] == (*before[second][:2], *before[first][2:])
    assert all(after[k] == v for k, v in before.items() if k not in (first, second))
    released, assigned = news(h, mark, "SlotReleased"), news(h, mark, "SlotAssigned")
    assert {e["appointment_id"] for e in released} == {e["appointment_id"] for e in assigned}
    assert {e["appointment_id"] for e in assigned} == {first, second}
    assert {e["reason"] for e in released} == {"manuel"}
    with pytest.raises(SchedulingError, match="Choisissez deux rendez-vous différents"):
        run(h, planning.swap_appointments, first, first)


def test_a_locked_meeting_stays_through_a_replan_and_refuses_edits(h: Harness) -> None:
    day = small_day(h)
    plan_and_publish(h)
    with transaction(h.app.kit.factory) as session:
        set_allow_moves(session, h.app.outbox, EDITION, True, h.app.clock())
    before = schedule(h)
    keep = next(k for k, v in before.items() if v[0] == str(day.holders[0]))
    other = next(k for k, v in before.items() if v[1] != before[keep][1])
    run(h, planning.lock_appointment, keep, True)

    for refusal in (
        lambda: run(h, planning.move_appointment, keep, free_cell(before, keep, slot_starts(h))),
        lambda: run(h, planning.swap_appointments, keep, other),
    ):
        with pytest.raises(SchedulingError, match="verrouillé"):
            refusal()
    # A new holder and a re-plan that may move meetings: the locked one stays, still locked.
    h.register(Role.HOLDER, "Asso Tardive", ["mecenat", "business-plan"])
    run(h, planning.plan_draft)
    with h.app.kit.factory() as session:
        draft = planning.working_version(session, EDITION)
        rows = {r.appointment_id: r for r in planning.active_rows(session, draft.id)}
    assert draft.status == planning.Status.DRAFT
    assert (rows[keep].start, rows[keep].table_number) == before[keep][2:]
    assert rows[keep].locked

    run(h, planning.lock_appointment, keep, False)
    run(h, planning.move_appointment, keep, free_cell(schedule(h), keep, slot_starts(h)))
    assert schedule(h)[keep][2] != before[keep][2]


def test_undo_puts_back_the_operators_last_edit(h: Harness) -> None:
    small_day(h)
    run(h, planning.plan_draft)
    before = schedule(h)
    mover = next(iter(before))
    run(
        h,
        planning.move_appointment,
        mover,
        free_cell(before, mover, slot_starts(h)),
        operator=OPERATOR,
    )
    moved = schedule(h)
    run(h, planning.swap_appointments, *swappable(moved), operator=OPERATOR)
    assert schedule(h) != moved

    with pytest.raises(SchedulingError, match="Rien à annuler"):
        run(h, planning.undo_last, "autre@exemple.fr")
    assert run(h, planning.undo_last, OPERATOR) == "Échange annulé."
    assert schedule(h) == moved
    assert run(h, planning.undo_last, OPERATOR) == "Déplacement annulé."
    assert schedule(h) == before
    with pytest.raises(SchedulingError, match="Rien à annuler"):
        run(h, planning.undo_last, OPERATOR)


def test_a_drop_swaps_with_the_experts_meeting_in_that_cell(h: Harness) -> None:
    small_day(h)
    run(h, planning.plan_draft)
    before = schedule(h)
    first = next(iter(before))
    targets = run(h, planning.drop_targets, first)
    assert [v.slot for v in targets] == list(range(len(slot_starts(h))))
    here = slot_of(h, before[first][2])
    assert [v.slot for v in targets if v.state is CellState.HERE] == [here]
    with pytest.raises(SchedulingError, match="déjà à ce créneau"):
        run(h, planning.drop_appointment, first, here, OPERATOR)

    target, cell = next(
        (a, v)
        for a in before
        for v in run(h, planning.drop_targets, a)
        if v.state is CellState.SWAP
    )
    assert cell.other is not None
    partner = next(
        k for k, v in before.items() if v[:2] == (cell.other.holder_id, cell.other.expert_id)
    )
    assert before[partner][1] == before[target][1]  # the same expert's row

    verdict = run(h, planning.drop_appointment, target, cell.slot, OPERATOR)

    assert verdict.state is CellState.SWAP
    after = schedule(h)
    assert after[target][2:] == before[partner][2:]
    assert after[partner][2:] == before[target][2:]
    assert run(h, planning.undo_last, OPERATOR) == "Échange annulé."
    assert schedule(h) == before


# -- the live day -------------------------------------------------------------------------------
@pytest.fixture
def replans(monkeypatch: pytest.MonkeyPatch) -> list[planning.ReplanReport]:
    """The reports of the re-plans the participant handlers run."""
    reports: list[planning.ReplanReport] = []
    real = readmodel.live_replan

    def spy(*args: Any, **kwargs: Any) -> planning.ReplanReport | None:
        report = real(*args, **kwargs)
        if report is not None:
            reports.append(report)
        return report

    monkeypatch.setattr(readmodel, "live_replan", spy)
    return reports


def test_a_cancellation_releases_its_meetings_and_refills_the_freed_capacity(
    h: Harness, replans: list[planning.ReplanReport]
) -> None:
    # One expert for two meetings, three holders who need them: one is left waiting.
    expert = h.register(Role.EXPERT, "Banque Rare", ["mecenat"], max_meetings=2)
    holders = [h.register(Role.HOLDER, f"Asso {i}", ["mecenat"]) for i in range(3)]
    plan_and_publish(h)
    assert not replans  # nothing re-plans before a publication
    before = schedule(h, published=True)
    placed = {v[0] for v in before.values()}
    waiting = next(str(p) for p in holders if str(p) not in placed)
    leaving = min(placed)
    mark = h.outbox_count()

    h.cancel(uuid.UUID(leaving), Role.HOLDER)

    [report] = replans
    assert (report.released, report.kept, report.moved, report.added) == (1, 1, 0, 1)
    after = schedule(h, published=True)
    assert {v[0] for v in after.values()} == placed - {leaving} | {waiting}
    assert all(v[1] == str(expert) for v in after.values())
    kept = next(k for k, v in before.items() if v[0] != leaving)
    assert after[kept] == before[kept]
    released = news(h, mark, "SlotReleased")
    assert [(e["holder_id"], e["reason"]) for e in released] == [(leaving, "annulation")]
    [assigned] = news(h, mark, "SlotAssigned")
    assert assigned["holder_id"] == waiting
    assert {assigned["appointment_id"]} == set(after) - set(before)
    # The same cancellation again changes nothing.
    h.cancel(uuid.UUID(leaving), Role.HOLDER)
    assert len(replans) == 1 and schedule(h, published=True) == after


def test_a_late_registration_is_fitted_in_without_moving_anyone(
    h: Harness, replans: list[planning.ReplanReport]
) -> None:
    small_day(h)
    plan_and_publish(h)
    before = schedule(h, published=True)

    late = h.register(Role.HOLDER, "Asso Tardive", ["mecenat", "financement-projet"])

    [report] = replans
    after = schedule(h, published=True)
    assert (report.released, report.moved, report.kept) == (0, 0, len(before))
    assert report.added == len(after) - len(before) > 0
    assert all(after[k] == v for k, v in before.items())
    assert {after[k][0] for k in set(after) - set(before)} == {str(late)}


def first_slot_absentee(h: Harness, day: SmallDay) -> tuple[str, dict[str, Cell]]:
    """Everyone checks in but a holder with a meeting at 10:00; the clock reads 10:05."""
    before = schedule(h, published=True)
    first = min(v[2] for v in before.values())
    missing = min(v[0] for v in before.values() if v[2] == first)
    for pid in {*map(str, day.holders), *map(str, day.experts)} - {missing}:
        role = Role.HOLDER if uuid.UUID(pid) in day.holders else Role.EXPERT
        h.check_in(uuid.UUID(pid), role)
    h.clock.now = at(10, 5)
    return missing, before


def test_no_shows_release_the_absent_meetings_from_the_running_one_on(h: Harness) -> None:
    day = small_day(h)
    plan_and_publish(h)
    missing, before = first_slot_absentee(h, day)
    theirs = {k for k, v in before.items() if v[0] == missing}
    mark = h.outbox_count()

    absent, report = run(h, planning.mark_no_shows)

    assert absent == 1 and report is not None and report.released == len(theirs)
    released = news(h, mark, "SlotReleased")
    assert {e["appointment_id"] for e in released if e["reason"] == "absence"} == theirs
    after = schedule(h, published=True)
    assert not any(v[0] == missing for v in after.values())
    first = min(v[2] for v in before.values())
    assert all(after[k] == v for k, v in before.items() if v[2] == first and k not in theirs)
    assert all(v[2] > first for k, v in after.items() if k not in before)
    # Pressing the button again: nobody more is absent, nothing changes nor is announced.
    mark = h.outbox_count()
    assert run(h, planning.mark_no_shows)[0] == 0
    assert schedule(h, published=True) == after and h.outbox_count() == mark


def test_a_named_absentee_loses_their_meetings_until_unmarked(h: Harness) -> None:
    day = small_day(h)
    plan_and_publish(h)
    before = schedule(h, published=True)
    holder = str(day.holders[0])
    theirs = {k for k, v in before.items() if v[0] == holder}
    assert theirs
    mark = h.outbox_count()

    absent, report = run(h, planning.mark_no_shows, only=[holder], excused=True)

    assert absent == 1 and report is not None and report.released == len(theirs)
    after = schedule(h, published=True)
    assert not any(v[0] == holder for v in after.values())
    assert all(after[k] == v for k, v in before.items() if k not in theirs)
    released = news(h, mark, "SlotReleased")
    assert {e["appointment_id"] for e in released} == theirs
    assert {e["reason"] for e in released} == {"absence"}
    with h.app.kit.factory() as session:
        row = session.execute(
            select(participants).where(participants.c.participant_id == holder)
        ).one()
    assert row.absent and row.excused
    # Someone who checked in is never marked absent, even by name.
    h.check_in(day.holders[1], Role.HOLDER)
    assert run(h, planning.mark_no_shows, only=[str(day.holders[1])])[0] == 0

    mark = h.outbox_count()
    back = run(h, planning.unmark_absent, holder)

    assert back is not None and back.released == back.moved == 0 and back.added > 0
    assert {e["holder_id"] for e in news(h, mark, "SlotAssigned")} == {holder}
    assert sum(v[0] == holder for v in schedule(h, published=True).values()) == back.added
    with pytest.raises(SchedulingError, match="pas marquée absente"):
        run(h, planning.unmark_absent, holder)
