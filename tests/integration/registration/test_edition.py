"""The edition's settings come from EditionUpdated, consumed from the stream (its dates:
test_registration_dates.py)."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from services.registration.entrypoints.http import create_app
from shared.bus.consumer import Outcome
from shared.edition import default_edition
from shared.events import EditionUpdated
from tests.integration.registration.conftest import (
    holder_form,
    participant_rows,
    submit,
)


def deliver(kit, event: EditionUpdated) -> Outcome:
    return kit.consumer.process(
        EditionUpdated.stream(kit.settings.bus_prefix), event.model_dump_json()
    )


def test_editions_are_kept_newest_first_and_deduplicated(kit):
    now = dt.datetime.now(dt.UTC)
    newer = EditionUpdated(
        edition_id="2027",
        occurred_at=now,
        settings=default_edition(dt.date(2027, 11, 18), "2027").model_copy(
            update={"capacity_holders": 2}
        ),
    )
    older = EditionUpdated(
        edition_id="2027",
        occurred_at=now - dt.timedelta(minutes=5),
        settings=default_edition(dt.date(2027, 11, 18), "2027"),
    )
    assert deliver(kit, newer) is Outcome.OK
    assert deliver(kit, newer) is Outcome.DUPLICATE
    assert deliver(kit, older) is Outcome.OK  # handled, but does not overwrite the newer one
    client = TestClient(create_app(kit))
    for n in range(3):
        submit(client, "porteur", holder_form(email=f"p{n}@asso.example"), edition="2027")
    assert [r.status for r in participant_rows(kit)] == ["inscrit", "inscrit", "liste-attente"]
