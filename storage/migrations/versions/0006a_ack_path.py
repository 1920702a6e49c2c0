"""ack path: replayed requests seen once, and a person's own teams found by index

Revision ID: 0006a
Revises: 0005
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = '0006a'
down_revision = '0006e'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('seen_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('signature', sa.String(length=128), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('signature', name='uq_seen_request_signature')
    )
    op.create_index('ix_seen_request_received_at', 'seen_request', ['received_at'], unique=False)
    op.create_index('ix_team_member_user', 'team_member', ['team_id', 'user_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_team_member_user', table_name='team_member')
    op.drop_index('ix_seen_request_received_at', table_name='seen_request')
    op.drop_table('seen_request')
