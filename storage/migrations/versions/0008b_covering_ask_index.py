"""the digest tick counts its asks from the (workspace, rep, date) index alone: enterprise_id joins the index

Every grouped read of asks filters by workspace (team_id and enterprise_id), rep and date; without
enterprise_id in the index, each ask read was also looked up in the table. The index is replaced rather than
another added, so logging an ask maintains the same number of indexes as before.

Revision ID: 0008b
Revises: 0008a
Create Date: 2026-12-01
"""
from alembic import op

revision = '0008b'
down_revision = '0008a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_ask_rep_date', table_name='ask')
    op.create_index('ix_ask_rep_date', 'ask', ['team_id', 'rep_user_id', 'asked_on', 'enterprise_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_ask_rep_date', table_name='ask')
    op.create_index('ix_ask_rep_date', 'ask', ['team_id', 'rep_user_id', 'asked_on'], unique=False)
