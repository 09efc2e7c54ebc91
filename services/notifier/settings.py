"""Settings of the notifier service (environment variables only)."""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator

from shared.settings import BaseServiceSettings


class NotifierSettings(BaseServiceSettings):
    database_url: str = Field(
        default="sqlite:///var/notifier.db", validation_alias="NOTIFIER_DATABASE_URL"
    )
    port: int = Field(default=8003, validation_alias="NOTIFIER_PORT")
    worker_metrics_port: int = Field(default=9101, validation_alias="NOTIFIER_WORKER_METRICS_PORT")
    beat_metrics_port: int = Field(default=9102, validation_alias="NOTIFIER_BEAT_METRICS_PORT")

    # Where contact details and agendas are fetched, at the moment of sending.
    registration_internal_url: str = "http://127.0.0.1:8001"
    scheduler_internal_url: str = "http://127.0.0.1:8002"
    # Survey invitations: title and a fresh personal link, asked for at send time.
    surveys_internal_url: str = "http://127.0.0.1:8004"
    http_timeout_s: float = 10.0

    # SMTP
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_timeout_s: float = 30.0
    # A CA bundle to verify the SMTP server's certificate (a private relay); system CAs if empty.
    smtp_ca_file: str = ""
    mail_from: str = "Rencontres du financement de l'ESS <rencontres@pes21.fr>"
    # The right-hand side of Message-IDs; the domain of MAIL_FROM when empty.
    mail_message_id_domain: str = ""

    # Branding shown in every email.
    brand_edition_name: str = "Rencontres du financement de l'ESS"
    brand_organiser: str = "PES 21, pôle ESS de Côte-d'Or"
    brand_logo_url: str = ""
    brand_address: str = "12 avenue Gustave Eiffel, 21000 Dijon"
    # The confirmations promise the agenda this many days before the day (0: no date given).
    agenda_sent_days_before: int = Field(default=7, ge=0, le=60)

    # Delivery
    email_max_attempts: int = 8
    email_retry_base_s: float = 30.0
    email_retry_max_s: float = 3600.0
    # All agenda changes of one person within this window make one email.
    email_change_window_s: float = 120.0
    # A row enqueued this long ago and still pending is enqueued again (task lost with the
    # broker). Harmless when the task was only slow: the row is sent by the one task that moves
    # it from pending to sending; the others find it taken and do nothing.
    email_claim_stale_s: float = Field(default=30.0, gt=0)
    # A row marked "sending" this long ago was interrupted (worker killed): it is sent again.
    # Above the SMTP timeout, so a live send, which ends within it, is never repeated.
    email_sending_stale_s: float = Field(default=45.0, gt=0)
    # How often the beat looks for due and forgotten rows: with the two windows above, a lost
    # task or an interrupted send is taken again within a minute.
    email_poll_interval_s: float = Field(default=10.0, gt=0)
    email_dispatch_batch: int = 500
    # Reminder the day before, at this hour (edition time zone).
    reminder_hour: int = 9
    timezone: str = "Europe/Paris"

    @model_validator(mode="after")
    def _resend_after_the_smtp_timeout(self) -> NotifierSettings:
        if self.email_sending_stale_s <= self.smtp_timeout_s:
            raise ValueError(
                "EMAIL_SENDING_STALE_S doit dépasser SMTP_TIMEOUT_S : sinon un envoi lent mais "
                "vivant serait refait"
            )
        return self

    @model_validator(mode="after")
    def _one_tls_mode(self) -> NotifierSettings:
        if self.smtp_ssl and self.smtp_starttls:
            raise ValueError(
                "SMTP_SSL et SMTP_STARTTLS s'excluent : SSL pour le port 465, STARTTLS pour 587"
            )
        return self

    def message_id_domain(self) -> str:
        if self.mail_message_id_domain:
            return self.mail_message_id_domain
        address = self.mail_from.rsplit("<", 1)[-1].rstrip(">").strip()
        return address.rsplit("@", 1)[-1] or "rencontres.local"
