"""Settings of the registration service (environment variables only)."""

from __future__ import annotations

from pydantic import Field

from shared.settings import BaseServiceSettings


class RegistrationSettings(BaseServiceSettings):
    database_url: str = Field(
        default="sqlite:///var/registration.db", validation_alias="REGISTRATION_DATABASE_URL"
    )
    port: int = Field(default=8001, validation_alias="REGISTRATION_PORT")
