"""commitments

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('commitment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('enterprise_id', sa.String(length=32), nullable=True),
    sa.Column('rep_user_id', sa.String(length=32), nullable=False),
    sa.Column('week_start', sa.Date(), nullable=False),
    sa.Column('person_user_id', sa.String(length=32), nullable=True),
    sa.Column('person_name', sa.String(length=200), nullable=False),
    sa.Column('kept_ask_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['kept_ask_id'], ['ask.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('commitment', schema=None) as batch_op:
        batch_op.create_index('ix_commitment_rep_week', ['team_id', 'rep_user_id', 'week_start'], unique=False)



def downgrade() -> None:

    with op.batch_alter_table('commitment', schema=None) as batch_op:
        batch_op.drop_index('ix_commitment_rep_week')

    op.drop_table('commitment')
