"""access token: one WeChat access token shared by every process, fetched under a claim

Revision ID: 0021
Revises: 0011
Create Date: 2026-12-01 19:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0021'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('accesstoken',
    sa.Column('app_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('value', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('refreshing_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('refreshing_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('app_id')
    )


def downgrade() -> None:
    op.drop_table('accesstoken')
