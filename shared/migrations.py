"""Alembic, one history per service: each service keeps its own `migrations/` folder."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData

from shared.db import normalise_url


def alembic_config(service_package_dir: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(service_package_dir / "migrations"))
    config.set_main_option("sqlalchemy.url", normalise_url(database_url).replace("%", "%%"))
    return config


def upgrade(service_package_dir: Path, database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(service_package_dir, database_url), revision)


def run_migrations(target_metadata: MetaData) -> None:
    """The body of every service's `migrations/env.py` (online mode; SQLite needs batch mode)."""
    from alembic import context

    from shared.db import make_engine

    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is set by alembic_config()"
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
