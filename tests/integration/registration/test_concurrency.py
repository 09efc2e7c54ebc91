"""Registrations arriving at the same moment: none lost, none duplicated, capacity kept."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from services.registration.domain.model import parse_profile
from services.registration.service_layer import participants
from services.registration.service_layer.editions import apply_edition_updated
from shared.db import retrying
from shared.edition import default_edition
from shared.events import EditionUpdated, Role
from tests.integration.registration.conftest import EDITION, outbox_events, participant_rows

RAW = {
    "prenom": "Camille", "nom": "Durand", "structure": "Asso", "forme": "association",
    "stade": "creation", "commune": "Dijon", "thematiques": ["mecenat"],
}  # fmt: skip


def test_simultaneous_registrations(kit):
    settings = default_edition().model_copy(update={"capacity_holders": 5})
    with kit.factory() as session, session.begin():
        apply_edition_updated(session, EditionUpdated(edition_id=EDITION, settings=settings))
    emails = [f"p{n}@asso.example" for n in range(12)] + ["same@asso.example"] * 4

    def register(email: str):
        profile = parse_profile(Role.HOLDER, {**RAW, "email": email}, settings)
        return retrying(kit.factory, participants.register, kit, EDITION, profile)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(register, emails))

    rows = participant_rows(kit)
    assert len(rows) == 13
    assert len({r.email for r in rows}) == 13
    assert sorted(r.status for r in rows).count("inscrit") == 5
    assert sum(r.created for r in results) == 13
    assert [e["event_type"] for e in outbox_events(kit)] == ["ParticipantRegistered"] * 13
