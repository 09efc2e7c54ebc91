"""Settings of the surveys service (environment variables only)."""

from __future__ import annotations

from pydantic import Field

from shared.settings import BaseServiceSettings


class SurveysSettings(BaseServiceSettings):
    database_url: str = Field(
        default="sqlite:///var/surveys.db", validation_alias="SURVEYS_DATABASE_URL"
    )
    port: int = Field(default=8004, validation_alias="SURVEYS_PORT")
