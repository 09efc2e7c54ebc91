"""Alembic environment of the surveys service."""

from services.surveys.adapters.db import metadata
from shared.migrations import run_migrations

run_migrations(metadata)
