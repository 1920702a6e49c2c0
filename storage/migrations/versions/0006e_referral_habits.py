"""referral habits: team habit settings, client wins, nudge notes, and the reason a nudge was skipped

Revision ID: 0006e
Revises: 0005
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = '0006e'
down_revision = '0006b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('delivery', sa.Column('note', sa.String(length=300), nullable=True))
    op.create_table('team_habit_setting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sales_team_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('enterprise_id', sa.String(length=32), nullable=True),
    sa.Column('leaderboard_mode', sa.String(length=16), nullable=False),
    sa.Column('connector_threshold', sa.Integer(), nullable=False),
    sa.Column('client_followup_days', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['sales_team_id'], ['sales_team.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sales_team_id', name='uq_team_habit_setting')
    )
    op.create_table('client_win',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('enterprise_id', sa.String(length=32), nullable=True),
    sa.Column('rep_user_id', sa.String(length=32), nullable=False),
    sa.Column('client_name', sa.String(length=200), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=True),
    sa.Column('won_on', sa.Date(), nullable=False),
    sa.Column('follow_up_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('referral_id')
    )
    op.create_index('ix_client_win_due', 'client_win', ['team_id', 'follow_up_on'])
    op.create_index('ix_client_win_rep', 'client_win', ['team_id', 'rep_user_id'])
    op.create_table('nudge_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('enterprise_id', sa.String(length=32), nullable=True),
    sa.Column('rep_user_id', sa.String(length=32), nullable=False),
    sa.Column('week_start', sa.Date(), nullable=False),
    sa.Column('manager_user_id', sa.String(length=32), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('team_id', 'rep_user_id', 'week_start', name='uq_nudge_note')
    )


def downgrade() -> None:
    op.drop_table('nudge_note')
    op.drop_index('ix_client_win_rep', table_name='client_win')
    op.drop_index('ix_client_win_due', table_name='client_win')
    op.drop_table('client_win')
    op.drop_table('team_habit_setting')
    with op.batch_alter_table('delivery') as batch:
        batch.drop_column('note')
