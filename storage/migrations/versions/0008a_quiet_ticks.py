"""a quiet tick proves nobody is due with one read: a per-workspace generation that triggers bump, and proofs

Revision ID: 0008a
Revises: 0007a
Create Date: 2026-12-01

Triggers rather than calls in the write functions: every write able to make someone newly due bumps the
counter, whoever makes it (a command, an import, a forget, a bulk load, an operator's SQL), and in the
same transaction, so a tick never reads a changed row beside an unchanged generation. Left out on
purpose: inserting an ask or a ledger row (both only ever make people less due, and an ask is the hot
path), ledger updates that end in a blocking status (sent, expired, skipped), and those that only hold a row
longer (a renewed lease, a part marked sent).
"""
import sqlalchemy as sa
from alembic import op

revision = '0008a'
down_revision = '0007a'
branch_labels = None
depends_on = None

# (table, event, the row whose workspace is bumped, condition or None): what can make someone newly due.
WATCHED = (
    ('team_member', 'INSERT', 'NEW', None),
    ('team_member', 'UPDATE', 'NEW', None),
    ('team_member', 'DELETE', 'OLD', None),
    ('sales_team', 'INSERT', 'NEW', None),
    ('sales_team', 'UPDATE', 'NEW', None),
    ('sales_team', 'DELETE', 'OLD', None),
    ('pause', 'INSERT', 'NEW', None),
    ('pause', 'UPDATE', 'NEW', None),
    ('pause', 'DELETE', 'OLD', None),
    ('user_profile', 'INSERT', 'NEW', None),
    # The 6-hourly sync rewrites every profile's fetched_at: only a zone, a deactivation or a move counts.
    ('user_profile', 'UPDATE', 'NEW', 'OLD.timezone {ne} NEW.timezone OR OLD.deleted {ne} NEW.deleted '
                                     'OR OLD.user_id {ne} NEW.user_id'),
    ('user_profile', 'DELETE', 'OLD', None),
    ('ask', 'UPDATE', 'NEW', 'OLD.rep_user_id {ne} NEW.rep_user_id OR OLD.asked_on {ne} NEW.asked_on'),
    ('ask', 'DELETE', 'OLD', None),
    # A row stops blocking, or may stop sooner: a retry's time, a shorter lease. A renewed lease and a part
    # marked sent (every part of a digest) do neither.
    ('delivery', 'UPDATE', 'NEW', "NEW.status NOT IN ('sent', 'expired', 'skipped') AND (OLD.status {ne} NEW.status "
                                  'OR OLD.next_attempt_at {ne} NEW.next_attempt_at OR NEW.lease_until < OLD.lease_until '
                                  'OR (OLD.lease_until IS NULL AND NEW.lease_until IS NOT NULL))'),
    ('delivery', 'DELETE', 'OLD', None),
)


def _name(table: str, event: str) -> str:
    return f'tr_generation_{table}_{event.lower()}'


def upgrade() -> None:
    op.create_table(
        'workspace_generation',
        sa.Column('team_id', sa.String(length=32), nullable=False),
        sa.Column('generation', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('team_id'),
    )
    op.create_table(
        'quiet_proof',
        sa.Column('team_id', sa.String(length=32), nullable=False),
        sa.Column('job', sa.String(length=24), nullable=False),
        sa.Column('generation', sa.Integer(), nullable=False),
        sa.Column('proven_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('valid_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('default_zone', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('team_id', 'job'),
    )
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("""
            CREATE FUNCTION bump_workspace_generation() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE workspace text;
            BEGIN
                IF TG_OP = 'DELETE' THEN workspace := OLD.team_id; ELSE workspace := NEW.team_id; END IF;
                INSERT INTO workspace_generation (team_id, generation) VALUES (workspace, 1)
                ON CONFLICT (team_id) DO UPDATE SET generation = workspace_generation.generation + 1;
                RETURN NULL;
            END $$""")
        for table, event, _row, condition in WATCHED:
            when = f'WHEN ({condition.format(ne="IS DISTINCT FROM")}) ' if condition else ''
            op.execute(f'CREATE TRIGGER {_name(table, event)} AFTER {event} ON {table} FOR EACH ROW {when}'
                       'EXECUTE FUNCTION bump_workspace_generation()')
        return
    for table, event, row, condition in WATCHED:
        when = f'WHEN {condition.format(ne="IS NOT")} ' if condition else ''
        op.execute(f'CREATE TRIGGER {_name(table, event)} AFTER {event} ON {table} FOR EACH ROW {when}BEGIN '
                   f'INSERT INTO workspace_generation (team_id, generation) VALUES ({row}.team_id, 1) '
                   'ON CONFLICT (team_id) DO UPDATE SET generation = generation + 1; END')


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == 'postgresql'
    for table, event, _row, _condition in WATCHED:
        op.execute(f'DROP TRIGGER {_name(table, event)}' + (f' ON {table}' if postgresql else ''))
    if postgresql:
        op.execute('DROP FUNCTION bump_workspace_generation()')
    op.drop_table('quiet_proof')
    op.drop_table('workspace_generation')
