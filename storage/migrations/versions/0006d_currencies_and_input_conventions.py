"""currencies and input conventions: a won deal keeps its currency; the workspace says how it writes dates and money

Revision ID: 0006d
Revises: 0005
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = '0006d'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('referral') as batch:
        batch.add_column(sa.Column('currency', sa.String(length=3), nullable=True))
    with op.batch_alter_table('workspace_setting') as batch:
        batch.add_column(sa.Column('currency', sa.String(length=3), nullable=True))
        batch.add_column(sa.Column('decimal_mark', sa.String(length=1), nullable=True))
        batch.add_column(sa.Column('date_order', sa.String(length=3), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('workspace_setting') as batch:
        batch.drop_column('date_order')
        batch.drop_column('decimal_mark')
        batch.drop_column('currency')
    with op.batch_alter_table('referral') as batch:
        batch.drop_column('currency')
