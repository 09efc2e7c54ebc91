"""The compose deployment and .env.example against the code (Docker does not run in CI)."""

from __future__ import annotations

import importlib.util
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from pydantic_settings import BaseSettings

from rencontres.cli import main as cli
from services.notifier.settings import NotifierSettings
from services.registration.settings import RegistrationSettings
from services.scheduler.settings import SchedulerSettings
from services.surveys.settings import SurveysSettings
from shared.settings import INSECURE_SECRET, InsecureConfiguration

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
        "notifier worker --beat",
    } <= commands


@pytest.mark.parametrize("name", sorted(OURS))
def test_command_exists(name: str):
    words = OURS[name]["command"]
    command: click.Command | None = cli
    options = [w for w in words if w.startswith("-")]
    for word in [w for w in words if w not in options]:
        assert isinstance(command, click.Group), f"{name}: {' '.join(words)}"
        command = command.get_command(click.Context(command), word)
        assert command is not None, f"{name}: unknown command {' '.join(words)}"
    assert not isinstance(command, click.Group), f"{name}: {' '.join(words)} is a group"
    command.make_context(name, options)  # an unknown option raises


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


@pytest.mark.skipif(
    shutil.which("promtool") is None, reason="promtool (Debian's prometheus) absent"
)
def test_prometheus_configuration_and_alert_rules_are_valid():
    for args in (
        ["check", "config", "prometheus.yml"],
        ["check", "rules", "alerts.yml"],
        ["test", "rules", "alerts.test.yml"],
    ):
        result = subprocess.run(
            ["promtool", *args], cwd=ROOT / "deploy" / "prometheus", capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_test_where_it_fires_and_one_where_it_is_silent():
    prometheus = ROOT / "deploy" / "prometheus"
    rules = yaml.safe_load((prometheus / "alerts.yml").read_text())
    alerts = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    cases = [
        case
        for test in yaml.safe_load((prometheus / "alerts.test.yml").read_text())["tests"]
        for case in test["alert_rule_test"]
    ]
    fires = {case["alertname"] for case in cases if case["exp_alerts"]}
    silent = {case["alertname"] for case in cases if not case["exp_alerts"]}
    assert fires == alerts, f"never seen firing: {alerts - fires}"
    assert silent == alerts, f"never seen silent: {alerts - silent}"


def test_grafana_dashboards_parse_and_use_the_provisioned_datasource():
    dashboards = sorted((ROOT / "deploy" / "grafana" / "dashboards").glob("*.json"))
    assert dashboards
    for path in dashboards:
        board = json.loads(path.read_text())
        assert board["uid"].startswith("rencontres-")
        for panel in board["panels"]:
            assert panel["datasource"]["uid"] == "prometheus"
            assert all(t["expr"] for t in panel["targets"])


# -- the reverse proxy ------------------------------------------------------------------------
CADDYFILE = ROOT / "deploy" / "caddy" / "Caddyfile"
UPSTREAMS = {
    "registration:8001": "registration",
    "scheduler:8002": "scheduler",
    "notifier:8003": "notifier",
    "surveys:8004": "surveys",
}
# Paths several services answer; the proxy can send each to one only. A new one fails
# test_route_collisions_are_the_known_ones: decide where it goes, then list it here.
KNOWN_COLLISIONS = {
    # Every service's root sends people somewhere useful; behind the proxy, registration's.
    "/": ({"registration", "scheduler", "notifier", "surveys"}, "registration"),
    "/admin": ({"registration", "surveys"}, "registration"),
}
# What every app has and the proxy must not expose.
NOT_EXPOSED = ("/internal/", "/metrics", "/healthz", "/docs", "/redoc", "/openapi.json")


def proxy_routes() -> list[tuple[str, list[str]]]:
    """(service, path patterns) of each `handle @matcher { reverse_proxy host:port }`."""
    text = CADDYFILE.read_text()
    matchers = {
        name: patterns.split()
        for name, patterns in re.findall(r"^\s*@(\w+) path ([^\n]+)$", text, re.MULTILINE)
    }
    routes = []
    for name, upstream in re.findall(
        r"handle @(\w+) \{\s*reverse_proxy (\S+)\s*\}", text, re.MULTILINE
    ):
        routes.append((UPSTREAMS[upstream], matchers[name]))
    return routes


def caddy_path_matches(pattern: str, path: str) -> bool:
    """Caddy's `path` matcher as used here: exact, or a prefix when it ends with *."""
    if pattern.endswith("*"):
        return path.lower().startswith(pattern[:-1].lower())
    assert "*" not in pattern, f"only exact and prefix patterns are emulated: {pattern}"
    return path.lower() == pattern.lower()


def proxied_to(path: str) -> set[str]:
    return {
        service
        for service, patterns in proxy_routes()
        if any(caddy_path_matches(p, path) for p in patterns)
    }


def _walk(routes: list[Any], prefix: str = "") -> Iterator[str]:
    for route in routes:
        context = getattr(route, "include_context", None)
        if context is not None:  # a router included with include_router
            yield from _walk(route.original_router.routes, prefix + context.prefix)
        elif hasattr(route, "path"):
            yield prefix + route.path


@pytest.fixture(scope="module")
def service_paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[str]]:
    """Every route of every service's app, with `{param}` filled in as a request would be."""
    from services.notifier.entrypoints.http import create_app as notifier_app
    from services.registration.entrypoints.http import create_app as registration_app
    from services.scheduler.entrypoints.http import create_app as scheduler_app
    from services.surveys.entrypoints.http import create_app as surveys_app

    var = tmp_path_factory.mktemp("var")
    factories = {
        "registration": registration_app,
        "scheduler": scheduler_app,
        "notifier": notifier_app,
        "surveys": surveys_app,
    }
    with pytest.MonkeyPatch.context() as env:
        env.setenv("VAR_DIR", str(var))
        for name in factories:
            env.setenv(f"{name.upper()}_DATABASE_URL", f"sqlite:///{var}/{name}.db")
        return {
            name: {re.sub(r"\{[^}]+\}", "x1", p) for p in _walk(factory().routes)}
            for name, factory in factories.items()
        }


def _exposed(path: str) -> bool:
    return not any(path == p.rstrip("/") or path.startswith(p) for p in NOT_EXPOSED)


def test_the_proxy_is_deployed_with_its_configuration():
    proxy = COMPOSE["services"]["proxy"]
    assert proxy["image"].split(":")[0] in ("caddy", "nginx")
    assert "./caddy/Caddyfile:/etc/caddy/Caddyfile:ro" in proxy["volumes"]
    assert {service for service, _ in proxy_routes()} == set(UPSTREAMS.values())


def test_route_collisions_are_the_known_ones(service_paths: dict[str, set[str]]):
    owners: dict[str, set[str]] = {}
    for service, paths in service_paths.items():
        for path in filter(_exposed, paths):
            owners.setdefault(path, set()).add(service)
    collisions = {path: names for path, names in owners.items() if len(names) > 1}
    assert collisions == {path: names for path, (names, _) in KNOWN_COLLISIONS.items()}


def test_the_proxy_sends_every_page_to_its_service(service_paths: dict[str, set[str]]):
    for service, paths in service_paths.items():
        for path in sorted(filter(_exposed, paths)):
            expected = KNOWN_COLLISIONS[path][1] if path in KNOWN_COLLISIONS else service
            assert proxied_to(path) == {expected}, f"{service} {path} → {proxied_to(path)}"


def test_the_proxy_exposes_no_internal_route(service_paths: dict[str, set[str]]):
    hidden = [p for paths in service_paths.values() for p in paths if not _exposed(p)]
    assert any(p.startswith("/internal/") for p in hidden)
    for path in [*hidden, "/metrics", "/internal/", "/internal/participants/x1", "/healthz"]:
        assert not proxied_to(path), f"{path} is exposed by the proxy"


def test_the_report_logo_folder_is_mounted_read_only_in_the_surveys_container():
    mount = "./branding:/srv/branding:ro"
    assert mount in COMPOSE["services"]["surveys"]["volumes"]
    assert (ROOT / "deploy" / "branding").is_dir()  # podman refuses a missing source folder
    assert "/srv/branding/" in (ROOT / ".env.example").read_text()


def test_public_urls_default_to_the_proxy():
    environment = COMPOSE["x-rencontres"]["environment"]
    for service in ("REGISTRATION", "SCHEDULER", "NOTIFIER", "SURVEYS"):
        name = f"{service}_PUBLIC_URL"
        assert environment[name].endswith(":-http://localhost}"), name
    assert COMPOSE["services"]["proxy"]["ports"][0] == "80:80"


@pytest.mark.skipif(shutil.which("caddy") is None, reason="caddy (Debian's caddy) absent")
def test_caddyfile_is_valid(tmp_path: Path):
    result = subprocess.run(
        ["caddy", "adapt", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), "SITE_ADDRESS": ":80"},
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(
    shutil.which("promtool") is None, reason="promtool (Debian's prometheus) absent"
)
def test_dashboard_expressions_are_valid_promql(tmp_path: Path):
    # Each expression as a recording rule: promtool parses it. Grafana's $__range is a duration.
    rules = [
        {"record": f"rencontres:check:{n}", "expr": expr.replace("$__range", "1d")}
        for n, expr in enumerate(
            target["expr"]
            for path in sorted((ROOT / "deploy" / "grafana" / "dashboards").glob("*.json"))
            for panel in json.loads(path.read_text())["panels"]
            for target in panel["targets"]
        )
    ]
    (tmp_path / "dashboards.yml").write_text(
        yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]})
    )
    result = subprocess.run(
        ["promtool", "check", "rules", "dashboards.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# -- production defaults, the proxy's address, and the podman runner ---------------------------
def compose_podman() -> Any:
    spec = importlib.util.spec_from_file_location(
        "compose_podman", ROOT / "deploy" / "compose_podman.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["compose_podman"] = module
    spec.loader.exec_module(module)
    return module


SECRETS = {
    "SECRET_KEY": "k" * 40,
    "SERVICE_TOKEN": "t" * 40,
    "POSTGRES_PASSWORD": "p" * 20,
    "GRAFANA_PASSWORD": "g" * 20,
}
FILES = [ROOT / "deploy" / "compose.yaml", ROOT / "deploy" / "debian" / "compose.yaml"]


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> Any:
    for name in [*SECRETS, "ENVIRONMENT", "COMPOSE_PROJECT_NAME"]:
        monkeypatch.delenv(name, raising=False)
    return compose_podman()


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_compose_refuses_to_start_without_each_secret(
    runner: Any, monkeypatch: pytest.MonkeyPatch, missing: str
):
    for name, value in SECRETS.items():
        if name != missing:
            monkeypatch.setenv(name, value)
    with pytest.raises(runner.ComposeError, match=missing):
        runner.load(FILES, None)


def test_compose_runs_in_production_and_the_services_refuse_a_default_secret(
    runner: Any, monkeypatch: pytest.MonkeyPatch
):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    environment = runner.load(FILES, None).config["services"]["registration"]["environment"]
    assert environment["ENVIRONMENT"] == "production"
    for cls in SETTINGS:
        with pytest.raises(InsecureConfiguration, match="SECRET_KEY"):
            cls(
                environment=environment["ENVIRONMENT"],
                secret_key=INSECURE_SECRET,
                service_token=environment["SERVICE_TOKEN"],
            )
    # `make up` (no ENVIRONMENT set) stays in development, where the default secret is allowed.
    assert RegistrationSettings().environment == "development"


def test_only_the_proxy_is_trusted_for_x_forwarded_for(
    runner: Any, monkeypatch: pytest.MonkeyPatch
):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    config = runner.load([ROOT / "deploy" / "compose.yaml"], None).config
    proxy = config["services"]["proxy"]["networks"]["default"]["ipv4_address"]
    (network,) = config["networks"]["default"]["ipam"]["config"]
    address = ipaddress.ip_address(proxy)
    assert address in ipaddress.ip_network(network["subnet"])
    # Outside the range the other containers take their addresses from: never given away.
    assert address not in ipaddress.ip_network(network["ip_range"])
    for name in OURS:
        assert config["services"][name]["environment"]["FORWARDED_ALLOW_IPS"] == proxy, name


def test_the_debian_file_builds_every_rencontres_image_on_debian_python(
    runner: Any, monkeypatch: pytest.MonkeyPatch
):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    services = runner.load(FILES, None).config["services"]
    for name in OURS:
        assert services[name]["build"]["args"]["PYTHON_IMAGE"].startswith("localhost/"), name
        assert services[name]["build"]["dockerfile"] == "deploy/Dockerfile"
    started = runner.load(FILES, None).services([], set())
    assert "grafana" not in started
    for name in started:
        image = services[name]["image"]
        assert image.startswith("localhost/") or image == "rencontres:latest", name


def test_interpolation_as_compose_does_it(runner: Any):
    variables = {"SET": "oui", "EMPTY": ""}
    assert runner.interpolate(
        "${SET:-non} ${EMPTY:-vide} ${EMPTY-gardé} $SET $$SET", variables
    ) == ("oui vide  oui $SET")
    assert runner.interpolate("${ABSENT:+x}${SET:+présent}", variables) == "présent"
    with pytest.raises(runner.ComposeError, match="EMPTY : à donner"):
        runner.interpolate("${EMPTY:?à donner}", variables)
    assert runner.interpolate("${EMPTY?requis}", variables) == ""


def test_override_files_merge_as_compose_merges_them(runner: Any):
    base = {
        "ports": ["80:80"],
        "volumes": ["a:/a"],
        "command": ["serve"],
        "environment": {"A": "1", "B": "2"},
    }
    text = """
ports: !reset []
volumes: ["b:/b"]
command: ["beat"]
environment: {B: "3"}
healthcheck: !override {test: ["CMD", "true"]}
"""
    override = yaml.load(text, Loader=runner.Loader)
    assert runner.merge(base, override) == {
        "volumes": ["a:/a", "b:/b"],
        "command": ["beat"],
        "environment": {"A": "1", "B": "3"},
        "healthcheck": {"test": ["CMD", "true"]},
    }


def test_the_runner_refuses_what_it_does_not_know(runner: Any, tmp_path: Path):
    (tmp_path / "compose.yaml").write_text(
        "services:\n  web:\n    image: x\n    cap_add: [NET_ADMIN]\n"
    )
    with pytest.raises(runner.ComposeError, match="cap_add"):
        runner.load([tmp_path / "compose.yaml"], None)


def test_healthchecks_become_podman_options(runner: Any):
    assert runner.healthcheck_options(
        {"test": ["CMD", "redis-cli", "ping"], "interval": "10s", "retries": 5}
    ) == [
        "--health-cmd",
        '["redis-cli", "ping"]',
        "--health-interval",
        "10s",
        "--health-retries",
        "5",
    ]
    assert runner.healthcheck_options({"test": ["CMD-SHELL", "pg_isready || exit 1"]}) == [
        "--health-cmd",
        "pg_isready || exit 1",
    ]
    assert runner.healthcheck_options({"disable": True}) == ["--no-healthcheck"]
    assert runner.duration("1m30s", 0) == 90


def podman_commands(document: Path) -> list[list[str]]:
    """The commands of the document's code block that runs compose_podman.py."""
    blocks = re.findall(r"```sh\n(.*?)```", document.read_text(), re.DOTALL)
    (block,) = [b for b in blocks if "compose_podman.py" in b and "base-images.sh" in b]
    return [line.split("#")[0].split() for line in block.splitlines() if line.split("#")[0]]


@pytest.mark.parametrize("document", ["README.md", "docs/operations.md"])
def test_the_documented_podman_deployment_is_what_the_compose_test_runs(document: str):
    from tests.deploy import test_compose

    commands = podman_commands(ROOT / document)
    assert [str(test_compose.BASE_IMAGES.relative_to(ROOT))] in commands
    (up,) = [c for c in commands if "deploy/compose_podman.py" in c]
    files = [ROOT / up[i + 1] for i, word in enumerate(up) if word == "-f"]
    # The test adds one file of its own: ports and a lower login limit, nothing else.
    assert [*files, ROOT / "tests" / "deploy" / "compose.test.yaml"] == test_compose.FILES
    assert up[up.index("deploy/compose_podman.py") + 1 + 2 * len(files) :] == test_compose.UP
