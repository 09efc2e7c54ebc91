"""Settings of the notifier service (environment variables only)."""

from __future__ import annotations

from pydantic import Field

from shared.settings import BaseServiceSettings


class NotifierSettings(BaseServiceSettings):
    database_url: str = Field(
        default="sqlite:///var/notifier.db", validation_alias="NOTIFIER_DATABASE_URL"
    )
    port: int = Field(default=8003, validation_alias="NOTIFIER_PORT")
