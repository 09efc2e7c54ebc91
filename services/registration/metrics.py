"""Metrics of registration: roles, sources and outcomes only, never who registered."""

from __future__ import annotations

from prometheus_client import Counter

from shared.events import Role

SOURCES = ("formulaire", "sur-place", "import")

REGISTRATIONS = Counter(
    "rencontres_registrations_total",
    "New registrations, by role and source (formulaire, sur-place, import)",
    ["role", "source"],
)
CHECK_INS = Counter(
    "rencontres_check_ins_total",
    "Changes of presence at the welcome desk, by role and change (arrived, undone)",
    ["role", "change"],
)

# Every known series from the start, at 0: dashboards and alerts see them before the first use.
for _role in Role:
    for _source in SOURCES:
        REGISTRATIONS.labels(_role.value, _source)
    for _change in ("arrived", "undone"):
        CHECK_INS.labels(_role.value, _change)
