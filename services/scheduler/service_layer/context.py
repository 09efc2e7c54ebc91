"""What the scheduler's use cases are given: the bus kit, the clock and registration's API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from services.scheduler.adapters.registration import Directory
from services.scheduler.settings import SchedulerSettings
from shared.bus.outbox import Outbox
from shared.events import utc_now
from shared.service import ServiceApp

Clock = Callable[[], dt.datetime]


@dataclass
class Scheduler(ServiceApp[SchedulerSettings]):
    directory: Directory
    clock: Clock = field(default=utc_now)

    @property
    def outbox(self) -> Outbox:
        return self.kit.outbox

    @property
    def edition_id(self) -> str:
        from services.scheduler.service_layer.editions import default_edition_id

        return self.settings.edition_id or default_edition_id(self.clock())
