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
    reclaim_interval_s: float = 5.0
    relay_interval_s: float = 0.2
    log_level: str = "INFO"
    # 0.0.0.0 in containers; loopback by default so a laptop exposes nothing.
    http_host: str = "127.0.0.1"
    # HTTP worker processes of a service: each runs the whole service (pages, relay, consumers).
    http_workers: int = Field(default=1, ge=1, le=16)
    # Celery worker processes (`<service> worker`). Sending mostly waits on SMTP and on the
    # other services' internal APIs, so more processes than cores keep the cores busy.
    worker_concurrency: int = Field(default=4, ge=1, le=32)
    # Addresses whose X-Forwarded-For is trusted (the reverse proxy): comma-separated, or *.
    forwarded_allow_ips: str = "127.0.0.1"
    # How long an operator stays logged in to the back-office (one cookie for every service).
    admin_session_hours: int = 12
    # Where the embedded mode keeps its files (SQLite databases, Redis, metrics, beat state).
    var_dir: str = "var"

    @model_validator(mode="after")
    def _refuse_insecure_production(self) -> BaseServiceSettings:
        if self.environment == "production":
            for name in ("secret_key", "service_token"):
                value = getattr(self, name).get_secret_value()
                if value == INSECURE_SECRET or len(value) < 32:
                    raise InsecureConfiguration(
                        f"{name.upper()} doit être une valeur secrète d'au moins 32 caractères "
                        f"en production / {name.upper()} must be a secret of 32+ characters "
                        "in production"
                    )
        return self
