"""What the surveys service's event handlers are given: the bus kit and the settings."""

from __future__ import annotations

from dataclasses import dataclass

from services.surveys.settings import SurveysSettings
from shared.service import ServiceApp


@dataclass
class Surveys(ServiceApp[SurveysSettings]):
    pass
