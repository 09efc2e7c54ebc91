"""Alembic environment of the notifier service."""

from services.notifier.adapters.db import metadata
from shared.migrations import run_migrations

run_migrations(metadata)
