"""The delivery ledger: claim before sending, mark after Slack answers.

A claim is an INSERT guarded by the unique (workspace, kind, recipient, period)
key, so of two processes (or two ticks) only one wins. A failed send is
re-claimed by a conditional UPDATE from ``failed`` to ``claimed``, which again
only one process can win. A claim carries a lease: a process that died with a
claim leaves a row whose lease runs out, and the same conditional UPDATE lets
one other process take it over. ``parts_sent`` records each part of a
multi-part message as Slack accepts it, so a retry or a takeover resumes after it.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from domain.funnel import Workspace
from storage.engine import session_scope
from storage.models import Delivery
from storage.queries import scoped
from storage.statements import Statement, insert_every_column

CLAIMED, SENT, FAILED, EXPIRED = "claimed", "sent", "failed", "expired"
# Claims made before leases existed carry none; they count as dead after this long.
UNLEASED_CLAIM_TIMEOUT = timedelta(hours=1)


# The statements of every send, built once and run on the cursor (storage/statements.py): a tick to every rep
# makes one claim per DM and records its sends in small batches, each in a write transaction that the acks
# queue behind, so their time inside SQLite's write lock is the acks' wait during a tick.
_DELIVERY = Delivery.__table__.c
_INSERT_CLAIM = insert_every_column(Delivery.__table__, returning=_DELIVERY.id)
_MARK_PART_SENT = Statement(sa.update(Delivery.__table__).where(_DELIVERY.id == sa.bindparam("delivery_id")).values(
    parts_sent=sa.bindparam("parts_sent"), lease_until=sa.bindparam("lease_until", type_=_DELIVERY.lease_until.type)))
_MARK_SENT = Statement(sa.update(Delivery.__table__).where(
    _DELIVERY.id.in_(sa.bindparam("delivery_ids", expanding=True))).values(
    status=SENT, sent_at=sa.bindparam("now", type_=_DELIVERY.sent_at.type), last_error=None, next_attempt_at=None,
    lease_until=None))


@dataclass(frozen=True)
class Claim:
    row: Delivery
    # Taken over from a process that died holding it: part ``row.parts_sent`` may already be in Slack.
    taken_over: bool = False
    previous_holder: str | None = None  # the process that died holding it (``row.claimed_by`` is now ours)


def claim_delivery(
    *, engine: sa.Engine, workspace: Workspace, kind: str, recipient: str, period_key: str, now: datetime,
    claimed_by: str, lease_until: datetime | None = None,
) -> Claim | None:
    """The claim, or None when this delivery is sent, in flight elsewhere, or not yet retryable.

    A row still ``claimed`` whose lease ended before ``now`` belongs to a process that died: it is taken over.
    A claim means "part ``parts_sent`` goes out now", so the sender claims right before it posts.

    Takes the engine, not a session: the INSERT must be its own transaction so that
    losing the race is a clean IntegrityError, not a poisoned outer transaction.
    """
    # Built before the transaction and inserted by one Core statement, not the ORM's unit of work: a tick makes
    # one claim per send, and SQLite's write lock (which the acks also need) is held only for the INSERT.
    row = Delivery(team_id=workspace.team_id, enterprise_id=workspace.enterprise_id, kind=kind,
                   recipient=recipient, period_key=period_key, status=CLAIMED, attempts=1,
                   claimed_by=claimed_by, claimed_at=now, lease_until=lease_until, parts_sent=0)
    values = row.model_dump(exclude={"id"})
    try:
        with session_scope(engine) as session:
            row.id = _INSERT_CLAIM.run(session, values).scalar_one()
            return Claim(row)
    except IntegrityError:
        pass
    retryable = sa.and_(Delivery.status == FAILED, col(Delivery.next_attempt_at) <= now)
    dead = sa.and_(Delivery.status == CLAIMED, sa.or_(
        col(Delivery.lease_until) < now,
        sa.and_(col(Delivery.lease_until).is_(None), col(Delivery.claimed_at) < now - UNLEASED_CLAIM_TIMEOUT)))
    for condition, taken_over in ((retryable, False), (dead, True)):
        with session_scope(engine) as session:
            holder = None
            if taken_over:  # who died holding it, read before the update rewrites it (and no update if nobody did)
                dead_row = session.exec(select(Delivery.id, Delivery.claimed_by).where(
                    scoped(Delivery, workspace), Delivery.kind == kind, Delivery.recipient == recipient,
                    Delivery.period_key == period_key, condition)).first()
                if dead_row is None:
                    continue
                holder = dead_row.claimed_by
            updated = session.exec(
                sa.update(Delivery)
                .where(scoped(Delivery, workspace), Delivery.kind == kind, Delivery.recipient == recipient,
                       Delivery.period_key == period_key, condition)
                .values(status=CLAIMED, claimed_by=claimed_by, claimed_at=now, lease_until=lease_until,
                        attempts=Delivery.attempts + 1)
            ).rowcount  # type: ignore[call-overload]
            if updated == 1:
                return Claim(session.exec(select(Delivery).where(
                    scoped(Delivery, workspace), Delivery.kind == kind, Delivery.recipient == recipient,
                    Delivery.period_key == period_key)).one(), taken_over, holder)
    return None


def mark_part_sent(*, engine: sa.Engine, delivery_id: int, parts_sent: int, lease_until: datetime | None) -> None:
    """``parts_sent`` parts are in Slack and the next goes out now; the lease is extended (the holder lives)."""
    with session_scope(engine) as session:
        _MARK_PART_SENT.run(session, {"delivery_id": delivery_id, "parts_sent": parts_sent, "lease_until": lease_until})


def release_claims(*, engine: sa.Engine, claimed_by: str, now: datetime) -> int:
    """A process stopping before it could send: its claims become failures retryable at once."""
    with session_scope(engine) as session:
        return session.exec(sa.update(Delivery).where(Delivery.status == CLAIMED, Delivery.claimed_by == claimed_by)
                            .values(status=FAILED, next_attempt_at=now, last_error="released at shutdown",
                                    lease_until=None)).rowcount  # type: ignore[call-overload]


def mark_deliveries_sent(*, engine: sa.Engine, delivery_ids: Sequence[int], now: datetime) -> None:
    """Several sends recorded in one write transaction (the fan-out records its sends in small batches)."""
    if not delivery_ids:
        return
    with session_scope(engine) as session:
        _MARK_SENT.run(session, {"delivery_ids": list(delivery_ids), "now": now})


def mark_delivery_failed(*, engine: sa.Engine, delivery_id: int, error: str, retry_at: datetime | None) -> None:
    """Failed: retried at ``retry_at``, or given up (``expired``) when there is no later chance."""
    with session_scope(engine) as session:
        session.exec(sa.update(Delivery).where(Delivery.id == delivery_id).values(
            status=FAILED if retry_at else EXPIRED, last_error=error[:300], next_attempt_at=retry_at, lease_until=None))


def list_deliveries(*, session: Session, workspace: Workspace | None = None, kind: str | None = None) -> Sequence[Delivery]:
    query = select(Delivery)
    if workspace is not None:
        query = query.where(scoped(Delivery, workspace))
    if kind is not None:
        query = query.where(Delivery.kind == kind)
    return session.exec(query.order_by(col(Delivery.id))).all()
