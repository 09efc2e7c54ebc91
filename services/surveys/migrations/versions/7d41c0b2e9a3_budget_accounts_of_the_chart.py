"""budget lines on the chart of accounts of associations: the grant is account 74, rent 613 is
the only line of chapter 61

Revision ID: 7d41c0b2e9a3
Revises: 5c2e8a1f7b90
Create Date: 2026-12-03 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '7d41c0b2e9a3'
down_revision: str | None = '5c2e8a1f7b90'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

actuals = sa.table(
    'budget_actuals',
    sa.column('edition_id', sa.String),
    sa.column('line', sa.String),
    sa.column('amount_cents', sa.Integer),
    sa.column('updated_at', sa.DateTime),
)


def _move(old: str, new: str) -> None:
    """Amounts of line `old` go to line `new`, added to what `new` already holds."""
    bind = op.get_bind()
    rows = bind.execute(sa.select(actuals).where(actuals.c.line == old)).all()
    for row in rows:
        held = bind.execute(
            sa.select(actuals.c.amount_cents).where(
                actuals.c.edition_id == row.edition_id, actuals.c.line == new
            )
        ).scalar()
        if held is None:
            bind.execute(
                actuals.insert().values(
                    edition_id=row.edition_id,
                    line=new,
                    amount_cents=row.amount_cents,
                    updated_at=row.updated_at,
                )
            )
        else:
            bind.execute(
                actuals.update()
                .where(actuals.c.edition_id == row.edition_id, actuals.c.line == new)
                .values(amount_cents=held + row.amount_cents)
            )
    bind.execute(actuals.delete().where(actuals.c.line == old))


def upgrade() -> None:
    # Chapter 61's totals stay the same: its two lines become one.
    _move('61', '613')
    _move('70', '74')


def downgrade() -> None:
    _move('74', '70')
