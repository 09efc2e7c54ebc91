"""Tables of the registration service, in its own database."""

from __future__ import annotations

from sqlalchemy import MetaData

from shared.db import bus_tables

metadata = MetaData()
outbox_table, processed_table = bus_tables(metadata)
