"""problem key: 附议 candidates found by an index on (courtyard, problem key, filed at), not by a scan

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-01 21:10:00

Tickets filed before this revision keep NULL keys: the candidate query takes them as they are and
the full comparison decides, so nothing filed in the last 7 days is missed after the upgrade.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0032'
down_revision: str | None = '0031'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('ticket', sa.Column('problem_key', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
    op.add_column(
        'ticket', sa.Column('problem_key_bare', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
    )
    op.add_column('ticket', sa.Column('building_no', sa.Integer(), nullable=True))
    op.add_column('ticket', sa.Column('unit_no', sa.Integer(), nullable=True))
    op.create_index('ix_ticket_problem', 'ticket', ['courtyard_id', 'problem_key', 'created_at'], unique=False)
    op.create_index(
        'ix_ticket_problem_bare', 'ticket', ['courtyard_id', 'problem_key_bare', 'created_at'], unique=False
    )


def downgrade() -> None:
    op.drop_index('ix_ticket_problem_bare', table_name='ticket')
    op.drop_index('ix_ticket_problem', table_name='ticket')
    with op.batch_alter_table('ticket') as batch:  # SQLite drops columns by copying the table
        batch.drop_column('unit_no')
        batch.drop_column('building_no')
        batch.drop_column('problem_key_bare')
        batch.drop_column('problem_key')
