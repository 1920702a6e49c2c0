"""``/referral forget @person`` and ``referral-bot forget``: an admin deletes a departed rep's personal data.

Two steps: a preview (what will go; nothing changes) behind a confirmation button, then the
forgetting itself in one transaction, recorded in the audit log. See domain.forgetting for what
stays (anonymous numbers under "former member N") and what goes.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from domain.forgetting import former_id, former_label
from domain.funnel import Workspace
from domain.grammar.forget import FORGET_USAGE
from domain.parsing import CommandError
from services.people import Person
from services.spreadsheets import ALL_TIME
from storage.engine import read_scope, run_in_transaction
from storage.forget_queries import FORGET, add_audit_entry, anonymize_person, count_forgotten, is_known_person
from storage.report_queries import count_kpis


@dataclass(frozen=True)
class ForgetPreview:
    user_id: str
    asks: int
    referrals: int


@dataclass(frozen=True)
class Forgotten:
    label: str  # "former member 3": the name their numbers carry from now on
    asks: int
    referrals: int


def _check(session: Session, workspace: Workspace, actor: Person, user_id: str) -> None:
    if not actor.is_admin:
        raise CommandError("Only workspace admins (and the bot's configured admins) can forget a person.",
                           usage=FORGET_USAGE)
    if not is_known_person(session=session, workspace=workspace, user_id=user_id):
        raise CommandError(f"I have nothing about <@{user_id}> in this workspace; there is nothing to forget.",
                           usage=FORGET_USAGE)


def preview_forget(*, engine: sa.Engine, workspace: Workspace, actor: Person, user_id: str) -> ForgetPreview:
    with read_scope(engine) as session:
        _check(session, workspace, actor, user_id)
        counts = count_kpis(session=session, workspace=workspace, rep_user_ids=[user_id], start=ALL_TIME[0],
                            end=ALL_TIME[1])
    return ForgetPreview(user_id, counts.asks, counts.referrals)


def forget_person(*, engine: sa.Engine, workspace: Workspace, actor: Person, user_id: str,
                  now: datetime) -> Forgotten:
    def work(session: Session) -> Forgotten:
        _check(session, workspace, actor, user_id)
        pseudonym = former_id(count_forgotten(session=session, workspace=workspace) + 1)
        touched = anonymize_person(session=session, workspace=workspace, user_id=user_id, pseudonym=pseudonym)
        add_audit_entry(session=session, workspace=workspace, action=FORGET, actor_user_id=actor.user_id,
                        subject=pseudonym, detail=json.dumps(touched, sort_keys=True), now=now)
        return Forgotten(former_label(pseudonym), touched["asks"], touched["referrals"])

    return run_in_transaction(engine, work)
