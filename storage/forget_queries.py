"""Forgetting a person: set-based rewrites of everything that names them, and the audit log.

Each statement is one UPDATE or DELETE over the workspace (no row-by-row loop), so forgetting
someone with years of history costs a fixed number of statements.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain.forgetting import FORGOTTEN, FORMER_MEMBER, FORMER_ROLE
from domain.funnel import Workspace
from storage.models import (
    Ask,
    AuditEntry,
    ChartUpload,
    ClientWin,
    Commitment,
    Delivery,
    NudgeNote,
    Pause,
    Referral,
    TeamMember,
    UserProfile,
)
from storage.queries import scoped

FORGET = "forget"


def count_forgotten(*, session: Session, workspace: Workspace) -> int:
    return session.execute(sa.select(sa.func.count()).select_from(AuditEntry).where(
        scoped(AuditEntry, workspace), col(AuditEntry.action) == FORGET)).scalar_one()


def is_known_person(*, session: Session, workspace: Workspace, user_id: str) -> bool:
    """Whether anything in the workspace is about this person (their history, a team, a profile)."""
    for model, column in ((Ask, Ask.rep_user_id), (Referral, Referral.rep_user_id), (TeamMember, TeamMember.user_id),
                          (UserProfile, UserProfile.user_id), (Ask, Ask.asked_user_id),
                          (Referral, Referral.referrer_user_id)):
        if session.execute(sa.select(model.id).where(scoped(model, workspace), column == user_id).limit(1)).first():
            return True
    return False


def _update(session: Session, model: type, workspace: Workspace, where: sa.ColumnElement, **values: object) -> int:
    result = session.execute(sa.update(model).where(scoped(model, workspace), where).values(**values))
    return result.rowcount or 0


def _delete(session: Session, model: type, workspace: Workspace, where: sa.ColumnElement) -> int:
    result = session.execute(sa.delete(model).where(scoped(model, workspace), where))
    return result.rowcount or 0


def anonymize_person(*, session: Session, workspace: Workspace, user_id: str, pseudonym: str) -> dict[str, int]:
    """Move the person's history to ``pseudonym`` with every typed word blanked, and delete the rest of them.

    Returns how many rows each step touched (for the audit log; no names in it).
    """
    touched = {
        "asks": _update(session, Ask, workspace, col(Ask.rep_user_id) == user_id, rep_user_id=pseudonym,
                        asked_user_id=None, asked_name=FORGOTTEN, for_whom=None,
                        # The key may hash what they typed; the row's own id keeps it unique.
                        dedupe_key=sa.literal("forgotten-") + sa.cast(col(Ask.id), sa.String)),
        "referrals": _update(session, Referral, workspace, col(Referral.rep_user_id) == user_id,
                             rep_user_id=pseudonym, prospect_name=FORGOTTEN, referrer_user_id=None,
                             referrer_name=FORGOTTEN, close_reason=None, prep_notes=None),
        "named_in_asks": _update(session, Ask, workspace, col(Ask.asked_user_id) == user_id, asked_user_id=None,
                                 asked_name=FORMER_MEMBER),
        "named_in_referrals": _update(session, Referral, workspace, col(Referral.referrer_user_id) == user_id,
                                      referrer_user_id=None, referrer_name=FORMER_MEMBER),
        "named_in_commitments": _update(session, Commitment, workspace, col(Commitment.person_user_id) == user_id,
                                        person_user_id=None, person_name=FORMER_MEMBER),
        # Their line stays on the teams they were a rep of, under the pseudonym; nothing is ever sent to it.
        "team_lines": _update(session, TeamMember, workspace,
                              sa.and_(col(TeamMember.user_id) == user_id, col(TeamMember.role) == "rep"),
                              user_id=pseudonym, role=FORMER_ROLE),
        "memberships": _delete(session, TeamMember, workspace, col(TeamMember.user_id) == user_id),
        "commitments": _delete(session, Commitment, workspace, col(Commitment.rep_user_id) == user_id),
        "pauses": _delete(session, Pause, workspace, col(Pause.user_id) == user_id),
        "profiles": _delete(session, UserProfile, workspace, col(UserProfile.user_id) == user_id),
        "charts": _delete(session, ChartUpload, workspace, col(ChartUpload.owner) == user_id),
        "deliveries": _delete(session, Delivery, workspace, sa.or_(col(Delivery.recipient) == user_id,
                                                                    col(Delivery.recipient).startswith(f"{user_id}:"))),
        # The referral-habit rows: a won client's follow-up clock, and managers' notes on their nudges.
        "client_wins": _delete(session, ClientWin, workspace, col(ClientWin.rep_user_id) == user_id),
        "nudge_notes": _delete(session, NudgeNote, workspace, sa.or_(col(NudgeNote.rep_user_id) == user_id,
                                                                     col(NudgeNote.manager_user_id) == user_id)),
    }
    return touched


def add_audit_entry(*, session: Session, workspace: Workspace, action: str, actor_user_id: str, subject: str,
                    detail: str, now: datetime) -> AuditEntry:
    entry = AuditEntry(team_id=workspace.team_id, enterprise_id=workspace.enterprise_id, action=action,
                       actor_user_id=actor_user_id, subject=subject, detail=detail[:500], created_at=now)
    session.add(entry)
    session.flush()
    return entry


def list_audit_entries(*, session: Session, workspace: Workspace) -> Sequence[AuditEntry]:
    return session.exec(select(AuditEntry).where(scoped(AuditEntry, workspace))
                        .order_by(col(AuditEntry.created_at), col(AuditEntry.id))).all()
