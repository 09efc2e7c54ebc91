"""`rencontres registration ...` commands."""

from __future__ import annotations

from pathlib import Path

from services.registration.settings import RegistrationSettings
from shared.service import service_commands

cli = service_commands(
    name="registration",
    package_dir=Path(__file__).resolve().parents[1],
    settings=RegistrationSettings,
    app_factory="services.registration.entrypoints.http:create_app",
    help_text="Inscriptions : participants, formulaires, back-office, émargement, RGPD.",
)
