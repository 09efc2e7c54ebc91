"""edition ids of 40 characters, as in the other services

Revision ID: 5c2e8a1f7b90
Revises: 098f9860c30c
Create Date: 2026-12-02 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '5c2e8a1f7b90'
down_revision: str | None = '098f9860c30c'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    'budget_actuals', 'closed_sessions', 'due_jobs', 'editions', 'meetings', 'participants',
    'surveys',
)


def _resize(old: int, new: int) -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                'edition_id',
                existing_type=sa.String(length=old),
                type_=sa.String(length=new),
                existing_nullable=False,
            )


def upgrade() -> None:
    _resize(20, 40)


def downgrade() -> None:
    _resize(40, 20)
