"""Settings of the surveys service (environment variables only)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from shared.settings import BaseServiceSettings


class SurveysSettings(BaseServiceSettings):
    database_url: str = Field(
        default="sqlite:///var/surveys.db", validation_alias="SURVEYS_DATABASE_URL"
    )
    port: int = Field(default=8004, validation_alias="SURVEYS_PORT")
    conference_open_days: int = Field(default=14, validation_alias="SURVEYS_CONFERENCE_OPEN_DAYS")
    day_open_days: int = Field(default=21, validation_alias="SURVEYS_DAY_OPEN_DAYS")
    ex_post_after_days: int = Field(default=42, validation_alias="SURVEYS_EX_POST_AFTER_DAYS")
    ex_post_open_days: int = Field(default=28, validation_alias="SURVEYS_EX_POST_OPEN_DAYS")
    # One automatic reminder to non-respondents this many days after opening (0: none).
    remind_after_days: int = Field(default=7, validation_alias="SURVEYS_REMIND_AFTER_DAYS")
    token_ttl_days: int = Field(default=90, validation_alias="SURVEYS_TOKEN_TTL_DAYS")
    # How often the service process looks for due work (ex-post opening, reminders); 0: never.
    # Where the form asks the names of the people met (the after-day meetings' ratings).
    registration_internal_url: str = Field(
        default="http://127.0.0.1:8001", validation_alias="REGISTRATION_INTERNAL_URL"
    )
    due_interval_s: float = Field(default=60.0, validation_alias="SURVEYS_DUE_INTERVAL_S")
    # Answers accepted per hour from one client address on the venue link (one per device
    # anyway, by a signed cookie); the venue's Wi-Fi may put many phones behind one address.
    venue_answers_per_hour: int = Field(
        default=30, ge=1, validation_alias="SURVEYS_VENUE_ANSWERS_PER_HOUR"
    )
    # On the first page of the evaluation report: who writes it, for whom, with their logo
    # (a PNG or JPEG file; none by default).
    report_organisation: str = Field(
        default="PES 21", validation_alias="SURVEYS_REPORT_ORGANISATION"
    )
    report_funder: str = Field(default="Ville de Dijon", validation_alias="SURVEYS_REPORT_FUNDER")
    report_logo: Path | None = Field(default=None, validation_alias="SURVEYS_REPORT_LOGO")

    @property
    def public_url(self) -> str:
        """Where participants open the questionnaires (links in emails, QR code at the venue)."""
        return self.surveys_public_url
