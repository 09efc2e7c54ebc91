"""the free-text answers quoted in the report

Revision ID: a4c7e9d2b816
Revises: 7d41c0b2e9a3
Create Date: 2026-12-03 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = 'a4c7e9d2b816'
down_revision: str | None = '7d41c0b2e9a3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'quotes',
        sa.Column('response_id', sa.String(length=36), nullable=False),
        sa.Column('question_id', sa.String(length=100), nullable=False),
        sa.Column('survey_id', sa.String(length=36), nullable=False),
        sa.Column('selected_at', shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['response_id'], ['responses.response_id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['survey_id'], ['surveys.survey_id']),
        sa.PrimaryKeyConstraint('response_id', 'question_id'),
    )
    op.create_index(op.f('ix_quotes_survey_id'), 'quotes', ['survey_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_quotes_survey_id'), table_name='quotes')
    op.drop_table('quotes')
