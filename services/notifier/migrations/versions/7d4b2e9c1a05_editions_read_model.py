"""editions read model

Revision ID: 7d4b2e9c1a05
Revises: ec59eb0b47be
Create Date: 2026-12-02 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "7d4b2e9c1a05"
down_revision: str | None = "ec59eb0b47be"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "editions",
        sa.Column("edition_id", sa.String(length=40), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.Column("updated_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("edition_id"),
    )


def downgrade() -> None:
    op.drop_table("editions")
