"""Settings of the registration service (environment variables only)."""

from __future__ import annotations

from pydantic import Field

from shared.settings import BaseServiceSettings


class RegistrationSettings(BaseServiceSettings):
    database_url: str = Field(
        default="sqlite:///var/registration.db", validation_alias="REGISTRATION_DATABASE_URL"
    )
    port: int = Field(default=8001, validation_alias="REGISTRATION_PORT")
    # Where people reach the public pages: the base of self-service links given to them.
    public_base_url: str = Field(
        default="http://127.0.0.1:8001", validation_alias="REGISTRATION_PUBLIC_BASE_URL"
    )
    # A form sent back faster than this was filled by a program.
    form_min_fill_seconds: float = 3.0
    # A form older than this is refused (its CSRF token has expired): the person reloads it.
    form_max_age_seconds: int = 4 * 3600
    # Submissions allowed per window, per IP address and per email address.
    rate_window_seconds: int = 3600
    rate_per_ip: int = 30
    rate_per_email: int = 6
    # Login attempts allowed per window, per IP address and per email address.
    login_window_seconds: int = 900
    login_per_ip: int = 20
    login_per_email: int = 5
    admin_session_hours: int = 12
