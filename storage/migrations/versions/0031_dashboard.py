"""dashboard: covering indexes for the dashboard's counts; 附议 words in the search index; residents' photos kept with their ticket

Revision ID: 0031
Revises: 0021
Create Date: 2026-12-01 21:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
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


    op.create_table('ticketphoto',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('media_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('pic_url', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('data', sa.LargeBinary(), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ticketphoto', schema=None) as batch_op:
        batch_op.create_index('ix_ticketphoto_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_ticketphoto_ticket_id'), ['ticket_id'], unique=False)


def downgrade() -> None:
    op.drop_table('ticketphoto')
    with op.batch_alter_table('ticketsearch', schema=None) as batch_op:
        batch_op.drop_column('endorsed_upto')
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        for column in _SINGLE:
            batch_op.create_index(batch_op.f(f'ix_ticket_{column}'), [column], unique=False)
        for name in _COVERING:
            batch_op.drop_index(name)
