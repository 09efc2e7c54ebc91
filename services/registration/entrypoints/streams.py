"""Events the registration service consumes, each handled in one transaction with its dedupe row."""

from __future__ import annotations

from shared.service import ServiceKit


def subscribe(kit: ServiceKit) -> None:
    """Register the service's handlers on its consumer group (none yet)."""
    del kit
