"""Alembic environment of the scheduler service."""

from services.scheduler.adapters.db import metadata
from shared.migrations import run_migrations

run_migrations(metadata)
