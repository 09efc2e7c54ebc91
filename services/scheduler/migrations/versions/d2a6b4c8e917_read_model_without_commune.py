"""participants read model: no commune (the planning never used it; events carry a code now)

Revision ID: d2a6b4c8e917
Revises: 5c2d7e91a4b3
Create Date: 2026-12-03 15:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'd2a6b4c8e917'
down_revision: str | None = '5c2d7e91a4b3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('participants') as batch:
        batch.drop_column('commune')


def downgrade() -> None:
    op.add_column('participants', sa.Column('commune', sa.String(length=100), nullable=True))
