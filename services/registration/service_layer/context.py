"""What the registration service's event handlers are given: the bus kit and the settings."""

from __future__ import annotations

from dataclasses import dataclass

from services.registration.settings import RegistrationSettings
from shared.service import ServiceApp


@dataclass
class Registration(ServiceApp[RegistrationSettings]):
    pass
