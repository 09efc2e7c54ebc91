"""The compose deployment and .env.example against the code (Docker does not run in CI)."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
import yaml
from pydantic_settings import BaseSettings

from rencontres.cli import main as cli
from services.notifier.settings import NotifierSettings
from services.registration.settings import RegistrationSettings
from services.scheduler.settings import SchedulerSettings
from services.surveys.settings import SurveysSettings

ROOT = Path(__file__).resolve().parents[3]
COMPOSE = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
SETTINGS: tuple[type[BaseSettings], ...] = (
    RegistrationSettings,
    SchedulerSettings,
    NotifierSettings,
    SurveysSettings,
)
OURS = {
    name: svc
    for name, svc in COMPOSE["services"].items()
    if svc.get("image") == "rencontres:latest"
}


def known_variables() -> set[str]:
    names = set()
    for cls in SETTINGS:
        for field_name, field in cls.model_fields.items():
            alias = field.validation_alias
            names.add(alias.upper() if isinstance(alias, str) else field_name.upper())
    return names


def test_every_platform_process_is_deployed():
    commands = {" ".join(svc["command"]) for svc in OURS.values()}
    assert {
        "migrate",
        "registration serve",
        "scheduler serve",
        "notifier serve",
        "surveys serve",
        "notifier worker",
        "notifier beat",
    } <= commands


@pytest.mark.parametrize("name", sorted(OURS))
def test_command_exists(name: str):
    words = OURS[name]["command"]
    command: click.Command = cli
    for word in words:
        assert isinstance(command, click.Group), f"{name}: {' '.join(words)}"
        command = command.commands.get(word)
        assert command is not None, f"{name}: unknown command {' '.join(words)}"
    assert not isinstance(command, click.Group), f"{name}: {' '.join(words)} is a group"


@pytest.mark.parametrize("name", sorted(OURS))
def test_environment_variables_are_settings(name: str):
    unknown = set(OURS[name]["environment"]) - known_variables()
    assert not unknown, f"{name} sets variables no setting reads: {unknown}"


@pytest.mark.parametrize("name", sorted(COMPOSE["services"]))
def test_every_long_running_service_has_a_healthcheck(name: str):
    service = COMPOSE["services"][name]
    if service.get("restart") == "no":  # the one-shot migration
        return
    check = service.get("healthcheck", {})
    assert check.get("test") and not check.get("disable"), f"{name} has no healthcheck"


@pytest.mark.parametrize("name", sorted(COMPOSE["services"]))
def test_dependencies_wait_for_health_or_completion(name: str):
    for dependency, rule in COMPOSE["services"][name].get("depends_on", {}).items():
        assert dependency in COMPOSE["services"]
        expected = (
            "service_completed_successfully" if dependency == "migrate" else "service_healthy"
        )
        assert rule["condition"] == expected


def test_services_wait_for_the_migration():
    for name, service in OURS.items():
        if name != "migrate":
            assert "migrate" in service["depends_on"], name


def test_redis_keeps_everything():
    command = COMPOSE["services"]["redis"]["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"
    assert any(v.endswith(":/data") for v in COMPOSE["services"]["redis"]["volumes"])


def test_prometheus_scrapes_every_process():
    config = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    targets = {
        t for job in config["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]
    }
    for name, service in OURS.items():
        if name == "migrate":
            continue
        port = service["healthcheck"]["test"][-1].split(":")[-1].split("/")[0]
        assert f"{name}:{port}" in targets


def test_env_example_lists_every_setting_and_nothing_else():
    listed = {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert listed == known_variables()
