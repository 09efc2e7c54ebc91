"""Debian's Prometheus scrapes the platform `rencontres up` runs, with deploy/prometheus's job
and alert rules: every process is up, every series a dashboard panel or an alert rule selects
has samples, every rule evaluates, and every panel's expression runs.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.e2e.conftest import PORTS, Stack, holder_form, register_holder
from tests.support.servers import free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
DASHBOARDS = sorted((ROOT / "deploy" / "grafana" / "dashboards").glob("*.json"))
# A metric of ours with its label matchers, as an expression selects it.
SELECTOR = re.compile(r"\brencontres_[a-z_]+(?:\{[^}]*\})?")
# Series that appear with the first server error only (their panels show no data until then):
# checked by name.
ON_FIRST_ERROR = {'rencontres_http_requests_total{status="5xx"}'}

pytestmark = pytest.mark.skipif(
    shutil.which("prometheus") is None, reason="prometheus (Debian's package) absent"
)


def panel_expressions() -> list[str]:
    return [
        target["expr"]
        for path in DASHBOARDS
        for panel in json.loads(path.read_text())["panels"]
        for target in panel["targets"]
    ]


def alert_expressions() -> list[str]:
    rules = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
    return [rule["expr"] for group in rules["groups"] for rule in group["rules"]]


@pytest.fixture(scope="module")
def prometheus(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """deploy/prometheus/prometheus.yml with the stack's addresses, scraping every second."""
    folder = tmp_path_factory.mktemp("prometheus")
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    config["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s"}
    (job,) = config["scrape_configs"]
    deployed = {t for sc in job["static_configs"] for t in sc["targets"]}
    assert {t.split(":")[0] for t in deployed} == set(PORTS)
    job["static_configs"] = [{"targets": [f"127.0.0.1:{port}" for port in stack.ports.values()]}]
    (folder / "prometheus.yml").write_text(yaml.safe_dump(config))
    shutil.copy(PROMETHEUS / "alerts.yml", folder / "alerts.yml")
    url = f"http://127.0.0.1:{free_port()}"
    log = open(folder / "prometheus.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [
            "prometheus",
            f"--config.file={folder / 'prometheus.yml'}",
            f"--storage.tsdb.path={folder / 'data'}",
            f"--web.listen-address={url.removeprefix('http://')}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until(lambda: _ready(url), timeout=30, interval=0.2, what="Prometheus to be ready")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/-/ready", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def query(url: str, expression: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{url}/api/v1/query", params={"query": expression}, timeout=10).json()
    assert answer["status"] == "success", (expression, answer)
    return answer["data"]["result"]


def test_prometheus_scrapes_every_process_and_every_series_used_has_samples(
    stack: Stack, prometheus: str
):
    form = holder_form()
    register_holder(stack, form)
    wait_until(lambda: stack.emails_to(form["email"]), timeout=60, what="the confirmation email")
    assert httpx.get(stack.url("registration", "/inscription/absente/porteur")).status_code == 404

    def targets_up() -> bool:
        targets = httpx.get(f"{prometheus}/api/v1/targets", timeout=5).json()["data"]
        health = [t["health"] for t in targets["activeTargets"]]
        return len(health) == len(PORTS) and set(health) == {"up"}

    wait_until(targets_up, timeout=30, interval=1, what="every process scraped")
    up = query(prometheus, 'up{job="rencontres"}')
    assert sorted(float(s["value"][1]) for s in up) == [1.0] * len(PORTS)

    selected = {s for e in panel_expressions() + alert_expressions() for s in SELECTOR.findall(e)}
    selected = {s.split("{")[0] if s in ON_FIRST_ERROR else s for s in selected}
    assert len(selected) > 15, sorted(selected)

    def without_samples() -> list[str]:
        return [s for s in sorted(selected) if not query(prometheus, f"count({s})")]

    # Gauges refreshed by periodic loops (pending messages, outbox backlog) come within seconds.
    try:
        wait_until(lambda: not without_samples(), timeout=30, interval=1, what="samples")
    except AssertionError:
        assert not without_samples(), "selected by a dashboard or an alert, never scraped"

    # Every panel's expression runs on the scraped data (Grafana's $__range is a duration).
    for expression in panel_expressions():
        query(prometheus, expression.replace("$__range", "1h"))


def test_every_alert_rule_is_loaded_and_evaluates(prometheus: str):
    def rules() -> list[dict[str, Any]]:
        data = httpx.get(f"{prometheus}/api/v1/rules", timeout=5).json()["data"]
        return [rule for group in data["groups"] for rule in group["rules"]]

    wait_until(
        lambda: all(rule.get("lastEvaluation", "").startswith("2") for rule in rules()),
        timeout=30,
        interval=1,
        what="every rule evaluated",
    )
    loaded = {rule["name"]: rule for rule in rules()}
    assert set(loaded) == {
        rule["alert"]
        for group in yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"]
        for rule in group["rules"]
    }
    for name, rule in loaded.items():
        assert rule["health"] == "ok", (name, rule.get("lastError"))
        # A platform just started and working fires nothing.
        assert rule["state"] == "inactive", (name, rule["alerts"])
