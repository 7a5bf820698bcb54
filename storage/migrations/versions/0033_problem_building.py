"""problem building: 附议 candidates found by a seek on (courtyard, problem key, building, filed at)

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-02 03:20:00

The building number joins the candidate indexes before the filing time: a report naming a building
reads only that building's tickets and those naming none, not every ticket of the courtyard with the
same problem key.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0033'
down_revision: str | None = '0032'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index('ix_ticket_problem_bare', table_name='ticket')
    op.drop_index('ix_ticket_problem', table_name='ticket')
    op.create_index(
        'ix_ticket_problem_building',
        'ticket',
        ['courtyard_id', 'problem_key', 'building_no', 'created_at'],
        unique=False,
    )
    op.create_index(
        'ix_ticket_problem_bare_building',
        'ticket',
        ['courtyard_id', 'problem_key_bare', 'building_no', 'created_at'],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index('ix_ticket_problem_bare_building', table_name='ticket')
    op.drop_index('ix_ticket_problem_building', table_name='ticket')
    op.create_index(
        'ix_ticket_problem_bare', 'ticket', ['courtyard_id', 'problem_key_bare', 'created_at'], unique=False
    )
    op.create_index('ix_ticket_problem', 'ticket', ['courtyard_id', 'problem_key', 'created_at'], unique=False)
