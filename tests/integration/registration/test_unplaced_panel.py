"""A participant's page shows their wishes and needs without a meeting, read server-side from
a real scheduler (its /internal API over HTTP, service token); without a scheduler, the page
still answers and says the panel is unavailable."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import select

from services.registration.adapters.db import outbox_table
from services.registration.entrypoints.http import create_app as registration_app
from services.scheduler.bootstrap import bootstrap as scheduler_bootstrap
from services.scheduler.entrypoints.http import create_app as scheduler_app
from services.scheduler.service_layer.context import Scheduler
from services.scheduler.settings import SchedulerSettings
from shared.events import EVENTS_BY_TYPE
from shared.migrations import upgrade
from tests.conftest import TEST_DATABASE
from tests.integration.registration.conftest import (
    EDITION,
    SERVICE_TOKEN,
    expert_form,
    holder_form,
    log_in,
    participant_rows,
    submit,
)
from tests.support.servers import create_test_database, free_port, wait_until

SCHEDULER_PACKAGE = Path(__file__).resolve().parents[3] / "services" / "scheduler"


@pytest.fixture
def scheduler(tmp_path: Path, redis_url: str, bus_prefix: str) -> Iterator[tuple[Scheduler, str]]:
    """The scheduler service on its own database, served for real on a free port."""
    (tmp_path / "scheduler").mkdir()
    database_url, drop = create_test_database(TEST_DATABASE, tmp_path / "scheduler")
    upgrade(SCHEDULER_PACKAGE, database_url)
    port = free_port()
    settings = SchedulerSettings(
        SCHEDULER_DATABASE_URL=database_url,
        SCHEDULER_EDITION_ID=EDITION,
        REGISTRATION_INTERNAL_URL=f"http://127.0.0.1:{free_port()}",
        REGISTRATION_PUBLIC_URL="https://inscriptions.example",
        SCHEDULER_PUBLIC_URL="https://planning.example",
        redis_url=redis_url,
        bus_prefix=bus_prefix,
        service_token=SERVICE_TOKEN,
        secret_key="secret-key-for-tests-0123456789abcdef",
        tick_interval_s=3600,
        placement_seconds=0,
    )
    app = scheduler_bootstrap(settings)
    server = uvicorn.Server(
        uvicorn.Config(scheduler_app(app), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, what="the scheduler to serve")
    yield app, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    app.kit.engine.dispose()
    drop()


def _relay(kit: Any, scheduler: Scheduler) -> None:
    """Registration's events, as its relay and the scheduler's consumer would carry them."""
    with kit.engine.connect() as conn:
        rows = conn.execute(select(outbox_table).order_by(outbox_table.c.id)).all()
    for row in rows:
        cls = EVENTS_BY_TYPE[row.event_type]
        stream = cls.stream(scheduler.settings.bus_prefix)
        if stream in scheduler.kit.consumer.subscriptions:
            scheduler.kit.consumer.process(stream, row.payload)


def test_participant_page_shows_the_schedulers_reasons(make_kit, scheduler):
    app, url = scheduler
    kit = make_kit(scheduler_internal_url=url, status_timeout_s=5)
    client = log_in(TestClient(registration_app(kit), base_url="https://testserver"), kit)
    # The expert comes in the morning only, the holder in the afternoon; the holder's second
    # need is offered by nobody.
    assert "Merci" in submit(client, "expert", expert_form(disponibilite="matin")).text
    holder = holder_form(
        souhaits="Fondation du Bien Commun",
        disponibilite="apres-midi",
        besoin_1="mecenat",
        besoin_2="relation-bancaire",
    )
    assert "Merci" in submit(client, "porteur", holder).text
    rows = {r.role: r for r in participant_rows(kit)}
    _relay(kit, app)

    before = client.get(f"/admin/participants/{rows['porteur'].participant_id}")
    assert before.status_code == 200
    assert "Aucun planning pour l'instant" in before.text

    service = TestClient(scheduler_app(app), headers={"Authorization": f"Bearer {SERVICE_TOKEN}"})
    assert service.post("/api/schedule/plan").status_code == 200
    expected = service.get(f"/internal/participants/{rows['porteur'].participant_id}/unplaced")
    reasons = [x["reason"] for x in expected.json()["items"]]
    assert reasons == [
        "indisponible : pas de demi-journée de présence commune",
        "indisponible : aucun expert de cette thématique aux mêmes créneaux",
        "aucune expertise correspondante parmi les experts inscrits",
    ]

    page = client.get(f"/admin/participants/{rows['porteur'].participant_id}").text
    panel = page[page.index('id="sans-rendez-vous"') : page.index("</section>")]
    assert "Souhait du porteur : Fondation du Bien Commun" in panel
    assert "Besoin : Mécénat" in panel and "Besoin : Mise en relation bancaire" in panel
    for reason in reasons:
        assert reason in panel
    expert_id = rows["expert"].participant_id
    assert (
        f'href="https://inscriptions.example/admin/participants/{expert_id}#f-disponibilite"'
        in panel
    )
    # On the expert's page, the same wish, named by the holder's organisation.
    expert_page = client.get(f"/admin/participants/{expert_id}").text
    assert "Souhait du porteur : Les Jardins du Suzon" in expert_page


def test_participant_page_without_a_scheduler_says_the_panel_is_unavailable(make_kit):
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    kit = make_kit(scheduler_internal_url=closed, status_timeout_s=0.5)
    client = log_in(TestClient(registration_app(kit), base_url="https://testserver"), kit)
    assert "Merci" in submit(client, "porteur", holder_form()).text
    (row,) = participant_rows(kit)
    page = client.get(f"/admin/participants/{row.participant_id}")
    assert page.status_code == 200
    assert "Le planning ne répond pas : ce panneau est indisponible" in page.text
    assert "Modifier l'inscription" in page.text
