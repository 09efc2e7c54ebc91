"""What the notifier's use cases are given: the bus kit, the dispatcher and the intake's rules."""

from __future__ import annotations

from dataclasses import dataclass

from services.notifier.adapters.queue import Dispatcher
from services.notifier.service_layer.intake import IntakeRules
from services.notifier.settings import NotifierSettings
from shared.service import ServiceApp


@dataclass
class Notifier(ServiceApp[NotifierSettings]):
    dispatcher: Dispatcher
    rules: IntakeRules
