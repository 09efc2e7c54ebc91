"""What the scheduler's routers share beyond the common foundation (`shared.web`): the
service's context as a dependency, and its errors as HTTP answers."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session

from services.scheduler.domain.live import SchedulingError
from services.scheduler.service_layer.context import Scheduler
from services.scheduler.service_layer.editions import EditionLocked
from shared.db import transaction

TEMPLATES = Path(__file__).parent / "templates"
BUSY = "Une autre planification vient d'être enregistrée : rechargez la page."


def scheduler_of(request: Request) -> Scheduler:
    sched: Scheduler = request.app.state.scheduler
    return sched


SchedulerDep = Annotated[Scheduler, Depends(scheduler_of)]


@contextlib.contextmanager
def unit_of_work(sched: Scheduler) -> Iterator[Session]:
    """One transaction, committed when the block ends without error."""
    with transaction(sched.kit.factory) as session:
        yield session


@contextlib.contextmanager
def conflict() -> Iterator[None]:
    """The use cases' refusals as API answers: 409 with the French reason, 422 for bad data."""
    try:
        yield
    except (SchedulingError, EditionLocked) as exc:
        raise HTTPException(409, str(exc)) from exc
    except ValidationError as exc:
        raise HTTPException(422, str(exc)) from exc
