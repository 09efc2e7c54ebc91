"""Settings come from the environment and refuse guessable secrets in production."""

from __future__ import annotations

import pytest

from services.registration.settings import RegistrationSettings
from shared.settings import InsecureConfiguration


def test_defaults_are_the_embedded_mode(monkeypatch: pytest.MonkeyPatch):
    for name in ("REGISTRATION_DATABASE_URL", "REDIS_URL", "ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)
    settings = RegistrationSettings()
    assert settings.database_url == "sqlite:///var/registration.db"
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert settings.port == 8001


def test_each_service_reads_its_own_database_url(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("REGISTRATION_DATABASE_URL", "postgresql://db/registration")
    monkeypatch.setenv("SCHEDULER_DATABASE_URL", "postgresql://db/scheduler")
    assert RegistrationSettings().database_url == "postgresql://db/registration"


@pytest.mark.parametrize("secret", [None, "dev-secret-change-me", "short"])
def test_production_refuses_a_missing_or_weak_secret(monkeypatch: pytest.MonkeyPatch, secret):
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("SERVICE_TOKEN", "x" * 40)
    if secret is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", secret)
    with pytest.raises(InsecureConfiguration, match="SECRET_KEY"):
        RegistrationSettings()


def test_production_starts_with_real_secrets(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("SERVICE_TOKEN", "t" * 40)
    assert RegistrationSettings().environment == "production"


@pytest.mark.parametrize(("configured", "prefix"), [("salle-a", "salle-a-"), ("", None)])
def test_the_consumer_name_is_the_configured_host_then_the_process(
    monkeypatch: pytest.MonkeyPatch, tmp_path, configured, prefix
):
    import os
    import socket

    from services.registration.adapters.db import metadata
    from shared.service import make_kit

    monkeypatch.setenv("CONSUMER_NAME", configured)
    kit = make_kit("registration", RegistrationSettings(), metadata, f"sqlite:///{tmp_path}/r.db")
    expected = f"{prefix or socket.gethostname() + '-'}{os.getpid()}"
    assert kit.consumer.consumer_name == expected
    kit.engine.dispose()


def test_production_refuses_to_trust_every_address_as_a_proxy(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("SERVICE_TOKEN", "t" * 40)
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")
    with pytest.raises(InsecureConfiguration, match="FORWARDED_ALLOW_IPS"):
        RegistrationSettings()
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "172.30.0.10")
    assert RegistrationSettings().forwarded_allow_ips == "172.30.0.10"
