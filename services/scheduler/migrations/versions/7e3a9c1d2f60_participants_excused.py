"""participants.excused: someone marked absent who told the team they would not come

Revision ID: 7e3a9c1d2f60
Revises: d2a6b4c8e917
Create Date: 2026-12-03 15:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '7e3a9c1d2f60'
down_revision: str | None = 'd2a6b4c8e917'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('participants') as batch:
        batch.add_column(
            sa.Column('excused', sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table('participants') as batch:
        batch.drop_column('excused')
