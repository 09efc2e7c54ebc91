"""Settings of the registration service (environment variables only)."""

from __future__ import annotations

from pydantic import Field

from shared.settings import BaseServiceSettings


class RegistrationSettings(BaseServiceSettings):
    database_url: str = Field(
        default="sqlite:///var/registration.db", validation_alias="REGISTRATION_DATABASE_URL"
    )
    port: int = Field(default=8001, validation_alias="REGISTRATION_PORT")
    # A form sent back faster than this was filled by a program.
    form_min_fill_seconds: float = Field(
        default=3.0, validation_alias="REGISTRATION_FORM_MIN_FILL_SECONDS"
    )
    # A form older than this is refused (its CSRF token has expired): the person reloads it.
    form_max_age_seconds: int = Field(
        default=4 * 3600, validation_alias="REGISTRATION_FORM_MAX_AGE_SECONDS"
    )
    # Submissions allowed per window, per IP address and per email address.
    rate_window_seconds: int = Field(
        default=3600, validation_alias="REGISTRATION_RATE_WINDOW_SECONDS"
    )
    rate_per_ip: int = Field(default=30, validation_alias="REGISTRATION_RATE_PER_IP")
    rate_per_email: int = Field(default=6, validation_alias="REGISTRATION_RATE_PER_EMAIL")
    # Login attempts allowed per window, per IP address and per email address.
    login_window_seconds: int = Field(
        default=900, validation_alias="REGISTRATION_LOGIN_WINDOW_SECONDS"
    )
    login_per_ip: int = Field(default=20, validation_alias="REGISTRATION_LOGIN_PER_IP")
    login_per_email: int = Field(default=5, validation_alias="REGISTRATION_LOGIN_PER_EMAIL")
    # The other services, as the back-office home page calls them (with SERVICE_TOKEN) to show
    # the state of each step of the day.
    scheduler_internal_url: str = Field(
        default="http://127.0.0.1:8002", validation_alias="SCHEDULER_INTERNAL_URL"
    )
    surveys_internal_url: str = Field(
        default="http://127.0.0.1:8004", validation_alias="SURVEYS_INTERNAL_URL"
    )
    notifier_internal_url: str = Field(
        default="http://127.0.0.1:8003", validation_alias="NOTIFIER_INTERNAL_URL"
    )
    # Seconds the home page waits for each of those services before showing it unreachable.
    status_timeout_s: float = Field(default=2.0, validation_alias="REGISTRATION_STATUS_TIMEOUT_S")

    @property
    def public_url(self) -> str:
        """Where people reach the public pages: the base of self-service links given to them."""
        return self.registration_public_url
