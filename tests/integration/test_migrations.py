"""Each service's migrations build exactly the tables its code declares, on SQLite and on
PostgreSQL: a table, column or index added to the code without its migration fails here."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from shared.db import EDITION_ID_LENGTH, make_engine
from shared.migrations import upgrade

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("service", ["registration", "scheduler", "notifier", "surveys"])
def test_migrations_match_the_declared_tables(service: str, database_url: str):
    upgrade(ROOT / "services" / service, database_url)
    metadata = importlib.import_module(f"services.{service}.adapters.db").metadata
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    finally:
        engine.dispose()


@pytest.mark.parametrize("service", ["registration", "scheduler", "notifier", "surveys"])
def test_every_edition_id_column_has_the_one_length(service: str, database_url: str):
    upgrade(ROOT / "services" / service, database_url)
    engine = make_engine(database_url)
    try:
        inspector = inspect(engine)
        columns = [
            column
            for table in inspector.get_table_names()
            for column in inspector.get_columns(table)
            if column["name"] == "edition_id"
        ]
    finally:
        engine.dispose()
    assert columns and {c["type"].length for c in columns} == {EDITION_ID_LENGTH}
