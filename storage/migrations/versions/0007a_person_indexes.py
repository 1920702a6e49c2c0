"""the connector heads-up finds one person's recent asks by index, whatever the team's size

Revision ID: 0007a
Revises: 0006a
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = '0007a'
down_revision = '0006a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_ask_person_user', 'ask', ['team_id', 'asked_user_id', 'asked_on'], unique=False)
    op.create_index('ix_ask_person_name', 'ask', ['team_id', sa.text('lower(asked_name)'), 'asked_on'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_ask_person_name', table_name='ask')
    op.drop_index('ix_ask_person_user', table_name='ask')
