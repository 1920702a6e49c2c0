"""ticks at scale: delivery leases and per-part progress, deactivated profiles, indexes for set-based ticks

Revision ID: 0006b
Revises: 0005
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = '0006b'
down_revision = '0006c'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('delivery') as batch:
        # A claim is good until lease_until; after that another process may take the delivery over.
        batch.add_column(sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True))
        # How many parts of a multi-part message are already in Slack: a retry resumes after them.
        batch.add_column(sa.Column('parts_sent', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('user_profile') as batch:
        batch.add_column(sa.Column('deleted', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_index('ix_team_member_role_user', 'team_member', ['team_id', 'role', 'user_id'])
    op.create_index('ix_referral_meeting_on', 'referral', ['team_id', 'meeting_on'])
    op.create_index('ix_delivery_lease', 'delivery', ['status', 'lease_until'])


def downgrade() -> None:
    op.drop_index('ix_delivery_lease', table_name='delivery')
    op.drop_index('ix_referral_meeting_on', table_name='referral')
    op.drop_index('ix_team_member_role_user', table_name='team_member')
    with op.batch_alter_table('user_profile') as batch:
        batch.drop_column('deleted')
    with op.batch_alter_table('delivery') as batch:
        batch.drop_column('parts_sent')
        batch.drop_column('lease_until')
