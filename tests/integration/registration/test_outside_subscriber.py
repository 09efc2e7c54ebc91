"""The example subscriber of docs/ receives the events of a registration made on the form."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from services.registration.adapters.db import participants
from shared.events import ParticipantRegistered
from tests.integration.registration.conftest import holder_form, submit

ROOT = Path(__file__).resolve().parents[3]


def test_example_subscriber_receives_a_registration(kit, client, redis_url, bus_prefix):
    answer = submit(client, "porteur", holder_form())
    assert answer.status_code == 200, answer.text
    kit.runtime.relay.publish_all()
    with kit.engine.connect() as conn:
        row = conn.execute(select(participants.c.participant_id, participants.c.edition_id)).one()

    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "docs" / "examples" / "subscriber.py"),
            "--redis",
            redis_url,
            "--group",
            "maison-des-associations",
            "--stream",
            ParticipantRegistered.stream(bus_prefix),
            "--stop-after",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["ParticipantRegistered", row.edition_id, row.participant_id]
