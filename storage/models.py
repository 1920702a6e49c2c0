"""Tables. Every row carries its Slack workspace (``team_id``, plus ``enterprise_id``
on Enterprise Grid), and every query in ``storage.queries`` filters on it.

Event dates (``*_on``) are the rep's own local calendar dates at the moment the
event happened; weekly, monthly and quarterly counts are computed from them.
``created_at``/``updated_at`` are audit timestamps in UTC.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator):
    """Stores UTC and always hands back an aware datetime, on SQLite as on PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):  # noqa: ANN001
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):  # noqa: ANN001
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UserProfile(SQLModel, table=True):
    """What we cache from ``users.info``: time zone and admin flags."""

    __tablename__ = "user_profile"
    __table_args__ = (sa.UniqueConstraint("team_id", "user_id", name="uq_user_profile_user"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)
    user_id: str = Field(max_length=32)
    timezone: str | None = Field(default=None, max_length=64)
    is_admin: bool = False
    real_name: str | None = Field(default=None, max_length=200)
    fetched_at: datetime = Field(sa_type=UTCDateTime)
    # Deactivated in Slack (users.list or a user_change event): no more nudges, shown as "left".
    deleted: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})


class Ask(SQLModel, table=True):
    """One person a rep asked for an introduction."""

    __tablename__ = "ask"
    __table_args__ = (
        sa.UniqueConstraint("team_id", "rep_user_id", "dedupe_key", name="uq_ask_dedupe"),
        # enterprise_id last: the grouped reads (a tick's digests) filter by it and then need nothing from the
        # table itself.
        sa.Index("ix_ask_rep_date", "team_id", "rep_user_id", "asked_on", "enterprise_id"),
        # The connector heads-up on every /asked: one person's recent asks, by Slack user or by name,
        # found without reading the team's other asks.
        sa.Index("ix_ask_person_user", "team_id", "asked_user_id", "asked_on"),
        sa.Index("ix_ask_person_name", "team_id", sa.text("lower(asked_name)"), "asked_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)
    rep_user_id: str = Field(max_length=32)
    asked_user_id: str | None = Field(default=None, max_length=32)
    asked_name: str = Field(max_length=200)
    for_whom: str | None = Field(default=None, max_length=300)
    asked_on: date
    outcome: str = Field(default="pending", max_length=16)
    outcome_on: date | None = None
    # Guards against the same command fired twice in a few seconds (double Enter, client retry).
    dedupe_key: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)


class Referral(SQLModel, table=True):
    """An introduction a rep received, and its way through the funnel."""

    __tablename__ = "referral"
    __table_args__ = (
        sa.UniqueConstraint("team_id", "rep_user_id", "number", name="uq_referral_number"),
        sa.Index("ix_referral_rep_status", "team_id", "rep_user_id", "status"),
        sa.Index("ix_referral_meeting_on", "team_id", "meeting_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)
    rep_user_id: str = Field(max_length=32)
    # The short per-rep number shown to the rep (#1, #2, ...), used as <ref> in commands.
    number: int
    prospect_name: str = Field(max_length=200)
    referrer_user_id: str | None = Field(default=None, max_length=32)
    referrer_name: str = Field(max_length=200)
    ask_id: int | None = Field(default=None, sa_column=sa.Column(sa.ForeignKey("ask.id", ondelete="SET NULL")))
    status: str = Field(default="introduced", max_length=24)
    introduced_on: date
    meeting_scheduled_on: date | None = None
    meeting_on: date | None = None
    meeting_held_on: date | None = None
    closed_on: date | None = None
    amount: Decimal | None = Field(default=None, sa_type=sa.Numeric(16, 2))
    currency: str | None = Field(default=None, max_length=3)  # ISO 4217; None: not named when logged
    close_reason: str | None = Field(default=None, max_length=300)
    thanked_on: date | None = None
    # The rep's answers to the pre-meeting checklist, as JSON {question key: answer}.
    prep_notes: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class WorkspaceSetting(SQLModel, table=True):
    """Settings that hold for a whole workspace rather than one team."""

    __tablename__ = "workspace_setting"
    __table_args__ = (sa.UniqueConstraint("team_id", name="uq_workspace_setting"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)
    fiscal_year_start_month: int = 1  # 1: quarters are calendar quarters
    # How the workspace writes money and dates; None: unset, so ambiguous input is asked about.
    currency: str | None = Field(default=None, max_length=3)
    decimal_mark: str | None = Field(default=None, max_length=1)
    date_order: str | None = Field(default=None, max_length=3)  # "MDY" or "DMY"
    updated_at: datetime = Field(sa_type=UTCDateTime)


class SalesTeam(SQLModel, table=True):
    """A team of reps with its managers, cadence settings and leaderboard channel.

    ``team_id`` is the Slack workspace, as on every table; the team's own key is ``id``.
    A workspace's default team collects reps who log before any team exists.
    """

    __tablename__ = "sales_team"
    __table_args__ = (sa.UniqueConstraint("team_id", "name", name="uq_sales_team_name"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)
    name: str = Field(max_length=80)
    is_default: bool = False
    channel_id: str | None = Field(default=None, max_length=32)
    minimum: int = 1
    reminder_weekday: int = 3
    reminder_time: time = Field(default=time(14, 0))
    digest_weekday: int = 0
    digest_time: time = Field(default=time(8, 0))
    leaderboard_weekday: int | None = 0  # None: no leaderboard
    leaderboard_time: time | None = Field(default=time(9, 0))
    timezone: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)


class TeamMember(SQLModel, table=True):
    """A rep or a manager of one team; a person can belong to several teams."""

    __tablename__ = "team_member"
    __table_args__ = (
        sa.UniqueConstraint("sales_team_id", "user_id", "role", name="uq_team_member"),
        # Due work by role (the ticks) and a person's own teams (the Home tab, a rep's plan).
        sa.Index("ix_team_member_role_user", "team_id", "role", "user_id"),
        sa.Index("ix_team_member_user", "team_id", "user_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    sales_team_id: int = Field(sa_column=sa.Column(sa.ForeignKey("sales_team.id", ondelete="CASCADE"),
                                                   nullable=False))
    team_id: str = Field(max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)
    user_id: str = Field(max_length=32)
    role: str = Field(max_length=16)  # "rep" or "manager"


class Pause(SQLModel, table=True):
    """Time off: no nudges, and the weeks show as paused rather than missed."""

    __tablename__ = "pause"
    __table_args__ = (sa.Index("ix_pause_user", "team_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)
    user_id: str = Field(max_length=32)
    starts_on: date
    until_on: date  # inclusive
    created_at: datetime = Field(sa_type=UTCDateTime)


class Delivery(SQLModel, table=True):
    """The delivery ledger: one row per (kind, recipient, period), claimed before sending.

    The unique key makes a second claim fail, across restarts and across processes
    sharing one database, so nothing is sent twice. A failed send stays here with
    its error and its next attempt time; it is never silently dropped.
    """

    __tablename__ = "delivery"
    __table_args__ = (
        sa.UniqueConstraint("team_id", "kind", "recipient", "period_key", name="uq_delivery"),
        sa.Index("ix_delivery_status", "status", "next_attempt_at"),
        sa.Index("ix_delivery_lease", "status", "lease_until"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)
    kind: str = Field(max_length=24)
    recipient: str = Field(max_length=64)
    period_key: str = Field(max_length=32)
    status: str = Field(max_length=16)  # claimed, sent, failed, expired
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=300)
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_at: datetime = Field(sa_type=UTCDateTime)
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Why a manager skipped this nudge (status "skipped"), kept with the row it replaces.
    note: str | None = Field(default=None, max_length=300)
    # A claim holds until lease_until; a process that died leaves it to be taken over after that.
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Parts of a multi-part message already in Slack; a retry or a takeover resumes after them.
    parts_sent: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class Commitment(SQLModel, table=True):
    """A person a rep said they would ask this week; kept once an ask of them is logged that week."""

    __tablename__ = "commitment"
    __table_args__ = (sa.Index("ix_commitment_rep_week", "team_id", "rep_user_id", "week_start"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)
    rep_user_id: str = Field(max_length=32)
    week_start: date  # the Monday of the rep's own week
    person_user_id: str | None = Field(default=None, max_length=32)
    person_name: str = Field(max_length=200)
    kept_ask_id: int | None = Field(default=None, sa_column=sa.Column(sa.ForeignKey("ask.id", ondelete="SET NULL")))
    created_at: datetime = Field(sa_type=UTCDateTime)


class ChartUpload(SQLModel, table=True):
    """A trend chart already uploaded to Slack, reused for the rest of its week instead of uploaded again."""

    __tablename__ = "chart_upload"
    __table_args__ = (sa.UniqueConstraint("team_id", "owner", "period_key", name="uq_chart_upload"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)
    owner: str = Field(max_length=64)  # whose chart: a user, or "team:<id>"
    period_key: str = Field(max_length=32)  # the last week it shows
    file_id: str = Field(max_length=32)
    created_at: datetime = Field(sa_type=UTCDateTime)


class AuditEntry(SQLModel, table=True):
    """Who did something that cannot be undone (forgetting a person), when, and what it touched.

    Never holds the forgotten person's name or ID: ``subject`` is the pseudonym their history now carries.
    """

    __tablename__ = "audit_entry"
    __table_args__ = (sa.Index("ix_audit_entry_team", "team_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)
    action: str = Field(max_length=32)
    actor_user_id: str = Field(max_length=32)
    subject: str = Field(max_length=64)
    detail: str = Field(default="", max_length=500)
    created_at: datetime = Field(sa_type=UTCDateTime)


class Heartbeat(SQLModel, table=True):
    """One row per probe name, rewritten by /healthz and ``doctor`` to prove the database takes a write."""

    __tablename__ = "heartbeat"

    id: int | None = Field(default=None, primary_key=True)
    beat_at: datetime = Field(sa_type=UTCDateTime)


class TeamHabitSetting(SQLModel, table=True):
    """A team's say in the referral-habit features; a team without a row uses the defaults."""

    __tablename__ = "team_habit_setting"
    __table_args__ = (sa.UniqueConstraint("sales_team_id", name="uq_team_habit_setting"),)

    id: int | None = Field(default=None, primary_key=True)
    sales_team_id: int = Field(sa_column=sa.Column(sa.ForeignKey("sales_team.id", ondelete="CASCADE"),
                                                   nullable=False))
    team_id: str = Field(max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)
    leaderboard_mode: str = Field(default="ranking", max_length=16)
    connector_threshold: int = 3  # asks of one person by the team in 90 days before a heads-up
    client_followup_days: int = 30  # days from a win to "who do they know?"
    updated_at: datetime = Field(sa_type=UTCDateTime)


class ClientWin(SQLModel, table=True):
    """A new client (a won referral, or one added with /referral client) and when to ask them for introductions."""

    __tablename__ = "client_win"
    __table_args__ = (
        sa.Index("ix_client_win_due", "team_id", "follow_up_on"),
        sa.Index("ix_client_win_rep", "team_id", "rep_user_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)
    rep_user_id: str = Field(max_length=32)
    client_name: str = Field(max_length=200)
    referral_id: int | None = Field(default=None, sa_column=sa.Column(
        sa.ForeignKey("referral.id", ondelete="SET NULL"), unique=True))
    won_on: date
    follow_up_on: date  # the rep's local date the "who do they know?" DM falls due; a snooze moves it
    created_at: datetime = Field(sa_type=UTCDateTime)


class NudgeNote(SQLModel, table=True):
    """A manager's one-line note added to a rep's reminder for one of the rep's weeks."""

    __tablename__ = "nudge_note"
    __table_args__ = (sa.UniqueConstraint("team_id", "rep_user_id", "week_start", name="uq_nudge_note"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)
    rep_user_id: str = Field(max_length=32)
    week_start: date
    manager_user_id: str = Field(max_length=32)
    note: str = Field(max_length=200)
    created_at: datetime = Field(sa_type=UTCDateTime)


class SeenRequest(SQLModel, table=True):
    """A signed Slack request already taken: a replay (same signature within Slack's 5-minute window)
    finds its row and takes no effect, across every replica sharing the database. Pruned after 5 minutes."""

    __tablename__ = "seen_request"
    __table_args__ = (
        sa.UniqueConstraint("signature", name="uq_seen_request_signature"),
        sa.Index("ix_seen_request_received_at", "received_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    signature: str = Field(max_length=128)
    received_at: datetime = Field(sa_type=UTCDateTime)


class WorkspaceGeneration(SQLModel, table=True):
    """A counter per workspace that database triggers (migration 0008a) bump on every write able to make
    someone newly due: a tick that finds nobody due records the generation it read, and while the counter
    has not moved (and no time-based change has come) the next tick knows without reading anyone."""

    __tablename__ = "workspace_generation"

    team_id: str = Field(primary_key=True, max_length=32)
    generation: int = 0


class QuietProof(SQLModel, table=True):
    """Nobody was due for ``job`` at ``generation``, and nothing that time alone changes (a slot, a week, a
    pause's end, a retry or a lease) comes before ``valid_until``: what lets a quiet tick skip a workspace."""

    __tablename__ = "quiet_proof"

    team_id: str = Field(primary_key=True, max_length=32)
    job: str = Field(primary_key=True, max_length=24)
    generation: int
    proven_at: datetime = Field(sa_type=UTCDateTime)
    valid_until: datetime | None = Field(default=None, sa_type=UTCDateTime)  # None: until the generation moves
    default_zone: str = Field(default="", max_length=64)  # the zone people without one get, when proven


# The OAuth tables are declared beside the models so that migrations and the schema test see them.
import storage.installations  # noqa: E402,F401
