"""Scheduler benchmark: generated days of several sizes, the planner against a greedy baseline.

Run with `uv run python -m benchmarks.scheduler`.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import dataclass, replace

from services.scheduler.domain.matching import pair_table
from services.scheduler.domain.model import Appointment, Expert, Holder, Problem
from services.scheduler.domain.solver import Board, Plan, plan, replan
from shared.edition import (
    DEFAULT_TAGS,
    Availability,
    EditionSettings,
    HalfDay,
    TimeRange,
    default_edition,
)

SIZES = ((50, 15), (500, 100), (2000, 300))
# The same sizes with most people present half a day and at a conference: harder to place.
CONSTRAINED_DAY_SHARE, CONSTRAINED_CONFERENCE_SHARE = 0.3, 0.6
TAGS = tuple(t.code for t in DEFAULT_TAGS)


def many_slots_edition(tables: int) -> EditionSettings:
    """A brokerage-event day: 20-minute slots in two long windows (21 slots), fewer tables
    than experts."""
    return default_edition().model_copy(
        update={
            "slot_minutes": 20,
            "windows": (
                TimeRange(start=dt.time(9, 0), end=dt.time(12, 40)),
                TimeRange(start=dt.time(14, 0), end=dt.time(17, 20)),
            ),
            "tables": tables,
        }
    )


def generate(
    holders: int,
    experts: int,
    seed: int = 21,
    day_share: float = 0.8,
    conference_share: float = 0.3,
    edition: EditionSettings | None = None,
) -> Problem:
    """A realistic day: needs from the vocabulary (popular tags more often), a few wishes and
    refusals, mostly full-day experts, a third of the people at a conference."""
    rng = random.Random(seed)
    weights = (5, 4, 3, 3, 2, 2)
    hs = [f"porteur{i:05d}@asso.example" for i in range(holders)]
    es = [f"expert{j:04d}@financeur.example" for j in range(experts)]

    def tags(k: int) -> tuple[str, ...]:
        chosen: list[str] = []
        while len(chosen) < k:
            tag = rng.choices(TAGS, weights)[0]
            if tag not in chosen:
                chosen.append(tag)
        return tuple(chosen)

    def availability(day_share: float) -> Availability:
        r = rng.random()
        if r < day_share:
            return Availability.DAY
        return Availability.MORNING if r < (1 + day_share) / 2 else Availability.AFTERNOON

    def conferences() -> frozenset[HalfDay]:
        return frozenset(hd for hd in HalfDay if rng.random() < conference_share)

    holder_list = [
        Holder(
            id=hid,
            needs=tags(rng.randint(1, 3)),
            wants=frozenset(rng.sample(es, k=min(len(es), rng.choice((0, 0, 1, 2))))),
            refuses=frozenset(rng.sample(es, k=1)) if rng.random() < 0.05 else frozenset(),
            availability=availability(day_share),
            conferences=conferences(),
            max_meetings=rng.choice((3, 4, 4, 4)),
        )
        for hid in hs
    ]
    expert_list = [
        Expert(
            id=eid,
            expertise=frozenset(tags(rng.randint(1, 3))),
            wants=frozenset(rng.sample(hs, k=rng.choice((0, 0, 1, 2)))),
            refuses=frozenset(rng.sample(hs, k=1)) if rng.random() < 0.05 else frozenset(),
            availability=availability(min(1.0, day_share + 0.05)),
            conferences=conferences(),
            max_meetings=rng.choice((None, None, None, 6, 8)),
        )
        for eid in es
    ]
    return Problem.for_edition(edition or default_edition(), tuple(holder_list), tuple(expert_list))


def greedy(problem: Problem) -> tuple[Appointment, ...]:
    """Baseline: best pairs first, each in the first slot both have free."""
    table = pair_table(problem)
    board = Board(problem, table)
    order = sorted(
        ((-int(table.value[h, e]), h, e) for h, e in zip(*table.eligible.nonzero(), strict=True)),
    )
    for _, h, e in order:
        if board.count_h(h) < table.holder_cap[h] and board.count_e(e) < table.expert_cap[e]:
            free = board.free_common(h, e)
            if free:
                board.add(h, e, (free & -free).bit_length() - 1)
    return board.appointments({e: e + 1 for e in range(len(problem.experts))}, {})


@dataclass(frozen=True)
class Row:
    name: str
    seconds: float
    meetings: int
    bound: int
    holders_met: int
    wishes: str
    gaps: int


def measure(
    name: str, problem: Problem, appointments: tuple[Appointment, ...], seconds: float, bound: int
) -> Row:
    table = pair_table(problem)
    board = Board(problem, table)
    for a in appointments:
        board.add(problem.holder_index[a.holder_id], problem.expert_index[a.expert_id], a.slot)
    pairs = {(a.holder_id, a.expert_id) for a in appointments}
    wished = {(h.id, e) for h in problem.holders for e in h.wants} | {
        (h, e.id) for e in problem.experts for h in e.wants
    }
    gaps = sum(
        board.gaps(board.h_busy[h], table.holder_open[h]) for h in range(len(problem.holders))
    )
    gaps += sum(
        board.gaps(board.e_busy[e], table.expert_open[e]) for e in range(len(problem.experts))
    )
    return Row(
        name=name,
        seconds=seconds,
        meetings=len(appointments),
        bound=bound,
        holders_met=len({a.holder_id for a in appointments}),
        wishes=f"{len(pairs & wished)}/{len(wished)}",
        gaps=gaps,
    )


def late_registrations(problem: Problem, published: Plan) -> list[tuple[str, float, Plan]]:
    """Re-plans after the schedule was published: one more holder, then one more expert."""
    holder = Holder(id="retardataire@asso.example", needs=("mecenat", "business-plan"))
    expert = Expert(id="retardataire@banque.example", expertise=frozenset(TAGS[:3]))
    results = []
    for name, later in (
        ("porteur", replace(problem, holders=(*problem.holders, holder))),
        ("expert", replace(problem, experts=(*problem.experts, expert))),
    ):
        for allow_moves in (False, True):
            start = time.perf_counter()
            result = replan(later, published.appointments, allow_moves=allow_moves)
            label = f"{name}{' (déplacements permis)' if allow_moves else ''}"
            results.append((label, time.perf_counter() - start, result))
    return results


def service_late_registration(holders: int = 50, experts: int = 15) -> tuple[float, int]:
    """The whole use case behind a late registration in the running service: the event
    through the consumer, the re-plan on the read model, the rows and the outbox, one commit
    (SQLite in a temporary folder). Returns the seconds and the meetings it added."""
    import tempfile
    import uuid
    from pathlib import Path

    from services.scheduler.adapters.registration import Contact
    from services.scheduler.bootstrap import bootstrap
    from services.scheduler.service_layer import planning
    from services.scheduler.settings import SchedulerSettings
    from shared.db import transaction
    from shared.events import ParticipantRegistered, RegistrationStatus, Role
    from shared.migrations import upgrade

    class NoDirectory:
        def contact(self, participant_id: str) -> Contact | None:
            return None

        def contacts(self, participant_ids: object) -> dict[str, Contact]:
            return {}

    rng = random.Random(21)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'scheduler.db'}"
        package = Path(__file__).resolve().parents[1] / "services" / "scheduler"
        upgrade(package, url)
        settings = SchedulerSettings(database_url=url, edition_id="2030")
        app = bootstrap(settings, directory=NoDirectory())

        def deliver(role: Role, tags: list[str]) -> None:
            event = ParticipantRegistered(
                edition_id="2030",
                participant_id=uuid.uuid4(),
                role=role,
                revision=1,
                status=RegistrationStatus.REGISTERED,
                legal_form="association",
                tags=tags,
            )
            app.kit.consumer.process(event.stream(), event.model_dump_json())

        for _ in range(experts):
            deliver(Role.EXPERT, rng.sample(TAGS, 3))
        for _ in range(holders):
            deliver(Role.HOLDER, rng.sample(TAGS, 2))
        with transaction(app.kit.factory) as session:
            planning.plan_draft(session, app, "2030")
        with transaction(app.kit.factory) as session:
            before = planning.publish(session, app, "2030").meetings
        start = time.perf_counter()
        deliver(Role.HOLDER, ["mecenat", "business-plan"])
        seconds = time.perf_counter() - start
        with transaction(app.kit.factory) as session:
            version = planning.published_version(session, "2030")
            assert version is not None  # published just above
            after = len(planning.active_rows(session, version.id))
        app.kit.engine.dispose()
    return seconds, after - before


def main() -> None:
    print(
        f"{'instance':<34}{'temps (s)':>10}{'rdv':>7}{'borne':>7}{'ratio':>9}"
        f"{'porteurs>=1':>13}{'souhaits':>11}{'trous':>7}"
    )
    instances = [(f"{h}x{e}", generate(h, e)) for h, e in SIZES] + [
        (
            f"{h}x{e} contraint",
            generate(h, e, 21, CONSTRAINED_DAY_SHARE, CONSTRAINED_CONFERENCE_SHARE),
        )
        for h, e in SIZES[1:]
    ]
    for name, problem in instances:
        start = time.perf_counter()
        result = plan(problem)
        seconds = time.perf_counter() - start
        assert result.bound is not None
        bound = result.bound.meetings
        start = time.perf_counter()
        baseline = greedy(problem)
        greedy_seconds = time.perf_counter() - start
        for row in (
            measure(f"{name} planificateur", problem, result.appointments, seconds, bound),
            measure(f"{name} glouton", problem, baseline, greedy_seconds, bound),
        ):
            print(
                f"{row.name:<34}{row.seconds:>10.3f}{row.meetings:>7}{row.bound:>7}"
                f"{row.meetings / max(1, row.bound):>9.4f}"
                f"{row.holders_met:>6}/{result.bound.holders_with_meeting:<6}"
                f"{row.wishes:>11}{row.gaps:>7}"
            )
        if name == "50x15":
            for label, seconds, late in late_registrations(problem, result):
                print(
                    f"  inscription tardive d'un {label} : {seconds:.3f} s, "
                    f"{late.moved} rendez-vous publiés déplacés, {late.dropped} supprimés, "
                    f"{len(late.appointments) - late.kept} ajoutés"
                )
            seconds, added = service_late_registration()
            print(
                f"  inscription tardive d'un porteur, service complet (événement, base, "
                f"outbox) : {seconds:.3f} s, {added} rendez-vous ajoutés"
            )


if __name__ == "__main__":
    main()
