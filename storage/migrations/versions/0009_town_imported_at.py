"""town imported_at: digests never cover time before the system existed

Revision ID: 0009
Revises: 0004
Create Date: 2026-12-01 18:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('town', schema=None) as batch_op:
        batch_op.add_column(sa.Column('imported_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('town', schema=None) as batch_op:
        batch_op.drop_column('imported_at')
