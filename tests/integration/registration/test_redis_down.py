"""Redis stopped during registrations: the public form keeps registering people; the events wait
in the outbox and reach the streams once Redis is back, once each."""

from __future__ import annotations

import pytest
import redis
from fastapi.testclient import TestClient

from services.registration.entrypoints.http import create_app
from shared.events import ParticipantRegistered
from tests.integration.registration.conftest import (
    holder_form,
    outbox_events,
    participant_rows,
    submit,
)


@pytest.mark.slow
def test_the_form_registers_while_redis_is_down_and_the_event_goes_once_it_is_back(
    make_kit, redis_server
):
    kit = make_kit(redis_url=redis_server.url)
    client = TestClient(create_app(kit), base_url="https://testserver")
    assert "Merci" in submit(client, "porteur", holder_form()).text
    redis_server.kill()
    during = submit(
        client,
        "porteur",
        holder_form(prenom="Louise", nom="Martin", email="louise.martin@exemple.fr"),
    )
    assert during.status_code == 200 and "Merci" in during.text
    assert len(participant_rows(kit)) == 2
    assert [e["event_type"] for e in outbox_events(kit, "ParticipantRegistered")] == [
        "ParticipantRegistered",
        "ParticipantRegistered",
    ]
    # While Redis is down the relay cannot publish and keeps every row.
    with pytest.raises(redis.ConnectionError):
        kit.runtime.relay.publish_all()
    assert len(outbox_events(kit, "ParticipantRegistered")) == 2
    redis_server.start()
    assert kit.runtime.relay.publish_all() == 2
    assert kit.runtime.relay.publish_all() == 0  # relayed once
    stream = redis.Redis.from_url(redis_server.url)
    assert stream.xlen(ParticipantRegistered.stream(kit.settings.bus_prefix)) == 2
    stream.close()
