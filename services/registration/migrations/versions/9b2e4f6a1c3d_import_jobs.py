"""import_jobs

Revision ID: 9b2e4f6a1c3d
Revises: b83e5f0a2c61
Create Date: 2026-12-03 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = '9b2e4f6a1c3d'
down_revision: str | None = 'b83e5f0a2c61'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'import_jobs',
        sa.Column('job_id', sa.String(length=32), nullable=False),
        sa.Column('edition_id', sa.String(length=40), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('dry_run', sa.Boolean(), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=True),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('rows_read', sa.Integer(), nullable=False),
        sa.Column('rows_total', sa.Integer(), nullable=True),
        sa.Column('errors_count', sa.Integer(), nullable=False),
        sa.Column('result', sa.JSON(), nullable=True),
        sa.Column('owner', sa.String(length=100), nullable=True),
        sa.Column('heartbeat_at', shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('created_at', shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('started_at', shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('finished_at', shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('job_id'),
    )
    op.create_index('ix_import_jobs_created_at', 'import_jobs', ['created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_import_jobs_created_at', table_name='import_jobs')
    op.drop_table('import_jobs')
