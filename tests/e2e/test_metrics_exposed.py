"""Every metric a dashboard or an alert reads is exposed by some process of the real stack.

A name that no process exposes draws an empty panel or an alert that can never fire: this
catches a renamed metric, a typo, or a labelled series that only appears after its first use
(those are initialised at 0 when the process starts).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from tests.e2e.conftest import Stack, holder_form, register_holder
from tests.support.servers import wait_until

ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r"\brencontres_[a-z_]+")


def used_names() -> dict[str, set[str]]:
    """Each metric name read by a dashboard panel or an alert rule, and where."""
    used: dict[str, set[str]] = {}
    for path in sorted((ROOT / "deploy" / "grafana" / "dashboards").glob("*.json")):
        for panel in json.loads(path.read_text())["panels"]:
            for target in panel["targets"]:
                for name in NAME.findall(target["expr"]):
                    used.setdefault(name, set()).add(f"{path.name}: {panel['title']}")
    alerts = yaml.safe_load((ROOT / "deploy" / "prometheus" / "alerts.yml").read_text())
    for group in alerts["groups"]:
        for rule in group["rules"]:
            for name in NAME.findall(rule["expr"]):
                used.setdefault(name, set()).add(f"alerts.yml: {rule['alert']}")
    return used


def exposed_names(page: str) -> set[str]:
    """Sample names (with their _bucket, _sum, _count, _total) and family names of a page."""
    names = set()
    for line in page.splitlines():
        if line.startswith("# TYPE "):
            names.add(line.split()[2])
        elif line and not line.startswith("#"):
            names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    return names


def test_every_name_the_dashboards_and_alerts_use_is_exposed(stack: Stack):
    used = used_names()
    assert len(used) > 15, sorted(used)
    form = holder_form()
    register_holder(stack, form)
    # The flow crosses the bus: registration publishes, the notifier consumes and sends.
    wait_until(lambda: stack.emails_to(form["email"]), timeout=60, what="the confirmation email")

    def missing() -> dict[str, set[str]]:
        exposed: set[str] = set()
        for page in stack.metrics().values():
            exposed |= exposed_names(page)
        # Compared with the sample names, not only the families: a labelled histogram
        # declared but never given a series shows its # TYPE line and no _bucket to read.
        return {name: where for name, where in used.items() if name not in exposed}

    # Gauges refreshed by periodic loops (pending messages, outbox backlog) appear in seconds.
    try:
        wait_until(lambda: not missing(), timeout=30, interval=1, what="every metric exposed")
    except AssertionError:
        still = missing()
        assert not still, f"used by a dashboard or an alert, exposed by no process: {still}"
