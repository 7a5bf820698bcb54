"""tickets name their building and the ticket they were merged into

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-01 18:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.add_column(sa.Column('building', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_ticket_merged_into_id_ticket', 'ticket', ['merged_into_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_constraint('fk_ticket_merged_into_id_ticket', type_='foreignkey')
        batch_op.drop_column('merged_into_id')
        batch_op.drop_column('building')
