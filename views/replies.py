"""Ephemeral replies to /asked and /referral, as pure Block Kit builders."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from domain.funnel import ReferralStatus
from domain.kpis import KPI_LABELS, KpiCounts
from domain.records import AskRecord, ReferralRecord, StatsReport, WeekProgress
from views import ids
from views.coaching import prep_lines
from views.text import (
    MESSAGE_BLOCK_LIMIT,
    button,
    clip,
    context,
    day,
    escape,
    mention,
    message,
    packed_sections,
    person,
    section,
    trend,
)

Message = dict[str, Any]


def progress_line(progress: WeekProgress) -> str:
    count = f"{progress.asks} ask{'s' if progress.asks != 1 else ''} this week (minimum {progress.minimum})"
    if progress.met:
        return f":white_check_mark: {count}. Keep the habit going."
    left = "today is the last day" if progress.days_left == 1 else f"{progress.days_left} days left"
    return f":hourglass_flowing_sand: {count}; {left}. Who else will you ask?"


def _ask_line(ask: AskRecord, today: date) -> str:
    line = f"{person(ask.asked_user_id, ask.asked_name)}"
    if ask.for_whom:
        line += f" for an introduction to {escape(ask.for_whom)}"
    return line + f" ({day(ask.asked_on, today)})"


def asks_logged(*, logged: Sequence[AskRecord], duplicates: Sequence[AskRecord], progress: WeekProgress,
                today: date) -> Message:
    blocks: list[dict[str, Any]] = []
    if logged:
        blocks.append(section(f":raised_hands: Logged {len(logged)} ask{'s' if len(logged) != 1 else ''}. Nice."))
        for ask in logged:
            block = section(f"• You asked {_ask_line(ask, today)}")
            block["accessory"] = button("Log what happened", ids.LOG_ASK_OUTCOME, str(ask.id))
            blocks.append(block)
    if duplicates:
        names = ", ".join(person(a.asked_user_id, a.asked_name) for a in duplicates)
        blocks.append(context(f"Already logged a moment ago, not counted twice: {names}"))
    blocks.append(context(progress_line(progress)))
    if logged:
        blocks.append({"type": "actions", "elements": [
            button("Undo", ids.UNDO_ASK, ",".join(str(a.id) for a in logged)),
        ]})
    text = f"Logged {len(logged)} ask(s). {progress.asks} this week." if logged else "Already logged."
    return message(text, blocks)


def ask_removed(*, removed: Sequence[AskRecord], reason: str | None, progress: WeekProgress, today: date) -> Message:
    if removed:
        lines = "\n".join(f"• {_ask_line(a, today)}" for a in removed)
        head = f":leftwards_arrow_with_hook: Removed:\n{lines}"
    else:
        head = f":information_source: {escape(reason or 'Nothing to undo.')}"
    return message(head, [section(head), context(progress_line(progress))])


def usage_message(title: str, lines: Sequence[tuple[str, str]]) -> Message:
    body = "\n".join(f"`{escape(usage)}`  {escape(description)}" for usage, description in lines)
    return message(title, [section(f"*{escape(title)}*"), section(body)])


def command_error(*, problem: str, usage: str, suggestion: str | None = None) -> Message:
    text = f":warning: {escape(problem)}"
    # Usage can span several lines: a code block keeps them apart and unformatted.
    blocks = [section(text), section(f"Try:\n```{escape(clip(usage, 2000))}```")]
    return message(escape(problem), blocks)


def database_unavailable() -> Message:
    text = (":warning: The bot can't save anything right now (its database is unavailable), so nothing from "
            "your last command was saved. Please try again in a few minutes; if it keeps happening, tell your admin.")
    return message("Nothing was saved: the database is unavailable. Try again in a few minutes.", [section(text)])


def internal_error() -> Message:
    text = (":warning: Something went wrong on our side and your last command was not saved. "
            "Please try again in a minute.")
    return message("Something went wrong; please try again.", [section(text)])


def referral_logged(*, referral: ReferralRecord, linked_ask: AskRecord | None, today: date) -> Message:
    who = person(referral.referrer_user_id, referral.referrer_name)
    head = (f":tada: Referral *#{referral.number}*: {escape(referral.prospect_name)}, introduced by {who} "
            f"({day(referral.introduced_on, today)}).")
    note = ("Linked to your ask of " + person(linked_ask.asked_user_id, linked_ask.asked_name)
            + f" from {day(linked_ask.asked_on, today)}.") if linked_ask else "No open ask of this person, logged on its own."
    blocks = [section(head), context(note),
              context(f"Next: book the meeting with `/referral meeting {referral.number} <date>`, and thank {who}.")]
    return message(f"Referral #{referral.number} logged: {escape(referral.prospect_name)}", blocks)


def nobody_logged(*, ask: AskRecord | None, referrer_user_id: str | None, referrer_name: str) -> Message:
    who = person(referrer_user_id, referrer_name)
    if ask is not None:
        text = (f":handshake: Noted: {who} wanted to help but couldn't think of anyone. "
                "The ask still counts; ask again in a few months.")
    else:
        text = (f":information_source: You have no open ask of {who}. Log the ask first with `/asked`, "
                "then mark it with `/referral nobody`.")
    return message(text, [section(text)])


_CHANGE_TEXT = {
    "meeting": "Meeting scheduled",
    "met": "Meeting held",
    "won": "Won",
    "lost": "Lost",
    "no_decision": "Closed with no decision",
    "thanked": "Thanked the referrer",
}


def _amount(amount: Decimal | None) -> str:
    return "" if amount is None else f" ({amount:,.2f})"


def referral_updated(*, referral: ReferralRecord, change: str, already: bool, today: date) -> Message:
    label = f"*#{referral.number}* {escape(referral.prospect_name)}"
    if already:
        text = f":information_source: {label}: already marked as {_CHANGE_TEXT[change].lower()}."
        return message(text, [section(text)])
    detail = ""
    if change == "meeting" and referral.meeting_on:
        detail = f" for {day(referral.meeting_on, today)}"
    if change == "met" and referral.meeting_held_on:
        detail = f" on {day(referral.meeting_held_on, today)}"
    if change == "won":
        detail = _amount(referral.amount)
    if change in ("lost", "no_decision") and referral.close_reason:
        detail = f": {escape(referral.close_reason)}"
    text = f":white_check_mark: {label}: {_CHANGE_TEXT[change]}{detail}."
    blocks = [section(text)]
    if change in ("lost", "no_decision") and not referral.close_reason:
        block = section(":memo: One line on why? It's how you and your manager learn from it.")
        block["accessory"] = button("Add the reason", ids.ADD_CLOSE_REASON, str(referral.number))
        blocks.append(block)
    who = person(referral.referrer_user_id, referral.referrer_name)
    if change in ("met", "won", "lost", "no_decision") and referral.thanked_on is None:
        # Nobody should lose a referral source by going silent: nudge right when there is news to share.
        block = section(f":pray: Close the loop: thank {who} and tell them how it went.")
        block["accessory"] = button("Done: I thanked them", ids.MARK_THANKED, str(referral.number))
        blocks.append(block)
    return message(f"#{referral.number} {escape(referral.prospect_name)}: {_CHANGE_TEXT[change]}", blocks)


def next_step_text(referral: ReferralRecord, today: date) -> str:
    step = referral.status.next_step
    if referral.status is ReferralStatus.MEETING_SCHEDULED and referral.meeting_on:
        step = f"Meeting {day(referral.meeting_on, today)}"
    if referral.thanked_on is None and referral.status is not ReferralStatus.INTRODUCED:
        step += "; thank the referrer"
    return step


def referral_list(*, referrals: Sequence[ReferralRecord], total_open: int, today: date) -> Message:
    if not referrals:
        text = "You have no open referrals. Every introduction starts with an ask: `/asked <name>`."
        return message(text, [section(text)])
    blocks = [section(f"*Your open referrals ({total_open})*")]
    shown = 0
    for referral in referrals:
        entry = [section(
            f"*#{referral.number}* {escape(referral.prospect_name)}, from "
            f"{person(referral.referrer_user_id, referral.referrer_name)} ({day(referral.introduced_on, today)})\n"
            f"Next: {next_step_text(referral, today)}"
        )] + ([context(prep_lines(referral))] if referral.prep else [])
        if len(blocks) + len(entry) > MESSAGE_BLOCK_LIMIT - 1:  # keep room for the "showing" line
            break
        blocks.extend(entry)
        shown += 1
    if total_open > shown:
        blocks.append(context(f"Showing {shown} of {total_open}."))
    return message(f"Your open referrals ({total_open})", blocks)


def stats_report(report: StatsReport) -> Message:
    current, previous = report.current_counts, report.previous_counts
    rows = []
    for key, label in KPI_LABELS:
        a, b = getattr(current, key), getattr(previous, key)
        rows.append(f"{label}: *{a}*  (before: {b}, {trend(a, b)})")
    closed = _closed_line(current)
    whose = f"{mention(report.subject_user_id)}'s numbers" if report.subject_user_id else "Your numbers"
    text = (f"*{whose}, {report.current.label}* (compared with {report.previous.label})\n"
            + "\n".join(rows) + (f"\n{closed}" if closed else ""))
    return message(f"Your numbers, {report.current.label}: {current.asks} asks", [section(text)])


def _closed_line(counts: KpiCounts) -> str:
    if not (counts.lost or counts.no_decision):
        return ""
    return f"Also closed: {counts.lost} lost, {counts.no_decision} no decision."


def plan_reply(plan: Any, minimum: int) -> Message:
    """The referral math, worked backwards, with the rates it used and what they rest on."""
    rates = "\n".join(
        f"• {rate.name}: {rate.value:.0%} ({rate.source}" + (f", from {rate.based_on} events)" if rate.based_on else ")")
        for rate in plan.rates)
    text = (f":dart: *{plan.clients} new client{'s' if plan.clients != 1 else ''}* in {plan.weeks} week(s) takes about "
            f"*{plan.asks} asks* → {plan.introductions} introductions → {plan.meetings} meetings → {plan.clients} deals.\n"
            f"That's *{plan.asks_per_week} asks a week*.")
    blocks = [section(text), context("Rates used:\n" + rates)]
    if plan.asks_per_week > minimum:
        blocks.append(context(f"That is above your team's minimum of {minimum} a week: plan your names now."))
    return message(f"{plan.clients} clients: about {plan.asks_per_week} asks a week", blocks)


def commitments_reply(*, open_people: Sequence[tuple[str | None, str]], kept: Sequence[tuple[str | None, str]]) -> Message:
    names = ", ".join(person(uid, name) for uid, name in open_people) or "nobody left"
    text = f":memo: This week you'll ask: {names}."
    blocks = [section(text)]
    if kept:
        blocks.append(context("Already asked: " + ", ".join(person(uid, name) for uid, name in kept)))
    blocks.append(context("Each one is ticked off when you log the ask with `/asked`."))
    return message(text, blocks)


def review_reply(review: Any) -> Message:
    lines = [f"{o.label}: *{o.won}* won · *{o.lost}* lost · *{o.no_decision}* no decision" for o in review.breakdown]
    blocks = [section(":mag: *How referrals closed*\n" + "\n".join(lines))]
    detail = []
    for rep_user_id, referral in review.closed[:150]:
        reason = f": {escape(referral.close_reason)}" if referral.close_reason else ""
        amount = _amount(referral.amount) if referral.status is ReferralStatus.WON else ""
        detail.append(f"{mention(rep_user_id)} #{referral.number} {escape(referral.prospect_name)}: "
                      f"{_CHANGE_TEXT[referral.status.value]}{amount}{reason}")
    blocks.extend(packed_sections(detail or ["Nothing closed yet."], f"*Closed in {review.period.label}*"))
    return message(f"Referral review, {review.period.label}", blocks)
