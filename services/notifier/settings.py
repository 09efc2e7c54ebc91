"""Settings of the notifier service (environment variables only)."""

from __future__ import annotations

from pydantic import Field

from shared.settings import BaseServiceSettings


class NotifierSettings(BaseServiceSettings):
    database_url: str = Field(
        default="sqlite:///var/notifier.db", validation_alias="NOTIFIER_DATABASE_URL"
    )
    port: int = Field(default=8003, validation_alias="NOTIFIER_PORT")
    worker_metrics_port: int = Field(default=9101, validation_alias="NOTIFIER_WORKER_METRICS_PORT")
    beat_metrics_port: int = Field(default=9102, validation_alias="NOTIFIER_BEAT_METRICS_PORT")
