"""The workspace's input conventions (currency, decimal mark, date order), kept on its settings row."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain.conventions import Conventions
from domain.funnel import ReferralStatus, Workspace
from storage.among import People, among
from storage.models import Referral, WorkspaceSetting
from storage.queries import Prebuilt, scoped

_SETTING = WorkspaceSetting.__table__.c
_CONVENTIONS = Prebuilt(lambda in_workspace: sa.select(_SETTING.date_order, _SETTING.decimal_mark, _SETTING.currency)
                        .where(in_workspace(_SETTING)))


def get_conventions(*, session: Session, workspace: Workspace) -> Conventions:
    """Read on every command that parses dates or amounts: built once (see ``Prebuilt``)."""
    row = _CONVENTIONS.rows(session, workspace).first()
    if row is None:
        return Conventions()
    return Conventions(date_order=row.date_order, decimal_mark=row.decimal_mark, currency=row.currency)


def set_convention(*, session: Session, workspace: Workspace, field: str, value: str | None, now: datetime) -> None:
    """One of ``currency``, ``decimal_mark``, ``date_order``; the row is created on the first change."""
    if field not in ("currency", "decimal_mark", "date_order"):
        raise ValueError(f"unknown convention {field!r}")
    row = session.exec(select(WorkspaceSetting).where(scoped(WorkspaceSetting, workspace))).first()
    if row is None:
        row = WorkspaceSetting(team_id=workspace.team_id, enterprise_id=workspace.enterprise_id, updated_at=now)
    setattr(row, field, value)
    row.updated_at = now
    session.add(row)
    session.flush()


def sum_won_by_currency(
    *, session: Session, workspace: Workspace, rep_user_ids: Iterable[str], start: date, end: date,
) -> dict[str | None, Decimal]:
    """Won amounts closed in [start, end], totalled per currency (None: logged without one); one grouped query."""
    rows = session.exec(
        select(Referral.currency, sa.func.sum(Referral.amount))
        .where(scoped(Referral, workspace), col(Referral.rep_user_id).in_(list(rep_user_ids)),
               Referral.status == ReferralStatus.WON, col(Referral.amount).is_not(None),
               col(Referral.closed_on) >= start, col(Referral.closed_on) <= end)
        .group_by(Referral.currency)
    ).all()
    return {currency: Decimal(total).quantize(Decimal("0.01")) for currency, total in rows if total is not None}


def sum_won_by_rep_and_currency(
    *, session: Session, workspace: Workspace, rep_user_ids: People, spans: Sequence[tuple[date, date]],
) -> list[dict[str, dict[str | None, Decimal]]]:
    """Won amounts closed in each (inclusive) span, per rep and currency, from one grouped query: the digest's
    totals for many teams at once add up the lines of the reps they show."""
    if not spans:
        return []
    first, last = min(s for s, _ in spans), max(e for _, e in spans)
    closed = col(Referral.closed_on)
    rows = session.exec(
        select(Referral.rep_user_id, Referral.currency,
               *(sa.func.sum(Referral.amount).filter(closed >= start, closed <= end) for start, end in spans))
        .where(scoped(Referral, workspace), among(Referral.rep_user_id, rep_user_ids),
               Referral.status == ReferralStatus.WON, col(Referral.amount).is_not(None),
               closed >= first, closed <= last)
        .group_by(Referral.rep_user_id, Referral.currency)
    ).all()
    totals: list[dict[str, dict[str | None, Decimal]]] = [{} for _ in spans]
    for rep, currency, *amounts in rows:
        for per_span, total in zip(totals, amounts, strict=True):
            if total is not None:
                per_span.setdefault(rep, {})[currency] = Decimal(total).quantize(Decimal("0.01"))
    return totals
