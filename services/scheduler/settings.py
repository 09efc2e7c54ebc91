"""Settings of the scheduler service (environment variables only)."""

from __future__ import annotations

from pydantic import Field

from shared.settings import BaseServiceSettings


class SchedulerSettings(BaseServiceSettings):
    database_url: str = Field(
        default="sqlite:///var/scheduler.db", validation_alias="SCHEDULER_DATABASE_URL"
    )
    port: int = Field(default=8002, validation_alias="SCHEDULER_PORT")
