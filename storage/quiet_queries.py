"""What a quiet tick reads instead of the people: the workspace's generation and the proof a tick left.

The generation is bumped by database triggers (migration 0008a) on every write able to make someone newly
due; a proof says "nobody was due for this job at this generation, until this instant". A tick whose
proof still holds reads one row by primary key and nothing else of the workspace.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain.funnel import Workspace
from storage.models import Delivery, QuietProof, WorkspaceGeneration
from storage.queries import scoped
from storage.upserts import dialect_insert


@dataclass(frozen=True)
class Proof:
    generation: int
    proven_at: datetime
    valid_until: datetime | None
    default_zone: str


@dataclass(frozen=True)
class QuietState:
    generation: int  # the workspace's generation now (0 before any counted write)
    proof: Proof | None  # the job's last proof, whatever its generation


def _generation(team_id: str) -> sa.ScalarSelect:
    return (select(WorkspaceGeneration.generation).where(WorkspaceGeneration.team_id == team_id)
            .scalar_subquery())


def read_quiet_state(*, session: Session, workspace: Workspace, job: str) -> QuietState:
    """The generation and the job's proof in one statement, by primary key: a quiet tick's whole read."""
    current = sa.func.coalesce(_generation(workspace.team_id), 0)
    row = session.connection().execute(
        select(current, QuietProof.generation, QuietProof.proven_at, QuietProof.valid_until, QuietProof.default_zone)
        .select_from(sa.select(sa.literal(1)).subquery())
        .outerjoin(QuietProof, sa.and_(QuietProof.team_id == workspace.team_id, QuietProof.job == job))).one()
    return QuietState(int(row[0]), Proof(*row[1:]) if row[1] is not None else None)


def save_quiet_proof(*, session: Session, workspace: Workspace, job: str, generation: int, proven_at: datetime,
                     valid_until: datetime | None, default_zone: str) -> None:
    """Insert or replace the job's proof; the last tick to prove wins (each proof is true of its generation)."""
    values = {"team_id": workspace.team_id, "job": job, "generation": generation, "proven_at": proven_at,
              "valid_until": valid_until, "default_zone": default_zone}
    insert = dialect_insert(session.get_bind().dialect.name, QuietProof).values(**values)
    session.exec(insert.on_conflict_do_update(  # type: ignore[call-overload]
        index_elements=["team_id", "job"],
        set_={key: insert.excluded[key] for key in ("generation", "proven_at", "valid_until", "default_zone")}))


@dataclass(frozen=True)
class TimedChanges:
    """The ledger's changes that no write announces, the earliest after ``now``: each can make someone due."""

    retry_at: datetime | None  # the earliest failed send of the job whose retry is still to come
    lease_ends: datetime | None  # the earliest live claim's end (a dead claim is retried)


def read_timed_changes(*, session: Session, workspace: Workspace, kind: str, now: datetime) -> TimedChanges:
    """One statement over the job's ledger rows (pauses, which end by each person's zone, are read apart)."""
    retry = select(sa.func.min(Delivery.next_attempt_at)).where(
        scoped(Delivery, workspace), Delivery.kind == kind, Delivery.status == "failed",
        col(Delivery.next_attempt_at) > now)
    lease = select(sa.func.min(Delivery.lease_until)).where(
        scoped(Delivery, workspace), Delivery.kind == kind, Delivery.status == "claimed",
        col(Delivery.lease_until) >= now)
    # MIN keeps its column's type, so the dates and the aware UTC instants come back as the columns give them.
    row = session.exec(select(retry.scalar_subquery(), lease.scalar_subquery())).one()
    return TimedChanges(*row)
