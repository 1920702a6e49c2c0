"""Block Kit for the scheduled messages: the rep's reminder, the manager's digest, the team leaderboard."""
from __future__ import annotations

from datetime import date
from typing import Any

from domain.cadence import WeekResult
from domain.kpis import KPI_LABELS, OUTCOME_LABELS, KpiCounts
from domain.nudges import (
    DigestContent,
    DigestRepLine,
    LeaderboardContent,
    ReminderContent,
    StuckReferral,
    digest_week_label,
)
from domain.words import count_of, plural
from views import ids
from views.replies import money_totals_text
from views.text import button, context, escape, member, mention, message, packed_sections, section, trend

Message = dict[str, Any]
BLOCKS_PER_MESSAGE = 48
_SPARKS = "▁▂▃▄▅▆▇"
_RESULT = {WeekResult.MISSED: ":warning: below minimum", WeekResult.PAUSED: ":palm_tree: paused",
           WeekResult.MET: ":white_check_mark: met", WeekResult.LEFT: ":wave: left"}


def reminder_message(content: ReminderContent, today: date) -> Message:
    left = "today is the last day of your week" if content.days_left == 1 else f"{content.days_left} days left in your week"
    head = (f":alarm_clock: *{content.asks} of {content.minimum}* {plural('ask', content.minimum)} this week; {left}. "
            "One conversation is all it takes: who will you ask today?")
    blocks = [section(head)]
    if content.commitments:
        names = ", ".join(escape(n) for n in content.commitments)
        blocks.append(section(f"You said you'd ask: {names}"))
    blocks.append({"type": "actions", "elements": [
        button("Log an ask", ids.OPEN_ASK_MODAL, "open", style="primary"),
        button("Snooze for this week (time off)", ids.SNOOZE_WEEK, content.week.start.isoformat()),
    ]})
    return message(f"{content.asks} of {content.minimum} {plural('ask', content.minimum)} this week; {left}.", blocks)


def _sparkline(values: tuple[int, ...]) -> str:
    top = max(values, default=0)
    steps = len(_SPARKS) - 1
    bars = _SPARKS[0] * len(values) if top == 0 else "".join([_SPARKS[round(v / top * steps)] for v in values])
    return f"{bars} ({', '.join(map(str, values))})"


def _kpis(counts: KpiCounts) -> str:
    return (f"Asked {counts.asks} · Referrals {counts.referrals} · Meetings {counts.meetings_scheduled}/"
            f"{counts.meetings_held} · Won {counts.won} · Lost {counts.lost} · No decision {counts.no_decision}")


def _rep_line(line: DigestRepLine) -> str:
    promised = (f" · kept {line.commitments_kept} of {line.commitments_made} commitments"
                if line.commitments_made else " · named nobody to ask")
    return (f"{member(line.user_id)} {_RESULT[line.result]}\n{_kpis(line.kpis)}\n"
            f"{line.streak}-week streak · 4 weeks: {_sparkline(line.trend)}{promised}")


def _referral_lines(referrals: tuple[StuckReferral, ...]) -> list[str]:
    # A digest lists many referrals of few reps (26,000 lines of 10,000 reps in a tick at scale): each rep's
    # mention is made once a digest.
    names: dict[str, str] = {}
    return [f"{names.get(s.rep_user_id) or names.setdefault(s.rep_user_id, member(s.rep_user_id))} #{s.number} "
            f"{escape(s.prospect_name)}: {escape(s.reason)}" for s in referrals]


def digest_messages(content: DigestContent) -> list[Message]:
    week_label, team_name = digest_week_label(content.week), escape(content.team_name)
    blocks: list[dict[str, Any]] = [section(
        f":bar_chart: *{team_name}*, last week: {week_label} in your calendar "
        f"(minimum {content.minimum} a week). Each rep's line counts what they logged for those dates.")]
    for totals in content.totals:
        rows = []
        for key, label in KPI_LABELS + OUTCOME_LABELS:
            now, before = getattr(totals.current, key), getattr(totals.previous, key)
            rows.append(f"{label}: *{now}* ({trend(now, before)})")
        if totals.won_amounts:
            rows.append(f"Won value: *{money_totals_text(totals.won_amounts)}*")
        blocks.append(section(f"*Team, {totals.label.lower()}*\n" + " · ".join(rows)))
    blocks.extend(section(_rep_line(line)) for line in content.reps)
    if content.stuck:
        blocks.extend(packed_sections(_referral_lines(content.stuck), "*Stuck referrals*"))
    if content.unthanked:
        blocks.extend(packed_sections(_referral_lines(content.unthanked), "*Waiting for a thank-you*"))
    if content.questions:
        blocks.append(section("*Questions for your one-to-ones with the reps who missed*\n"
                              + "\n".join(f"• {q}" for q in content.questions)))
    chunks = [blocks[i:i + BLOCKS_PER_MESSAGE] for i in range(0, len(blocks), BLOCKS_PER_MESSAGE)]
    messages = []
    for n, chunk in enumerate(chunks, start=1):
        if n > 1:
            chunk = [context(f"(continued, part {n} of {len(chunks)})"), *chunk]
        messages.append(message(f"Referral digest for {team_name}, {week_label}"
                                + (f" (part {n} of {len(chunks)})" if len(chunks) > 1 else ""), chunk))
    return messages


_MEDALS = (":first_place_medal:", ":second_place_medal:", ":third_place_medal:")
LEADERBOARD_RANKS = 40


def leaderboard_message(content: LeaderboardContent) -> Message:
    title = f":trophy: *{escape(content.team_name)} leaderboard*, {content.period.label}"
    blocks = [section(title)]
    if not content.entries:
        text = f"No asks logged yet for the {content.period.label}; the first ask puts you on the board."
        blocks.append(section(text))
        return message(text, blocks)
    shown = content.entries[:LEADERBOARD_RANKS]
    lines = [f"{_MEDALS[i] if i < 3 else f'{i + 1}.'} {mention(e.user_id)}: {count_of(e.asks, 'ask')} · "
             f"{count_of(e.referrals, 'referral')}"
             for i, e in enumerate(shown)]
    if len(content.entries) > len(shown):
        lines.append(f"…and {len(content.entries) - len(shown)} more")
    blocks.extend(packed_sections(lines, ""))
    status = "✅" if content.team_asks >= content.target else f"{content.target - content.team_asks} to go"
    blocks.append(section(f"Team: *{content.team_asks}* {plural('ask', content.team_asks)} of a {content.target} "
                          f"target {status}"))
    if content.longest_streaks:
        blocks.append(context("Longest streaks: " + ", ".join(f"{mention(e.user_id)} {count_of(e.streak, 'week')}"
                                                              for e in content.longest_streaks)))
    return message(f"{escape(content.team_name)} leaderboard, {content.period.label}", blocks)


def commitment_prompt_message(week_label: str) -> Message:
    text = (":wave: New week. *Who will you ask for an introduction this week?* "
            "Name them now; the names are what make the asks happen.")
    blocks = [section(text), {"type": "actions", "elements": [
        button("Name them", ids.OPEN_COMMIT_MODAL, week_label, style="primary")]},
        context("Or type `/referral commit Jane; @raj; Maria Lopez`.")]
    return message("Who will you ask for an introduction this week?", blocks)
