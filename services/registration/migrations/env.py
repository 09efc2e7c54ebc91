"""Alembic environment of the registration service."""

from services.registration.adapters.db import metadata
from shared.migrations import run_migrations

run_migrations(metadata)
