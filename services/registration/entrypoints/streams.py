"""Events the registration service consumes, each handled in one transaction with its dedupe row.

The edition's settings (dates, capacity, vocabulary) come from the scheduler.
"""

from __future__ import annotations

from services.registration.service_layer import editions
from services.registration.service_layer.context import Registration
from shared.bus.consumer import Subscriptions
from shared.events import EditionUpdated

SUBSCRIPTIONS: Subscriptions[Registration] = {
    EditionUpdated: editions.on_edition_updated,
}
