"""Settings of the scheduler service (environment variables only)."""

from __future__ import annotations

from pydantic import Field

from shared.settings import BaseServiceSettings


class SchedulerSettings(BaseServiceSettings):
    database_url: str = Field(
        default="sqlite:///var/scheduler.db", validation_alias="SCHEDULER_DATABASE_URL"
    )
    port: int = Field(default=8002, validation_alias="SCHEDULER_PORT")
    # The edition the back-office works on; empty: this year's (the action sheet's default).
    edition_id: str = Field(default="", validation_alias="SCHEDULER_EDITION_ID")
    # Registration's internal API: contact details are fetched there at the moment of use.
    registration_internal_url: str = Field(
        default="http://127.0.0.1:8001", validation_alias="REGISTRATION_INTERNAL_URL"
    )
    # How often the service checks for sessions to close and (if enabled) absentees.
    tick_interval_s: float = Field(default=30.0, validation_alias="SCHEDULER_TICK_INTERVAL_S")
    # Release the meetings of people not checked in this many minutes after a slot starts;
    # off by default: a day run without check-in must never lose its appointments.
    auto_no_show: bool = Field(default=False, validation_alias="SCHEDULER_AUTO_NO_SHOW")
    no_show_grace_minutes: int = Field(
        default=10, validation_alias="SCHEDULER_NO_SHOW_GRACE_MINUTES"
    )
    # How long « Planifier » lets CP-SAT reduce idle gaps between meetings (seconds; 0: the
    # local repair only). Live re-plans after an event never wait for it.
    placement_seconds: float = Field(
        default=5.0, ge=0, validation_alias="SCHEDULER_PLACEMENT_SECONDS"
    )

    @property
    def public_url(self) -> str:
        """Where participants open their agendas (links in emails, QR codes)."""
        return self.scheduler_public_url
