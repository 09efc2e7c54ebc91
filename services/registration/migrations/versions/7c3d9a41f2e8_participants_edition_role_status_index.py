"""participants: index on edition, role and status

Revision ID: 7c3d9a41f2e8
Revises: 501bf612d48b
Create Date: 2026-12-01 00:45:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = '7c3d9a41f2e8'
down_revision: str | None = '501bf612d48b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        'ix_participants_edition_role_status',
        'participants',
        ['edition_id', 'role', 'status'],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index('ix_participants_edition_role_status', table_name='participants')
