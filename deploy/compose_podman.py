"""Run deploy/compose.yaml with plain podman commands, for a machine without Docker.

    python3 deploy/compose_podman.py [-f FILE]... [-p NAME] up [--build] [SERVICE...]
    python3 deploy/compose_podman.py [-f FILE]... [-p NAME] config
    python3 deploy/compose_podman.py [-f FILE]... [-p NAME] down [--volumes]

Why not podman-compose: with Debian bookworm's podman (4.3) it starts a service without
waiting for its dependencies to be healthy (`podman wait --condition=healthy` needs podman
4.6), and podman runs healthchecks from systemd timers, which a machine or a container without
systemd does not have. This script reads the compose files as `docker compose` does (variables
from the environment and from the project's .env, `${VAR:-default}`, `${VAR:?error}`, override
files with `!reset` and `!override`), then starts each service once its dependencies are
healthy or completed, running their healthchecks itself (`podman healthcheck run`), and waits
until every service is healthy. It knows the parts of the compose format our files use and
refuses any other, rather than ignoring it. Needs Python 3.11+ and PyYAML (python3-yaml).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
LABEL = "com.docker.compose.project"
SERVICE_KEYS = {
    "build",
    "command",
    "depends_on",
    "env_file",
    "environment",
    "healthcheck",
    "image",
    "networks",
    "ports",
    "profiles",
    "restart",
    "volumes",
}
# Lists an override file replaces rather than extends (as docker compose does).
REPLACED_LISTS = {"command", "entrypoint", "test", "profiles"}


class ComposeError(Exception):
    """A compose file this script cannot run as written."""


# -- reading the files ----------------------------------------------------------------------
class Reset:
    """`!reset`: the key is removed from what the earlier files set."""


@dataclass
class Override:
    """`!override VALUE`: VALUE replaces what the earlier files set, instead of merging."""

    value: Any


class Loader(yaml.SafeLoader):
    pass


def _reset(loader: yaml.SafeLoader, node: yaml.Node) -> Reset:
    return Reset()


def _override(loader: yaml.SafeLoader, node: yaml.Node) -> Override:
    if isinstance(node, yaml.MappingNode):
        return Override(loader.construct_mapping(node, deep=True))
    if isinstance(node, yaml.SequenceNode):
        return Override(loader.construct_sequence(node, deep=True))
    return Override(loader.construct_scalar(node))  # type: ignore[arg-type]


Loader.add_constructor("!reset", _reset)
Loader.add_constructor("!override", _override)

VARIABLE = re.compile(
    r"\$\$"
    r"|\$\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>(?:[^{}]|\{[^{}]*\})*))?\}"
    r"|\$(?P<bare>[A-Za-z_][A-Za-z0-9_]*)"
)


def interpolate(text: str, variables: dict[str, str]) -> str:
    """Compose's variable substitution: $VAR, ${VAR}, ${VAR:-default}, ${VAR:?error}..."""

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group("braced") or match.group("bare")
        op, arg = match.group("op"), interpolate(match.group("arg") or "", variables)
        value = variables.get(name)
        unset = value is None or (value == "" and op is not None and op.startswith(":"))
        if op in ("-", ":-"):
            return arg if unset else str(value)
        if op in ("?", ":?"):
            if unset:
                raise ComposeError(f"{name} : {arg or 'variable obligatoire / required'}")
            return str(value)
        if op in ("+", ":+"):
            return "" if unset else arg
        return value or ""

    return VARIABLE.sub(substitute, text)


def interpolate_all(value: Any, variables: dict[str, str]) -> Any:
    if isinstance(value, str):
        return interpolate(value, variables)
    if isinstance(value, Override):
        return Override(interpolate_all(value.value, variables))
    if isinstance(value, dict):
        return {k: interpolate_all(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate_all(v, variables) for v in value]
    return value


def merge(base: Any, override: Any, key: str = "") -> Any:
    """An override file over the files before it: mappings merged, most lists extended."""
    if isinstance(override, Override):
        return override.value
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for k, v in override.items():
            if isinstance(v, Reset):
                merged.pop(k, None)
            else:
                merged[k] = merge(merged.get(k), v, k)
        return merged
    if isinstance(base, list) and isinstance(override, list) and key not in REPLACED_LISTS:
        return base + [item for item in override if item not in base]
    return override


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines; # comments and blank lines skipped; surrounding quotes removed."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise ComposeError(f"{path}: ligne sans « = » / line without '=': {line}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


@dataclass
class Project:
    name: str
    directory: Path
    config: dict[str, Any]

    @property
    def network(self) -> str:
        return f"{self.name}_default"

    def container(self, service: str) -> str:
        return f"{self.name}-{service}-1"

    def services(self, wanted: list[str], profiles: set[str]) -> list[str]:
        """The services to start, dependencies first: those named and what they need, or all
        those whose profiles are not disabled."""
        services = self.config["services"]
        unknown = set(wanted) - set(services)
        if unknown:
            raise ComposeError(f"service inconnu / unknown service: {', '.join(sorted(unknown))}")
        chosen = wanted or [
            name
            for name, service in services.items()
            if not service.get("profiles") or set(service["profiles"]) & profiles
        ]
        ordered: list[str] = []

        def visit(name: str, path: tuple[str, ...]) -> None:
            if name in path:
                raise ComposeError(f"dépendance circulaire / dependency cycle: {name}")
            if name not in ordered:
                for dependency in dependencies(services[name]):
                    visit(dependency, (*path, name))
                ordered.append(name)

        for name in chosen:
            visit(name, ())
        return ordered


def dependencies(service: dict[str, Any]) -> dict[str, str]:
    depends = service.get("depends_on") or {}
    if isinstance(depends, list):
        return dict.fromkeys(depends, "service_started")
    return {name: rule.get("condition", "service_started") for name, rule in depends.items()}


def load(files: list[Path], project_name: str | None) -> Project:
    directory = files[0].resolve().parent
    variables = read_env_file(directory / ".env") if (directory / ".env").is_file() else {}
    variables.update(os.environ)
    config: dict[str, Any] = {}
    for path in files:
        document = yaml.load(path.read_text(), Loader=Loader) or {}  # noqa: S506 - SafeLoader
        config = merge(config, interpolate_all(document, variables))
    for key in config:
        if key not in ("name", "services", "volumes", "networks") and not key.startswith("x-"):
            raise ComposeError(f"clé non prise en charge / unsupported key: {key}")
    for name, service in config["services"].items():
        unsupported = set(service) - SERVICE_KEYS
        if unsupported:
            raise ComposeError(f"{name}: non pris en charge / unsupported: {sorted(unsupported)}")
    name = project_name or variables.get("COMPOSE_PROJECT_NAME") or config.get("name")
    return Project(name or directory.name, directory, config)


# -- podman commands ------------------------------------------------------------------------
def podman(*args: str, check: bool = True, quiet: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["podman", *args], capture_output=quiet, text=True, stdin=subprocess.DEVNULL
    )
    if check and result.returncode != 0:
        raise ComposeError(f"podman {' '.join(args[:2])}: {(result.stderr or '').strip()}")
    return result


def duration(value: str | None, default: float) -> float:
    """A compose duration (1m30s, 10s, 500ms) in seconds."""
    if not value:
        return default
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001, "us": 1e-6}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|us|h|m|s)", str(value))
    if not parts or "".join(n + u for n, u in parts) != str(value):
        raise ComposeError(f"durée illisible / unreadable duration: {value}")
    return sum(float(n) * units[u] for n, u in parts)


def healthcheck_options(check: dict[str, Any] | None) -> list[str]:
    if not check or check.get("disable") or check.get("test") in (None, ["NONE"]):
        return ["--no-healthcheck"] if check else []
    test = check["test"]
    if isinstance(test, str) or test[0] == "CMD-SHELL":
        # A shell command: podman runs a string that is not a JSON array with /bin/sh -c.
        command = test if isinstance(test, str) else test[1]
    elif test[0] == "CMD":
        # podman 4.3 takes a JSON array of the command's words, without the CMD keyword.
        command = json.dumps(test[1:])
    else:
        raise ComposeError(f"healthcheck illisible / unreadable healthcheck: {test}")
    options = ["--health-cmd", command]
    for key in ("interval", "timeout", "retries", "start_period"):
        if key in check:
            options += [f"--health-{key.replace('_', '-')}", str(check[key])]
    return options


def run_options(project: Project, name: str) -> list[str]:
    service = project.config["services"][name]
    options = [
        "--detach",
        "--name",
        project.container(name),
        "--label",
        f"{LABEL}={project.name}",
        "--label",
        f"com.docker.compose.service={name}",
        "--network",
        project.network,
        "--network-alias",
        name,
        "--restart",
        str(service.get("restart", "no")),
    ]
    networks = service.get("networks") or {}
    if set(networks) - {"default"}:
        raise ComposeError(f"{name}: seul le réseau default / only the default network")
    address = (networks.get("default") or {}).get("ipv4_address")
    if address:
        options += ["--ip", address]
    environment: dict[str, str] = {}
    env_files = service.get("env_file") or []
    for entry in [env_files] if isinstance(env_files, str | dict) else env_files:
        path, required = (
            (entry, True)
            if isinstance(entry, str)
            else (
                entry["path"],
                entry.get("required", True),
            )
        )
        file = project.directory / path
        if file.is_file():
            environment.update(read_env_file(file))
        elif required:
            raise ComposeError(f"{name}: fichier absent / missing env_file {file}")
    environment.update(
        {k: "" if v is None else str(v) for k, v in service.get("environment", {}).items()}
    )
    for key, value in environment.items():
        options += ["--env", f"{key}={value}"]
    for port in service.get("ports", []):
        options += ["--publish", str(port)]
    for volume in service.get("volumes", []):
        source, _, target = str(volume).partition(":")
        if source.startswith((".", "/")):
            source = str((project.directory / source).resolve())
        else:
            source = f"{project.name}_{source}"
        options += ["--volume", f"{source}:{target}"]
    options += healthcheck_options(service.get("healthcheck"))
    return options


def image_of(project: Project, name: str) -> str:
    return project.config["services"][name].get("image") or f"{project.name}-{name}"


def build(project: Project, names: list[str], always: bool) -> None:
    built: set[str] = set()
    for name in names:
        spec = project.config["services"][name].get("build")
        image = image_of(project, name)
        if spec is None or image in built:
            continue
        if not always and podman("image", "exists", image, check=False).returncode == 0:
            continue
        spec = {"context": spec} if isinstance(spec, str) else spec
        context = (project.directory / spec.get("context", ".")).resolve()
        arguments = [
            "build",
            "--tag",
            image,
            "--file",
            str(context / spec.get("dockerfile", "Dockerfile")),
        ]
        for key, value in (spec.get("args") or {}).items():
            arguments += ["--build-arg", f"{key}={value}"]
        print(f"== build {image} ({name})", flush=True)
        previous = image_id(image)
        if podman(*arguments, str(context), check=False, quiet=False).returncode != 0:
            raise ComposeError(f"{name}: la construction de {image} a échoué / build failed")
        if previous and previous != image_id(image):
            # The image this build replaces, so that upgrades do not fill the disk; kept while
            # a container still uses it.
            podman("rmi", previous, check=False)
        built.add(image)


def image_id(image: str) -> str:
    result = podman("image", "inspect", "--format", "{{.Id}}", image, check=False)
    return result.stdout.strip() if result.returncode == 0 else ""


def state(project: Project, name: str) -> dict[str, Any]:
    result = podman("inspect", "--format", "{{json .State}}", project.container(name), check=False)
    return json.loads(result.stdout) if result.returncode == 0 else {}


def has_healthcheck(service: dict[str, Any]) -> bool:
    return healthcheck_options(service.get("healthcheck")) not in ([], ["--no-healthcheck"])


def health_check(project: Project, name: str) -> str:
    """Runs the service's healthcheck once: "healthy", "unhealthy", "exited" or "running"."""
    if state(project, name).get("Status") != "running":
        return "exited"
    if not has_healthcheck(project.config["services"][name]):
        return "running"
    result = podman("healthcheck", "run", project.container(name), check=False)
    return "healthy" if result.returncode == 0 else "unhealthy"


def condition_met(project: Project, name: str, condition: str) -> bool:
    """Whether `name` is as `condition` says; ComposeError when it never will be."""
    current = state(project, name)
    if condition == "service_completed_successfully":
        if current.get("Status") != "exited":
            return False
        if current.get("ExitCode") != 0:
            code = current.get("ExitCode")
            raise ComposeError(f"{name} a échoué / failed (code {code}){tail_logs(project, name)}")
        return True
    if current.get("Status") == "exited":
        raise ComposeError(f"{name} s'est arrêté / exited{tail_logs(project, name)}")
    if condition == "service_started":
        return current.get("Status") == "running"
    if condition == "service_healthy":
        return health_check(project, name) == "healthy"
    raise ComposeError(f"condition inconnue / unknown condition: {condition}")


def tail_logs(project: Project, name: str) -> str:
    result = podman("logs", "--tail", "20", project.container(name), check=False)
    return "\n" + (result.stdout + result.stderr).strip()


def wait_for(project: Project, name: str, condition: str, deadline: float) -> None:
    while not condition_met(project, name, condition):
        if time.monotonic() > deadline:
            raise ComposeError(f"délai dépassé / timed out: {name} ({condition})")
        time.sleep(1)


def up(project: Project, names: list[str], timeout: float) -> None:
    """Starts each service once its dependencies are as they require, then waits for all."""
    if podman("network", "exists", project.network, check=False).returncode != 0:
        options = ["--label", f"{LABEL}={project.name}"]
        default = (project.config.get("networks") or {}).get("default") or {}
        for entry in (default.get("ipam") or {}).get("config", []):
            options += ["--subnet", entry["subnet"]]
            if "ip_range" in entry:
                options += ["--ip-range", entry["ip_range"]]
            if "gateway" in entry:
                options += ["--gateway", entry["gateway"]]
        podman("network", "create", *options, project.network)
    for volume in project.config.get("volumes") or {}:
        full = f"{project.name}_{volume}"
        if podman("volume", "exists", full, check=False).returncode != 0:
            podman("volume", "create", "--label", f"{LABEL}={project.name}", full)
    deadline = time.monotonic() + timeout
    services = project.config["services"]
    for name in names:
        for dependency, condition in dependencies(services[name]).items():
            wait_for(project, dependency, condition, deadline)
        podman("rm", "--force", "--time", "10", project.container(name), check=False)
        print(f"== start {name}", flush=True)
        podman(
            "run", *run_options(project, name), image_of(project, name), *command_of(services[name])
        )
    for name in names:
        service = services[name]
        if service.get("restart") == "no":
            condition = "service_completed_successfully"
        else:
            condition = "service_healthy" if has_healthcheck(service) else "service_started"
        wait_for(project, name, condition, deadline)
        print(f"{name:<14} {condition.removeprefix('service_')}", flush=True)


def command_of(service: dict[str, Any]) -> list[str]:
    command = service.get("command") or []
    return command.split() if isinstance(command, str) else [str(word) for word in command]


def down(project_name: str, volumes: bool) -> None:
    label = f"label={LABEL}={project_name}"
    # Newest first: a service stops before what it depends on (as `up` started them).
    containers = podman("ps", "--all", "--quiet", "--sort", "created", "--filter", label)
    for container in reversed(containers.stdout.split()):
        podman("rm", "--force", "--time", "10", container, check=False)
    for network in podman("network", "ls", "--quiet", "--filter", label).stdout.split():
        podman("network", "rm", network, check=False)
    if volumes:
        for volume in podman("volume", "ls", "--quiet", "--filter", label).stdout.split():
            podman("volume", "rm", "--force", volume, check=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-f", "--file", action="append", type=Path, help="compose.yaml d'abord")
    parser.add_argument("-p", "--project-name")
    parser.add_argument("--profile", action="append", default=[])
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("up", help="construit, démarre, attend que tout soit sain")
    start.add_argument("--build", action="store_true", help="reconstruit les images")
    start.add_argument("--timeout", type=float, default=600)
    start.add_argument("service", nargs="*")
    commands.add_parser("config", help="affiche la configuration résolue")
    stop = commands.add_parser("down", help="arrête et supprime les conteneurs et le réseau")
    stop.add_argument("--volumes", action="store_true", help="supprime aussi les données")
    args = parser.parse_args(argv)
    files = args.file or [HERE / "compose.yaml"]
    profiles = set(args.profile) | set(
        filter(None, os.environ.get("COMPOSE_PROFILES", "").split(","))
    )
    try:
        if args.command == "down":
            name = args.project_name or os.environ.get("COMPOSE_PROJECT_NAME")
            down(name or yaml.safe_load(files[0].read_text()).get("name"), args.volumes)
            return 0
        project = load(files, args.project_name)
        if args.command == "config":
            print(yaml.safe_dump(project.config, sort_keys=False, allow_unicode=True))
            return 0
        names = project.services(args.service, profiles)
        build(project, names, args.build)
        up(project, names, args.timeout)
    except ComposeError as error:
        print(f"erreur / error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
