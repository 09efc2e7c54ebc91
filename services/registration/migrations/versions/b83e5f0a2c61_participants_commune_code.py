"""participants: the commune's INSEE code beside the text typed; erased rows keep only the code

Revision ID: b83e5f0a2c61
Revises: 3f1b2c7d9e4a
Create Date: 2026-12-03 15:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.communes import code_for

revision: str = 'b83e5f0a2c61'
down_revision: str | None = '3f1b2c7d9e4a'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

participants = sa.table(
    'participants',
    sa.column('participant_id', sa.String),
    sa.column('commune', sa.String),
    sa.column('commune_code', sa.String),
    sa.column('erased_at', sa.DateTime),
)


def upgrade() -> None:
    op.add_column('participants', sa.Column('commune_code', sa.String(length=5), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(participants.c.participant_id, participants.c.commune).where(
            participants.c.commune.is_not(None)
        )
    ).all()
    for row in rows:
        bind.execute(
            participants.update()
            .where(participants.c.participant_id == row.participant_id)
            .values(commune_code=code_for(row.commune))
        )
    # An erased person's commune was kept as typed: only its code may stay.
    bind.execute(
        participants.update().where(participants.c.erased_at.is_not(None)).values(commune=None)
    )


def downgrade() -> None:
    with op.batch_alter_table('participants') as batch:
        batch.drop_column('commune_code')
