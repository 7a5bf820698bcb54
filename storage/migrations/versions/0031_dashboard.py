"""dashboard: covering indexes for the dashboard's counts; residents' photos kept with their ticket

Revision ID: 0031
Revises: 0021
Create Date: 2026-12-01 21:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0031'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SINGLE = ('status', 'created_at', 'accepted_at', 'resolved_at', 'due_at')
_COVERING = {
    'ix_ticket_status_due': ['status', 'urgent', 'overdue', 'due_at'],
    'ix_ticket_created_status': ['created_at', 'status'],
    'ix_ticket_accepted_status': ['accepted_at', 'status'],
    'ix_ticket_resolved_status': ['resolved_at', 'status'],
    'ix_ticket_due_status': ['due_at', 'status', 'resolved_at'],
}


def upgrade() -> None:
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        for name, columns in _COVERING.items():
            batch_op.create_index(name, columns, unique=False)
        for column in _SINGLE:
            batch_op.drop_index(batch_op.f(f'ix_ticket_{column}'))
    # Tickets already indexed are indexed again with their 附议 texts on the next search.
    with op.batch_alter_table('ticketsearch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('endorsed_upto', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('ticketsearch', schema=None) as batch_op:
        batch_op.drop_column('endorsed_upto')
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        for column in _SINGLE:
            batch_op.create_index(batch_op.f(f'ix_ticket_{column}'), [column], unique=False)
        for name in _COVERING:
            batch_op.drop_index(name)
