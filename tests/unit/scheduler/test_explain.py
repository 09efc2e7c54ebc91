from services.scheduler.domain.explain import Cause, Unmet, explain
from services.scheduler.domain.model import Expert, Holder, Problem
from services.scheduler.domain.solver import plan
from shared.edition import Availability, HalfDay, default_edition

EDITION = default_edition()


def reasons(problem: Problem) -> dict[tuple[str, str, str], str]:
    result = plan(problem)
    return {
        (x.kind.value, x.holder_id, x.expert_id or x.tag): x.reason
        for x in explain(problem, result.appointments)
    }


def test_each_unmet_wish_or_need_gets_its_reason() -> None:
    full = Expert(
        id="full@x.example",
        expertise=frozenset({"mecenat"}),
        max_meetings=1,
        wants=frozenset({"h1@x.example"}),
    )
    morning = Expert(
        id="morning@x.example",
        expertise=frozenset({"business-plan"}),
        availability=Availability.MORNING,
    )
    refusing = Expert(
        id="refusing@x.example",
        expertise=frozenset({"relation-bancaire"}),
        refuses=frozenset({"h3@x.example"}),
    )
    conference = Expert(
        id="conf@x.example",
        expertise=frozenset({"budget-previsionnel"}),
        availability=Availability.MORNING,
        conferences=frozenset({HalfDay.MORNING}),
    )
    # Wished by both sides, h1 outranks h2 (one side) for the only mecenat meeting.
    h1 = Holder(id="h1@x.example", needs=("mecenat",), wants=frozenset({full.id}))
    h2 = Holder(id="h2@x.example", needs=("mecenat",), wants=frozenset({full.id}))
    h3 = Holder(
        id="h3@x.example",
        needs=("relation-bancaire",),
        wants=frozenset({morning.id}),
        availability=Availability.AFTERNOON,
    )
    h4 = Holder(id="h4@x.example", needs=("financement-participatif",))
    h5 = Holder(
        id="h5@x.example",
        needs=("budget-previsionnel",),
        max_meetings=1,
        wants=frozenset({conference.id}),
        availability=Availability.MORNING,
        conferences=frozenset({HalfDay.MORNING}),
    )
    h6 = Holder(id="h6@x.example", needs=("business-plan",), max_meetings=0)
    got = reasons(
        Problem.for_edition(
            EDITION, (h1, h2, h3, h4, h5, h6), (full, morning, refusing, conference)
        )
    )
    assert got == {
        (
            "souhait",
            "h2@x.example",
            "full@x.example",
        ): "expert complet avec des demandes prioritaires (1 rendez-vous)",
        (
            "besoin",
            "h2@x.example",
            "mecenat",
        ): "experts de cette thématique complets avec des demandes prioritaires",
        (
            "souhait",
            "h3@x.example",
            "morning@x.example",
        ): "indisponible : pas de demi-journée de présence commune",
        (
            "besoin",
            "h3@x.example",
            "relation-bancaire",
        ): "refus : tous les experts de cette thématique sont refusés",
        (
            "besoin",
            "h4@x.example",
            "financement-participatif",
        ): "aucune expertise correspondante parmi les experts inscrits",
        (
            "besoin",
            "h6@x.example",
            "business-plan",
        ): "plafond atteint : le porteur a déjà 0 rendez-vous (maximum 0)",
    }
    # h5 and the conference expert share the morning's open slots: they meet.
    assert ("souhait", "h5@x.example", "conf@x.example") not in got


def test_wish_of_an_expert_is_reported_with_its_side() -> None:
    expert = Expert(
        id="e@x.example",
        expertise=frozenset({"mecenat"}),
        wants=frozenset({"h@x.example"}),
        availability=Availability.MORNING,
    )
    holder = Holder(id="h@x.example", needs=("mecenat",), availability=Availability.AFTERNOON)
    problem = Problem.for_edition(EDITION, (holder,), (expert,))
    (wish, need) = explain(problem, plan(problem).appointments)
    assert wish.kind is Unmet.WISH and wish.asked_by == "expert"
    assert need.kind is Unmet.NEED
    assert "indisponible" in wish.reason and "indisponible" in need.reason


def test_every_need_is_explained_most_important_first_with_its_cause() -> None:
    expert = Expert(id="e@x.example", expertise=frozenset({"mecenat"}), max_meetings=1)
    served = Holder(id="a@x.example", needs=("mecenat", "business-plan"))
    capped = Holder(id="b@x.example", needs=("relation-bancaire", "mecenat"))
    problem = Problem.for_edition(EDITION, (served, capped), (expert,))
    got = [(x.holder_id, x.tag, x.cause) for x in explain(problem, plan(problem).appointments)]
    assert got == [
        ("a@x.example", "business-plan", Cause.NO_EXPERTISE),
        ("b@x.example", "relation-bancaire", Cause.NO_EXPERTISE),
        ("b@x.example", "mecenat", Cause.EXPERT_FULL),
    ]
