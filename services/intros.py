"""Log an intro where it arrives: the referral form pre-filled from a Slack message, and its submission.

The message text is read here and dropped: only what the rep submits in the form is stored.
"""
from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlmodel import Session

from domain.funnel import AskOutcome, Workspace
from domain.habit_records import IntroForm
from domain.intros import read_intro
from domain.parsing import GotReferral, Person
from domain.periods import local_today
from services.asks import ask_record
from services.people import Person as Rep
from services.referrals import ReferralLogged, log_referral
from storage.engine import read_scope, run_in_transaction
from storage.queries import find_open_ask_of_referrer, get_ask


def message_date(ts: str | None, rep: Rep, now: datetime) -> date:
    """A Slack ``ts`` ("1700000000.000100") as the rep's local date; today when it can't be read."""
    try:
        moment = datetime.fromtimestamp(float(ts or ""), tz=UTC)
    except (ValueError, OverflowError, OSError):
        return local_today(now, rep.timezone)
    return min(moment, now).astimezone(rep.timezone).date()


def intro_form(*, engine: sa.Engine, workspace: Workspace, rep: Rep, text: str, author_user_id: str | None,
               message_ts: str | None, now: datetime) -> IntroForm:
    draft = read_intro(text, author_user_id=author_user_id, rep_user_id=rep.user_id)
    open_ask = None
    if draft.referrer is not None:
        with read_scope(engine) as session:
            ask = find_open_ask_of_referrer(session=session, workspace=workspace, rep_user_id=rep.user_id,
                                            referrer_user_id=draft.referrer.user_id, referrer_name=draft.referrer.name)
            open_ask = ask_record(ask) if ask else None
    return IntroForm(draft, message_date(message_ts, rep, now), local_today(now, rep.timezone), open_ask)


def log_intro(*, engine: sa.Engine, workspace: Workspace, rep: Rep, prospect: str, referrer: Person, occurred_on: date,
              link_ask_id: int | None, now: datetime) -> ReferralLogged:
    """The referral as submitted; linked to the offered ask when the rep kept the box ticked, else to none."""
    def work(session: Session) -> ReferralLogged:
        ask_id = None
        if link_ask_id is not None:
            ask = get_ask(session=session, workspace=workspace, rep_user_id=rep.user_id, ask_id=link_ask_id)
            ask_id = ask.id if ask is not None and ask.outcome == AskOutcome.PENDING else None
        return log_referral(session=session, workspace=workspace, rep=rep, now=now, ask_id=ask_id, link_open_ask=False,
                            command=GotReferral(prospect=prospect, referrer=referrer, occurred_on=occurred_on))

    # One write transaction: the link is checked and the referral stored together.
    return run_in_transaction(engine, work)
