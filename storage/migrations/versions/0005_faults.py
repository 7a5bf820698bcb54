"""faults: outbox leases on the database clock, signed requests seen, wrong 绑定 codes

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 17:56:39.823441
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('bindfailure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('openid', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('bindfailure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bindfailure_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_bindfailure_openid'), ['openid'], unique=False)

    op.create_table('signedrequest',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('body_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('signedrequest', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signedrequest_seen_at'), ['seen_at'], unique=False)

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('unknown_fate', sa.Integer(), nullable=False, server_default='0'))



def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('unknown_fate')
        batch_op.drop_column('lease_until')

    with op.batch_alter_table('signedrequest', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signedrequest_seen_at'))

    op.drop_table('signedrequest')
    with op.batch_alter_table('bindfailure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bindfailure_openid'))
        batch_op.drop_index(batch_op.f('ix_bindfailure_at'))

    op.drop_table('bindfailure')
