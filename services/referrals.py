"""The rest of the funnel: introductions, meetings, outcomes, thank-yous, stats.

The functions a listener calls run in the caller's transaction (``session``).
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session

from domain.funnel import AskOutcome, ReferralStatus, Workspace
from domain.parsing import (
    CloseLost,
    CloseNoDecision,
    CloseWon,
    CommandError,
    GotReferral,
    ListReferrals,
    MeetingHeld,
    NobodyToIntroduce,
    RefQuery,
    ScheduleMeeting,
    ShowStats,
    Thanked,
    usage_for,
)
from domain.periods import local_today, named_period, previous_period
from domain.prep import PREP_QUESTIONS, decode_answers, encode_answers
from domain.records import AskRecord, ReferralRecord, StatsReport, money_totals
from services.asks import ask_record
from services.client_followups import start_client_clock
from services.people import PeopleDirectory, Person
from services.teams import reps_managed_by, track_rep
from storage.convention_queries import sum_won_by_currency
from storage.engine import run_in_transaction
from storage.models import Referral
from storage.queries import (
    add_referral,
    count_open_referrals,
    find_open_ask_of_referrer,
    find_referrals_by_prospect,
    get_ask,
    get_referral_by_number,
    list_open_referrals,
    save_referral,
    set_ask_outcome,
)
from storage.report_queries import count_kpis
from storage.setting_queries import get_fiscal_year_start

LIST_USAGE = "/referral list"
PREP_ORDER = {key: index for index, (key, _) in enumerate(PREP_QUESTIONS)}


@dataclass(frozen=True)
class ReferralLogged:
    referral: ReferralRecord
    linked_ask: AskRecord | None


@dataclass(frozen=True)
class ReferralUpdated:
    referral: ReferralRecord
    change: str  # "meeting", "met", "won", "lost", "no_decision", "thanked"
    already: bool = False  # nothing changed: it was already in that state


@dataclass(frozen=True)
class NobodyLogged:
    ask: AskRecord | None
    referrer_name: str
    referrer_user_id: str | None
    occurred_on: date | None = None


@dataclass(frozen=True)
class OpenReferrals:
    referrals: tuple[ReferralRecord, ...]
    total_open: int


def referral_record(referral: Referral) -> ReferralRecord:
    return ReferralRecord(
        id=referral.id or 0, number=referral.number, prospect_name=referral.prospect_name,
        referrer_user_id=referral.referrer_user_id, referrer_name=referral.referrer_name,
        status=ReferralStatus(referral.status), introduced_on=referral.introduced_on,
        meeting_on=referral.meeting_on, meeting_held_on=referral.meeting_held_on, closed_on=referral.closed_on,
        amount=referral.amount, currency=referral.currency, close_reason=referral.close_reason, thanked_on=referral.thanked_on,
        meeting_scheduled_on=referral.meeting_scheduled_on, linked_ask_id=referral.ask_id,
        prep=tuple(sorted(decode_answers(referral.prep_notes).items(), key=lambda kv: PREP_ORDER[kv[0]])),
    )


def log_referral(
    *, session: Session, workspace: Workspace, rep: Person, command: GotReferral, now: datetime,
    ask_id: int | None = None, link_open_ask: bool = True,
) -> ReferralLogged:
    """An introduction received. It closes the given ask, or else (unless told not to) the referrer's
    latest open ask."""
    track_rep(session=session, workspace=workspace, user_id=rep.user_id, now=now)
    ask = get_ask(session=session, workspace=workspace, rep_user_id=rep.user_id, ask_id=ask_id) \
        if ask_id is not None else find_open_ask_of_referrer(
            session=session, workspace=workspace, rep_user_id=rep.user_id,
            referrer_user_id=command.referrer.user_id, referrer_name=command.referrer.name,
        ) if link_open_ask else None
    if ask is not None:
        set_ask_outcome(session=session, ask=ask, outcome=AskOutcome.INTRODUCED, outcome_on=command.occurred_on)
    referral = add_referral(
        session=session, workspace=workspace, rep_user_id=rep.user_id, prospect_name=command.prospect,
        referrer_user_id=command.referrer.user_id,
        referrer_name=command.referrer.name or command.referrer.user_id or "",
        ask_id=ask.id if ask else None, introduced_on=command.occurred_on, now=now,
    )
    return ReferralLogged(referral_record(referral), ask_record(ask) if ask else None)


def log_nobody(
    *, session: Session, workspace: Workspace, rep: Person, command: NobodyToIntroduce, now: datetime,
) -> NobodyLogged:
    """The person wanted to help but could not think of anyone: the ask still counted."""
    ask = find_open_ask_of_referrer(
        session=session, workspace=workspace, rep_user_id=rep.user_id,
        referrer_user_id=command.referrer.user_id, referrer_name=command.referrer.name,
    )
    if ask is not None:
        set_ask_outcome(session=session, ask=ask, outcome=AskOutcome.NOBODY, outcome_on=command.occurred_on)
    return NobodyLogged(ask_record(ask) if ask else None, command.referrer.name, command.referrer.user_id,
                        command.occurred_on)


def advance_referral(
    *, session: Session, workspace: Workspace, rep: Person,
    command: ScheduleMeeting | MeetingHeld | CloseWon | CloseLost | CloseNoDecision | Thanked, now: datetime,
) -> ReferralUpdated:
    """Move one referral a step along the funnel, refusing steps that make no sense."""
    today = local_today(now, rep.timezone)
    referral = _resolve(session=session, workspace=workspace, rep=rep, ref=command.ref, usage=usage_for(command))
    return _apply(referral, command, today=today, session=session, now=now)


def _apply(referral: Referral, command: object, *, today: date, session: Session, now: datetime) -> ReferralUpdated:
    status = ReferralStatus(referral.status)
    label = f"#{referral.number} {referral.prospect_name}"
    if not isinstance(command, Thanked) and status.is_closed:
        raise CommandError(f"{label} is already closed ({status.next_step.removeprefix('Closed: ')}).",
                           usage=usage_for(command))

    def done(change: str, already: bool = False) -> ReferralUpdated:
        if not already:
            save_referral(session=session, referral=referral, now=now)
        return ReferralUpdated(referral_record(referral), change, already)

    def not_before_introduction(day: date, what: str) -> date:
        if day < referral.introduced_on:
            raise CommandError(f"{label} was introduced on {referral.introduced_on:%a %-d %b}; {what} can't be earlier.",
                               usage=usage_for(command))
        return day

    match command:
        case ScheduleMeeting(meeting_on=meeting_on, booked_on=booked_on):
            if status is ReferralStatus.MEETING_HELD:
                raise CommandError(f"The meeting with {label} was already held; close it with won, lost or nodecision.",
                                   usage=usage_for(command))
            if booked_on is not None:
                referral.meeting_scheduled_on = not_before_introduction(booked_on, "the booking")
            else:  # the first booking counts; moving the meeting later doesn't book it again
                referral.meeting_scheduled_on = referral.meeting_scheduled_on or today
            referral.meeting_on = meeting_on
            referral.status = ReferralStatus.MEETING_SCHEDULED
            return done("meeting")
        case MeetingHeld(occurred_on=held_on):
            not_before_introduction(held_on, "the meeting")
            if status is ReferralStatus.MEETING_HELD:
                return done("met", already=True)
            # A meeting that was held was scheduled at some point, even if nobody logged it.
            referral.meeting_scheduled_on = referral.meeting_scheduled_on or held_on
            referral.meeting_held_on = held_on
            referral.status = ReferralStatus.MEETING_HELD
            return done("met")
        case CloseWon(amount=amount, currency=currency, occurred_on=closed_on):
            referral.status, referral.amount, referral.currency = ReferralStatus.WON, amount, currency
            referral.closed_on = not_before_introduction(closed_on or today, "the close")
            updated = done("won")
            # Every win becomes the next ask: "who do they know?" once they have been a client a while.
            start_client_clock(session=session, workspace=Workspace(referral.team_id, referral.enterprise_id),
                               rep_user_id=referral.rep_user_id, client_name=referral.prospect_name,
                               referral_id=referral.id, won_on=referral.closed_on, now=now)
            return updated
        case CloseLost(reason=reason, occurred_on=closed_on):
            referral.status, referral.close_reason = ReferralStatus.LOST, reason
            referral.closed_on = not_before_introduction(closed_on or today, "the close")
            return done("lost")
        case CloseNoDecision(reason=reason, occurred_on=closed_on):
            referral.status, referral.close_reason = ReferralStatus.NO_DECISION, reason
            referral.closed_on = not_before_introduction(closed_on or today, "the close")
            return done("no_decision")
        case Thanked():
            if referral.thanked_on is not None:
                return done("thanked", already=True)
            referral.thanked_on = today
            return done("thanked")
    raise AssertionError(f"unhandled command {command!r}")


def _resolve(*, session: Session, workspace: Workspace, rep: Person, ref: RefQuery, usage: str) -> Referral:
    """A <ref> is the short number, or an unambiguous part of the prospect's name."""
    if ref.number is not None:
        referral = get_referral_by_number(session=session, workspace=workspace, rep_user_id=rep.user_id,
                                          number=ref.number)
        if referral is None:
            raise CommandError(f"You have no referral #{ref.number}. `{LIST_USAGE}` shows yours.", usage=usage)
        return referral
    fragment = ref.text or ""
    matches = find_referrals_by_prospect(session=session, workspace=workspace, rep_user_id=rep.user_id,
                                         fragment=fragment)
    open_matches = [r for r in matches if not ReferralStatus(r.status).is_closed]
    if len(matches) == 1:
        return matches[0]
    if len(open_matches) == 1:
        return open_matches[0]
    if not matches:
        names = [r.prospect_name for r in list_open_referrals(session=session, workspace=workspace,
                                                              rep_user_id=rep.user_id)]
        close = difflib.get_close_matches(fragment, names, n=1, cutoff=0.5)
        hint = f" Did you mean {close[0]}?" if close else f" `{LIST_USAGE}` shows yours."
        raise CommandError(f"No referral of yours matches “{fragment}”.{hint}", usage=usage)
    listed = ", ".join(f"#{r.number} {r.prospect_name}" for r in matches[:5])
    raise CommandError(f"“{fragment}” matches several referrals: {listed}. Use the number.", usage=usage)


def open_referrals(*, session: Session, workspace: Workspace, rep: Person, command: ListReferrals) -> OpenReferrals:
    rows = list_open_referrals(session=session, workspace=workspace, rep_user_id=rep.user_id)
    total = count_open_referrals(session=session, workspace=workspace, rep_user_id=rep.user_id)
    return OpenReferrals(tuple(referral_record(r) for r in rows), total)


def stats(*, session: Session, workspace: Workspace, rep: Person, command: ShowStats, now: datetime,
          people: PeopleDirectory | None = None) -> StatsReport:
    """A rep's own numbers; a manager may name a rep of one of their teams, an admin anyone.

    The period is always the subject's: a manager asking for a rep's week gets the
    rep's Monday-to-Sunday in the rep's own zone, the same week the rep sees.
    """
    subject = command.user_id or rep.user_id
    if subject != rep.user_id and not rep.is_admin and subject not in reps_managed_by(
            session=session, workspace=workspace, manager_user_id=rep.user_id):
        raise CommandError("You can see your own numbers, and managers those of their teams' reps.",
                           usage=usage_for(command))
    zone = rep.timezone if subject == rep.user_id or people is None else \
        people.cached_person(workspace=workspace, user_id=subject).timezone
    try:
        current = named_period(command.period, local_today(now, zone),
                               fiscal_start_month=get_fiscal_year_start(session=session, workspace=workspace))
    except ValueError as error:
        raise CommandError(str(error), usage=usage_for(command)) from None
    previous = previous_period(current)
    counts = [
        count_kpis(session=session, workspace=workspace, rep_user_ids=[subject], start=p.start, end=p.end)
        for p in (current, previous)
    ]
    won = sum_won_by_currency(session=session, workspace=workspace, rep_user_ids=[subject], start=current.start,
                              end=current.end)
    return StatsReport(current, previous, counts[0], counts[1],
                       subject_user_id=subject if subject != rep.user_id else None,
                       won_amounts=money_totals(won))


def get_referral(*, session: Session, workspace: Workspace, rep: Person, number: int) -> ReferralRecord | None:
    row = get_referral_by_number(session=session, workspace=workspace, rep_user_id=rep.user_id, number=number)
    return referral_record(row) if row else None


def save_prep(
    *, engine: sa.Engine, workspace: Workspace, rep: Person, number: int, answers: dict[str, str], now: datetime,
) -> ReferralRecord:
    """The rep's answers to the pre-meeting checklist, kept on the referral (a second save replaces them)."""

    def work(session: Session) -> ReferralRecord:
        referral = get_referral_by_number(session=session, workspace=workspace, rep_user_id=rep.user_id, number=number)
        if referral is None:
            raise CommandError(f"You have no referral #{number}; nothing was saved.", usage=LIST_USAGE)
        referral.prep_notes = encode_answers(answers)
        return referral_record(save_referral(session=session, referral=referral, now=now))

    return run_in_transaction(engine, work)


def set_close_reason(
    *, engine: sa.Engine, workspace: Workspace, rep: Person, number: int, reason: str, now: datetime,
) -> ReferralRecord:
    """The one line on why a referral was lost or ended without a decision."""

    def work(session: Session) -> ReferralRecord:
        referral = get_referral_by_number(session=session, workspace=workspace, rep_user_id=rep.user_id, number=number)
        if referral is None or referral.status not in (ReferralStatus.LOST, ReferralStatus.NO_DECISION):
            raise CommandError(f"Referral #{number} isn't closed as lost or no decision, so it needs no reason.",
                               usage=usage_for(CloseLost))
        referral.close_reason = reason
        return referral_record(save_referral(session=session, referral=referral, now=now))

    return run_in_transaction(engine, work)
