"""Settings common to every process, read from the environment only."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

INSECURE_SECRET = "dev-secret-change-me"  # noqa: S105 - refused in production below


class InsecureConfiguration(RuntimeError):
    """Raised when production mode starts with a secret that anyone could guess."""


class BaseServiceSettings(BaseSettings):
    """What every service needs: Redis, the bus, the shared secret, the run mode."""

    model_config = SettingsConfigDict(
        env_prefix="", extra="ignore", frozen=True, populate_by_name=True
    )

    environment: Literal["development", "test", "production"] = "development"
    redis_url: str = "redis://127.0.0.1:6379/0"
    # Prepended to every stream and queue name; tests use it to share one Redis server.
    bus_prefix: str = ""
    secret_key: SecretStr = SecretStr(INSECURE_SECRET)
    service_token: SecretStr = SecretStr(INSECURE_SECRET)
    # Name of this process in the consumer groups, followed by its pid; the host name if empty.
    consumer_name: str = ""
    # A message delivered this many times without success goes to the dead-letter stream.
    max_deliveries: int = 5
    # A pending message idle this long (ms) is reclaimed from a consumer presumed dead.
    reclaim_idle_ms: int = 30_000
    reclaim_interval_s: float = Field(default=5.0, gt=0)
    # The relay publishes what this process commits at once; this is how often it looks for
    # rows committed by other processes (the command line, the Celery worker).
    relay_interval_s: float = Field(default=2.0, gt=0)
    log_level: str = "INFO"
    # 0.0.0.0 in containers; loopback by default so a laptop exposes nothing.
    http_host: str = "127.0.0.1"
    # HTTP worker processes of a service: each runs the whole service (pages, relay, consumers).
    http_workers: int = Field(default=1, ge=1, le=16)
    # Tasks a Celery worker (`<service> worker`) runs at a time, one thread each: sending
    # mostly waits on SMTP and on the other services' internal APIs.
    worker_concurrency: int = Field(default=4, ge=1, le=32)
    # Addresses whose X-Forwarded-For is trusted (the reverse proxy), comma-separated. Empty:
    # no proxy, the peer's own address counts (`make up`); never `*`, which would let anyone
    # choose the address that rate limits and login throttling count.
    forwarded_allow_ips: str = ""
    # How long an operator stays logged in to the back-office (one session for every service).
    admin_session_hours: int = Field(default=12, ge=1, le=24 * 7)
    # How long personal data is kept, in months: after the edition's day for the contact
    # details, after their date for answers' free text, email contents and dedupe rows. The
    # privacy notice of the forms states it; each service applies it daily (shared/retention.py).
    retention_months: int = Field(default=12, ge=1, le=120)
    # Where people's browsers reach each service: the back-office menu and the links in
    # emails are built from them. Under the compose proxy all four are the one public address.
    registration_public_url: str = Field(
        default="http://127.0.0.1:8001", validation_alias="REGISTRATION_PUBLIC_URL"
    )
    scheduler_public_url: str = Field(
        default="http://127.0.0.1:8002", validation_alias="SCHEDULER_PUBLIC_URL"
    )
    notifier_public_url: str = Field(
        default="http://127.0.0.1:8003", validation_alias="NOTIFIER_PUBLIC_URL"
    )
    surveys_public_url: str = Field(
        default="http://127.0.0.1:8004", validation_alias="SURVEYS_PUBLIC_URL"
    )
    # The address people write to: every email and the public pages that refuse something give it.
    brand_contact: str = "contact@pes21.fr"
    # Largest request body a service reads (a spreadsheet import is the largest legitimate one).
    max_body_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    # Where the embedded mode keeps its files (SQLite databases, Redis, metrics, beat state).
    var_dir: str = "var"

    @model_validator(mode="after")
    def _refuse_insecure_production(self) -> BaseServiceSettings:
        if self.environment == "production":
            if self.forwarded_allow_ips.strip() == "*":
                raise InsecureConfiguration(
                    "FORWARDED_ALLOW_IPS=* ferait confiance à n'importe qui : indiquez l'adresse "
                    "du proxy / FORWARDED_ALLOW_IPS=* would trust anyone: give the proxy's address"
                )
            for name in ("secret_key", "service_token"):
                value = getattr(self, name).get_secret_value()
                if value == INSECURE_SECRET or len(value) < 32:
                    raise InsecureConfiguration(
                        f"{name.upper()} doit être une valeur secrète d'au moins 32 caractères "
                        f"en production / {name.upper()} must be a secret of 32+ characters "
                        "in production"
                    )
        return self

    def public_urls(self) -> dict[str, str]:
        """Each service's public address, without a trailing slash, by service name."""
        return {
            "registration": self.registration_public_url.rstrip("/"),
            "scheduler": self.scheduler_public_url.rstrip("/"),
            "notifier": self.notifier_public_url.rstrip("/"),
            "surveys": self.surveys_public_url.rstrip("/"),
        }
