"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('ask',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('enterprise_id', sa.String(length=32), nullable=True),
    sa.Column('rep_user_id', sa.String(length=32), nullable=False),
    sa.Column('asked_user_id', sa.String(length=32), nullable=True),
    sa.Column('asked_name', sa.String(length=200), nullable=False),
    sa.Column('for_whom', sa.String(length=300), nullable=True),
    sa.Column('asked_on', sa.Date(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('outcome_on', sa.Date(), nullable=True),
    sa.Column('dedupe_key', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('team_id', 'rep_user_id', 'dedupe_key', name='uq_ask_dedupe')
    )
    with op.batch_alter_table('ask', schema=None) as batch_op:
        batch_op.create_index('ix_ask_rep_date', ['team_id', 'rep_user_id', 'asked_on'], unique=False)

    op.create_table('user_profile',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('enterprise_id', sa.String(length=32), nullable=True),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=True),
    sa.Column('is_admin', sa.Boolean(), nullable=False),
    sa.Column('real_name', sa.String(length=200), nullable=True),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('team_id', 'user_id', name='uq_user_profile_user')
    )
    op.create_table('referral',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('enterprise_id', sa.String(length=32), nullable=True),
    sa.Column('rep_user_id', sa.String(length=32), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('prospect_name', sa.String(length=200), nullable=False),
    sa.Column('referrer_user_id', sa.String(length=32), nullable=True),
    sa.Column('referrer_name', sa.String(length=200), nullable=False),
    sa.Column('ask_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('introduced_on', sa.Date(), nullable=False),
    sa.Column('meeting_scheduled_on', sa.Date(), nullable=True),
    sa.Column('meeting_on', sa.Date(), nullable=True),
    sa.Column('meeting_held_on', sa.Date(), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('amount', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('close_reason', sa.String(length=300), nullable=True),
    sa.Column('thanked_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ask_id'], ['ask.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('team_id', 'rep_user_id', 'number', name='uq_referral_number')
    )
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.create_index('ix_referral_rep_status', ['team_id', 'rep_user_id', 'status'], unique=False)



def downgrade() -> None:

    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_index('ix_referral_rep_status')

    op.drop_table('referral')
    op.drop_table('user_profile')
    with op.batch_alter_table('ask', schema=None) as batch_op:
        batch_op.drop_index('ix_ask_rep_date')

    op.drop_table('ask')
