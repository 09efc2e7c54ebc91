"""Scheduler benchmark: generated days of several sizes and a Dijon-like file, each level of
the planner's objective against its proven bound, a greedy baseline, idle gaps against their
proven least, and the start-up time of the command line.

Run with `uv run python -m benchmarks.scheduler`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from benchmarks.dijon import dijon_csv
from services.scheduler.domain.board import Board
from services.scheduler.domain.bounds import Figures, figures, ratio
from services.scheduler.domain.matching import pair_table
from services.scheduler.domain.model import Appointment, Expert, Holder, Person, Problem
from services.scheduler.domain.solver import Plan, plan, replan
from shared.edition import (
    DEFAULT_TAGS,
    Availability,
    EditionSettings,
    HalfDay,
    TimeRange,
    default_edition,
)
from shared.formats.participants import parse_participants

SIZES = ((50, 15), (500, 100), (2000, 300))
# Days of 20-minute slots in two long windows, with fewer tables than experts (holders,
# experts, tables): Dijon's size, and a public brokerage benchmark's (70 businesses, 14 and
# 12 tables).
MANY_SLOTS = ((46, 16, 12), (70, 20, 14), (70, 20, 12), (150, 40, 30))
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


def measure(problem: Problem, appointments: tuple[Appointment, ...]) -> tuple[Figures, int]:
    """The objective's figures of a schedule, and its idle gaps."""
    table = pair_table(problem)
    board = Board(problem, table)
    for a in appointments:
        board.add(problem.holder_index[a.holder_id], problem.expert_index[a.expert_id], a.slot)
    pairs = ((a.holder_id, a.expert_id) for a in appointments)
    return figures(problem, pairs, table), board.total_gaps()


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


def instances() -> list[tuple[str, Problem]]:
    constrained = [
        (
            f"{h}x{e} contraint",
            generate(h, e, 21, CONSTRAINED_DAY_SHARE, CONSTRAINED_CONFERENCE_SHARE),
        )
        for h, e in SIZES[1:]
    ]
    many_slots = [
        (f"{h}x{e} 21 créneaux {t} tables", generate(h, e, edition=many_slots_edition(t)))
        for h, e, t in MANY_SLOTS
    ]
    return [
        *((f"{h}x{e}", generate(h, e)) for h, e in SIZES),
        *constrained,
        ("Dijon 46x16", dijon_problem()),
        *many_slots,
    ]


def dijon_problem() -> Problem:
    from services.scheduler.service_layer.offline import problem_from_rows

    edition = default_edition()
    rows = parse_participants(dijon_csv(), "dijon.csv", edition).rows
    return problem_from_rows(edition, rows)


def level_cells(plan_figures: Figures, bound: Figures, order: bool) -> list[str]:
    pairs = zip(plan_figures.levels(order), bound.levels(order), strict=True)
    return [f"{v}/{b}" for (_, v), (_, b) in list(pairs)[:5]]


def first_need_ratio(plan_figures: Figures, bound: Figures) -> float:
    if not bound.needs:
        return 1.0
    return ratio(plan_figures.needs[0], bound.needs[0])


def print_levels() -> None:
    print(
        "Chaque niveau : planning/borne prouvée (porteurs >= 1 rdv, rdv, souhaits ou besoins dans"
        "\nl'ordre de l'objectif) ; trous : temps morts (au moins : borne prouvée)."
    )
    print(
        f"{'instance':<30}{'':>9}{'s':>7}{'porteurs':>11}{'rdv':>11}{'souhaits':>11}"
        f"{'besoin 1':>11}{'besoin 2':>11}{'ratio b1':>9}{'trous':>13}  placement"
    )
    for name, problem in instances():
        start = time.perf_counter()
        result = plan(problem)
        seconds = time.perf_counter() - start
        assert result.bound is not None
        start = time.perf_counter()
        baseline = greedy(problem)
        greedy_seconds = time.perf_counter() - start
        greedy_figures, greedy_gaps = measure(problem, baseline)
        order = problem.needs_before_wishes
        proven = "?" if result.gaps_bound is None else str(result.gaps_bound)
        for who, s, fig, gaps, how in (
            ("planif.", seconds, result.figures, f"{result.gaps} (>={proven})", result.placement),
            ("glouton", greedy_seconds, greedy_figures, str(greedy_gaps), ""),
        ):
            cells = "".join(f"{c:>11}" for c in level_cells(fig, result.bound, order))
            print(
                f"{name if who == 'planif.' else '':<30}{who:>9}{s:>7.2f}{cells}"
                f"{first_need_ratio(fig, result.bound):>9.4f}{gaps:>13}  {how}",
                flush=True,
            )
        if name == "50x15":
            for label, late_seconds, late in late_registrations(problem, result):
                print(
                    f"  inscription tardive d'un {label} : {late_seconds:.3f} s, "
                    f"{late.moved} rendez-vous publiés déplacés, {late.dropped} supprimés, "
                    f"{len(late.appointments) - late.kept} ajoutés"
                )
            service_seconds, added = service_late_registration()
            print(
                f"  inscription tardive d'un porteur, service complet (événement, base, "
                f"outbox) : {service_seconds:.3f} s, {added} rendez-vous ajoutés"
            )


def participants_csv(problem: Problem) -> bytes:
    """A participants file for a generated day, as an operator would keep it."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(
        [
            "role",
            "email",
            "thematiques",
            "souhaits",
            "refus",
            "conferences",
            "disponibilite",
            "rdv_max",
        ]
    )
    people: list[Person] = [*problem.experts, *problem.holders]
    for person in people:
        tags = person.needs if isinstance(person, Holder) else sorted(person.expertise)
        writer.writerow(
            [
                "porteur" if isinstance(person, Holder) else "expert",
                person.id,
                ";".join(tags),
                ";".join(sorted(person.wants)),
                ";".join(sorted(person.refuses)),
                ";".join(sorted(person.conferences)),
                person.availability.value,
                "" if person.max_meetings is None else person.max_meetings,
            ]
        )
    return out.getvalue().encode("utf-8")


def wall(command: list[str], runs: int) -> float:
    """Median wall time of a command, in seconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def print_startup(runs: int = 5) -> None:
    rencontres = str(Path(sys.executable).with_name("rencontres"))
    with tempfile.TemporaryDirectory() as folder:
        dijon, big = Path(folder) / "dijon.csv", Path(folder) / "2000x300.csv"
        dijon.write_bytes(dijon_csv())
        big.write_bytes(participants_csv(generate(2000, 300)))
        out = str(Path(folder) / "planning.csv")
        reference = wall([sys.executable, "-c", "pass"], runs)
        print(f"\nDémarrage de la commande (médiane de {runs} lancements, temps réel)")
        print(f"{'commande':<58}{'s':>7}{'ratio':>8}")
        print(f"{'python -c pass (référence)':<58}{reference:>7.2f}{1:>8.1f}")
        for label, command in (
            ("rencontres --help", [rencontres, "--help"]),
            ("rencontres plan, Dijon 46x16", [rencontres, "plan", "--participants", str(dijon)]),
            (
                "rencontres plan, Dijon 46x16, --placement-seconds 0",
                [rencontres, "plan", "--participants", str(dijon), "--placement-seconds", "0"],
            ),
            ("rencontres plan, 2000x300", [rencontres, "plan", "--participants", str(big)]),
            (
                "rencontres plan, 2000x300, --placement-seconds 0",
                [rencontres, "plan", "--participants", str(big), "--placement-seconds", "0"],
            ),
        ):
            if command[1] == "plan":
                command = [*command, "--out", out]
            seconds = wall(command, runs if "2000" not in label else 3)
            print(f"{label:<58}{seconds:>7.2f}{seconds / reference:>8.1f}", flush=True)


def main() -> None:
    print_levels()
    print_startup()


if __name__ == "__main__":
    main()
