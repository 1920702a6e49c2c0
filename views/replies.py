"""Ephemeral replies to /asked and /referral, as pure Block Kit builders."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from domain.funnel import ReferralStatus
from domain.kpis import KPI_LABELS, OUTCOME_LABELS
from domain.records import AskRecord, ReferralRecord, StatsReport, WeekProgress
from domain.words import count_of
from views import ids
from views.coaching import prep_lines
from views.text import (
    MESSAGE_BLOCK_LIMIT,
    button,
    clip,
    context,
    day,
    escape,
    member,
    mention,
    message,
    packed_sections,
    person,
    section,
    trend,
)

Message = dict[str, Any]


def progress_line(progress: WeekProgress) -> str:
    count = f"{count_of(progress.asks, 'ask')} this week (minimum {progress.minimum})"
    if progress.met:
        return f":white_check_mark: {count}. Keep the habit going."
    left = "today is the last day" if progress.days_left == 1 else f"{progress.days_left} days left"
    return f":hourglass_flowing_sand: {count}; {left}. Who else will you ask?"


def on_day(d: date, today: date | None = None) -> str:
    """The date a reply echoes, always in full so the rep sees what was understood: "Fri 20 Nov"."""
    return f"{d:%a} {d.day} {d:%b}" + (f" {d.year}" if today is not None and d.year != today.year else "")


def when(d: date, today: date, preposition: str = "on") -> str:
    """"today (Fri 20 Nov)", "yesterday (Thu 19 Nov)", or "on Tue 17 Nov": relative words keep the full date."""
    relative = day(d, today)
    if relative in ("today", "yesterday", "tomorrow"):
        return f"{relative} ({on_day(d, today)})"
    return f"{preposition} {on_day(d, today)}"


def _ask_line(ask: AskRecord, today: date) -> str:
    line = f"{person(ask.asked_user_id, ask.asked_name)}"
    if ask.for_whom:
        line += f" for an introduction to {escape(ask.for_whom)}"
    return line + f" {when(ask.asked_on, today)}"


def asks_logged(*, logged: Sequence[AskRecord], duplicates: Sequence[AskRecord], progress: WeekProgress,
                today: date, again_today: Sequence[AskRecord] = ()) -> Message:
    blocks: list[dict[str, Any]] = []
    if logged:
        blocks.append(section(f":raised_hands: Logged {count_of(len(logged), 'ask')}. Nice."))
        for ask in logged:
            block = section(f"• You asked {_ask_line(ask, today)}")
            block["accessory"] = button("Log what happened", ids.LOG_ASK_OUTCOME, str(ask.id))
            blocks.append(block)
    if duplicates:
        names = ", ".join(person(a.asked_user_id, a.asked_name) for a in duplicates)
        blocks.append(context(f"Already logged a moment ago, not counted twice: {names}"))
    for ask in again_today:
        # Counted (it may be a second conversation), but the rep may have retyped it: undo is one click.
        block = section(f":repeat: You had already logged an ask of {person(ask.asked_user_id, ask.asked_name)} "
                        "today; this one counts too.")
        block["accessory"] = button("Undo this one", ids.UNDO_ASK, str(ask.id))
        blocks.append(block)
    blocks.append(context(progress_line(progress)))
    if logged:
        blocks.append({"type": "actions", "elements": [
            button("Undo", ids.UNDO_ASK, ",".join(str(a.id) for a in logged)),
        ]})
    first = logged[0] if logged else None
    text = (f"Logged: asked {first.asked_name or first.asked_user_id} on {on_day(first.asked_on)}"
            + (f" and {count_of(len(logged) - 1, 'more ask')}" if len(logged) > 1 else "")
            + f". {count_of(progress.asks, 'ask')} this week.") if first else "Already logged."
    if again_today:
        text += " Some were already logged today; each counts, and Undo is one click."
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


def already_received() -> Message:
    """The same signed request again (a retry or a replay): it was taken once, and only once."""
    text = ":information_source: Already received: that exact request was taken once and isn't stored again."
    return message("Already received; not stored twice.", [section(text)])


def stored_but_unanswered(command_text: str) -> Message:
    """A command whose change was saved, but whose reply could not be built: say what was stored."""
    text = (f":white_check_mark: Saved: `{escape(clip(command_text, 300))}`. Something went wrong showing the rest "
            "of the reply; don't type it again.")
    return message("Saved; don't type it again.", [section(text)])


def referral_logged(*, referral: ReferralRecord, linked_ask: AskRecord | None, today: date) -> Message:
    who = person(referral.referrer_user_id, referral.referrer_name)
    head = (f":tada: Referral *#{referral.number}*: {escape(referral.prospect_name)}, introduced by {who} "
            f"{when(referral.introduced_on, today)}).")
    note = ("Linked to your ask of " + person(linked_ask.asked_user_id, linked_ask.asked_name)
            + f" {when(linked_ask.asked_on, today)}.") if linked_ask else "No open ask of this person, logged on its own."
    blocks = [section(head), context(note),
              context(f"Next: book the meeting with `/referral meeting {referral.number} <date>`, and thank {who}.")]
    return message(f"Referral #{referral.number} logged: {escape(referral.prospect_name)}", blocks)


def nobody_logged(*, ask: AskRecord | None, referrer_user_id: str | None, referrer_name: str,
                  on: date | None = None, today: date | None = None) -> Message:
    who = person(referrer_user_id, referrer_name)
    if ask is not None:
        said = f" {when(on, today)}" if on is not None and today is not None else ""
        text = (f":handshake: Noted: {who} wanted to help but couldn't think of anyone{said}. "
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


def money(amount: Decimal, currency: str | None) -> str:
    """An amount as stored, to the cent, with its currency code when it has one: "12,000.00 EUR"."""
    return f"{amount:,.2f} {currency}" if currency else f"{amount:,.2f}"


def money_totals_text(totals: Sequence[tuple[str | None, Decimal]]) -> str:
    """Won amounts per currency, never added across currencies: "12,000.00 EUR + 5,000.00 USD"."""
    return " + ".join(money(amount, currency) for currency, amount in totals)


def _amount(amount: Decimal | None, currency: str | None = None) -> str:
    return "" if amount is None else f" ({money(amount, currency)})"


def referral_updated(*, referral: ReferralRecord, change: str, already: bool, today: date) -> Message:
    label = f"*#{referral.number}* {escape(referral.prospect_name)}"
    if already:
        text = f":information_source: {label}: already marked as {_CHANGE_TEXT[change].lower()}."
        return message(text, [section(text)])
    detail = ""
    if change == "meeting":
        booked = f"booked {when(referral.meeting_scheduled_on, today)}" if referral.meeting_scheduled_on else ""
        detail = (f" for {when(referral.meeting_on, today, '').strip()}" if referral.meeting_on else "") + \
            (f" ({booked})" if booked else "")
    if change == "met" and referral.meeting_held_on:
        detail = f" {when(referral.meeting_held_on, today)}"
    if change in ("won", "lost", "no_decision") and referral.closed_on:
        detail = f" {when(referral.closed_on, today)}"
    if change == "won":
        detail += _amount(referral.amount, referral.currency)
    if change in ("lost", "no_decision") and referral.close_reason:
        detail += f": {escape(referral.close_reason)}"
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
    for key, label in KPI_LABELS + OUTCOME_LABELS:
        a, b = getattr(current, key), getattr(previous, key)
        rows.append(f"{label}: *{a}*  (before: {b}, {trend(a, b)})")
    if report.won_amounts:
        rows.append(f"Won value: *{money_totals_text(report.won_amounts)}*")
    whose = f"{mention(report.subject_user_id)}'s numbers" if report.subject_user_id else "Your numbers"
    calendar = " (their calendar)" if report.subject_user_id else ""
    text = (f"*{whose}, {report.current.label}*{calendar} (compared with {report.previous.label})\n"
            + "\n".join(rows))
    return message(f"{whose}, {report.current.label}: {count_of(current.asks, 'ask')}", [section(text)])


def plan_reply(plan: Any, minimum: int) -> Message:
    """The referral math, worked backwards, with the rates it used and what they rest on."""
    rates = "\n".join(
        f"• {rate.name}: {rate.value:.0%} ({rate.source}"
        + (f", from {count_of(rate.based_on, 'event')})" if rate.based_on else ")")
        for rate in plan.rates)
    text = (f":dart: *{count_of(plan.clients, 'new client')}* in {count_of(plan.weeks, 'week')} takes about "
            f"*{count_of(plan.asks, 'ask')}* → {count_of(plan.introductions, 'introduction')} → "
            f"{count_of(plan.meetings, 'meeting')} → {count_of(plan.clients, 'deal')}.\n"
            f"That's *{count_of(plan.asks_per_week, 'ask')} a week*.")
    blocks = [section(text), context("Rates used:\n" + rates)]
    if plan.asks_per_week > minimum:
        blocks.append(context(f"That is above your team's minimum of {minimum} a week: plan your names now."))
    return message(f"{count_of(plan.clients, 'client')}: about {count_of(plan.asks_per_week, 'ask')} a week", blocks)


def commitments_reply(*, open_people: Sequence[tuple[str | None, str]], kept: Sequence[tuple[str | None, str]]) -> Message:
    names = ", ".join(person(uid, name) for uid, name in open_people) or "nobody left"
    text = f":memo: This week you'll ask: {names}."
    blocks = [section(text)]
    if kept:
        blocks.append(context("Already asked: " + ", ".join(person(uid, name) for uid, name in kept)))
    blocks.append(context("Each one is ticked off when you log the ask with `/asked`."))
    return message(text, blocks)


def review_reply(review: Any) -> Message:
    lines = [f"{o.label}: *{o.won}* won · *{o.lost}* lost · *{o.no_decision}* no decision"
             + (f" · won value {money_totals_text(o.won_amounts)}" if o.won_amounts else "") for o in review.breakdown]
    blocks = [section(":mag: *How referrals closed*\n" + "\n".join(lines))]
    detail = []
    for rep_user_id, referral in review.closed[:150]:
        reason = f": {escape(referral.close_reason)}" if referral.close_reason else ""
        amount = _amount(referral.amount, referral.currency) if referral.status is ReferralStatus.WON else ""
        detail.append(f"{member(rep_user_id)} #{referral.number} {escape(referral.prospect_name)}: "
                      f"{_CHANGE_TEXT[referral.status.value]}{amount}{reason}")
    blocks.extend(packed_sections(detail or ["Nothing closed yet."], f"*Closed in {review.period.label}*"))
    return message(f"Referral review, {review.period.label}", blocks)


def choose_amount(*, problem: str, choices: Sequence[tuple[str, str]]) -> Message:
    """An amount only the rep can settle: one button per reading, each carrying the whole command; nothing stored yet."""
    text = f":thinking_face: {escape(problem)}"
    return message(problem, [section(text), {"type": "actions", "elements": [
        button(label, ids.CHOOSE_AMOUNT, value) for label, value in choices]}])


def settings_reply(conventions: Any, *, changed: bool) -> Message:
    order = {"MDY": "month first (05/06 is May 6)", "DMY": "day first (05/06 is 5 June)"}
    marks = {".": "1,234.56", ",": "1.234,56"}
    lines = [
        f"Currency: *{conventions.currency or 'not set'}* (for amounts typed without one)",
        f"Numbers: *{marks.get(conventions.decimal_mark, 'not set: 12.000 is asked about')}*",
        f"Dates: *{order.get(conventions.date_order, 'not set: 05/06 is asked about')}*",
    ]
    head = ":white_check_mark: Saved. " if changed else ""
    return message(head + "Workspace settings", [section(head + "*How this workspace writes money and dates*\n"
                                                         + "\n".join(lines))])
