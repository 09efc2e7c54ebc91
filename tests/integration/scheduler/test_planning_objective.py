"""The draft carries the objective level by level with its bounds, and the required pairs."""

from __future__ import annotations

import pytest

from services.scheduler.domain.model import RequiredPair
from services.scheduler.domain.required import RequiredPairError
from services.scheduler.service_layer import planning
from shared.db import transaction
from tests.support.scheduler import EDITION, Harness, small_day


def test_a_draft_gives_each_level_with_its_bound_and_places_required_pairs(
    harness: Harness,
) -> None:
    day = small_day(harness)
    # A pair the objective would not make: the expert covers none of the holder's needs.
    pair = RequiredPair(str(day.holders[0]), str(day.experts[2]))
    with transaction(harness.app.kit.factory) as session:
        draft = planning.plan_draft(session, harness.app, EDITION, required=(pair,))
    labels = [label for label, _, _ in draft.levels]
    assert labels[:3] == [
        "porteurs avec au moins un rendez-vous",
        "rendez-vous",
        "souhaits exaucés",
    ]
    assert labels[3] == "porteurs servis sur leur besoin n° 1"
    assert all(value <= bound for _, value, bound in draft.levels)
    assert draft.levels[1][1] == draft.meetings and draft.levels[1][2] == draft.bound
    assert draft.gaps_bound is None or draft.gaps_bound <= draft.gaps
    assert draft.placement
    with transaction(harness.app.kit.factory) as session:
        version = planning.working_version(session, EDITION)
        assert version is not None
        rows = planning.active_rows(session, version.id)
    assert (pair.holder_id, pair.expert_id) in {(r.holder_id, r.expert_id) for r in rows}


def test_an_impossible_required_pair_stores_no_draft(harness: Harness) -> None:
    day = small_day(harness)
    ghost = RequiredPair(str(day.holders[0]), "00000000-0000-0000-0000-000000000000")
    with (
        pytest.raises(RequiredPairError, match="n'est pas un expert planifié"),
        transaction(harness.app.kit.factory) as session,
    ):
        planning.plan_draft(session, harness.app, EDITION, required=(ghost,))
    with transaction(harness.app.kit.factory) as session:
        assert planning.working_version(session, EDITION) is None
