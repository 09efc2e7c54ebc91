"""admins: disabled_at

Revision ID: 3f1b2c7d9e4a
Revises: 7c3d9a41f2e8
Create Date: 2026-12-02 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = '3f1b2c7d9e4a'
down_revision: str | None = '7c3d9a41f2e8'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('admins') as batch:
        batch.add_column(sa.Column('disabled_at', shared.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('admins') as batch:
        batch.drop_column('disabled_at')
