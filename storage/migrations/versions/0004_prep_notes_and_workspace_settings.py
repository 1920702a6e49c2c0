"""pre-meeting prep notes on referrals, and workspace settings (fiscal year)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prep_notes', sa.Text(), nullable=True))
    op.create_table('workspace_setting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('enterprise_id', sa.String(length=32), nullable=True),
    sa.Column('fiscal_year_start_month', sa.Integer(), nullable=False, server_default='1'),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('team_id', name='uq_workspace_setting')
    )


def downgrade() -> None:
    op.drop_table('workspace_setting')
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_column('prep_notes')
