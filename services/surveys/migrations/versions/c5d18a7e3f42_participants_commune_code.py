"""participants read model: the commune's INSEE code instead of the text typed

Revision ID: c5d18a7e3f42
Revises: a4c7e9d2b816
Create Date: 2026-12-03 15:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.communes import code_for, label

revision: str = 'c5d18a7e3f42'
down_revision: str | None = 'a4c7e9d2b816'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

participants = sa.table(
    'participants',
    sa.column('participant_id', sa.String),
    sa.column('commune', sa.String),
    sa.column('commune_code', sa.String),
)


def _convert(source: str, target: str, convert) -> None:  # type: ignore[no-untyped-def]
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(participants.c.participant_id, participants.c[source]).where(
            participants.c[source].is_not(None)
        )
    ).all()
    for pid, value in rows:
        bind.execute(
            participants.update()
            .where(participants.c.participant_id == pid)
            .values({target: convert(value)})
        )


def upgrade() -> None:
    # Past reports keep their figures: each commune typed becomes its code (or « autre »).
    op.add_column('participants', sa.Column('commune_code', sa.String(length=5), nullable=True))
    _convert('commune', 'commune_code', code_for)
    with op.batch_alter_table('participants') as batch:
        batch.drop_column('commune')


def downgrade() -> None:
    op.add_column('participants', sa.Column('commune', sa.String(length=100), nullable=True))
    _convert('commune_code', 'commune', label)
    with op.batch_alter_table('participants') as batch:
        batch.drop_column('commune_code')
