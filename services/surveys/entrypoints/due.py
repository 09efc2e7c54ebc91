"""The surveys service's due work, run by its periodic loop (`http.py`) or by
`rencontres surveys run-due` from a cron job: each due job in a transaction of its own, so one
that fails stays due and the others are done. Safe with several processes at once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session, sessionmaker

from services.surveys.service_layer.surveys import do_due_job, due_job_keys
from services.surveys.settings import SurveysSettings
from shared.bus.outbox import Outbox
from shared.db import transaction
from shared.events import utc_now


def run_due(
    factory: sessionmaker[Session],
    outbox: Outbox,
    settings: SurveysSettings,
    now: dt.datetime | None = None,
) -> int:
    """Do the work whose date has come, each job once; returns how many this call did."""
    now = now or utc_now()
    with factory() as session:
        keys = due_job_keys(session, now)
    done = 0
    for key in keys:
        with transaction(factory) as session:
            done += do_due_job(session, outbox, settings, key, now)
    return done
