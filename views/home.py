"""The App Home tab, as one pure builder: the person's own habit first, then the teams they manage.

Slack refuses a Home view over 100 blocks; every part below has a budget, and
the team section packs reps into few sections, so any team size fits.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from domain.cadence import WeekResult
from domain.home import QUICK_STEP_LABELS, HomeContent, TeamThisWeek, quick_steps
from domain.kpis import KPI_LABELS, OUTCOME_LABELS
from domain.words import count_of, plural
from views import ids
from views.coaching import prep_lines
from views.replies import money_totals_text, next_step_text
from views.text import button, context, escape, mention, packed_sections, person, section

HOME_BLOCK_LIMIT = 100
_RESULT_MARK = {WeekResult.MET: ":white_check_mark:", WeekResult.PAUSED: ":palm_tree:", WeekResult.MISSED: ":hourglass:"}


def home_view(content: HomeContent, today: date) -> dict[str, Any]:
    blocks = _own_habit(content) + _open_referrals(content, today)
    teams = _teams(content.teams, room=HOME_BLOCK_LIMIT - len(blocks))
    blocks += teams
    assert len(blocks) <= HOME_BLOCK_LIMIT, len(blocks)
    return {"type": "home", "blocks": blocks}


def _own_habit(content: HomeContent) -> list[dict[str, Any]]:
    progress = content.progress
    mark = ":white_check_mark:" if progress.met else ":hourglass:"
    streak = f" · streak: *{content.streak}* {plural('week', content.streak)}" if content.streak else ""
    week = section(f"{mark} *This week: {progress.asks} of {progress.minimum}* {plural('ask', progress.minimum)}"
                   f" · {count_of(progress.days_left, 'day')} left{streak}")
    week["accessory"] = button("Log an ask", ids.OPEN_ASK_MODAL, style="primary")
    named = [f"~{escape(n)}~ :white_check_mark:" for n in content.commitments_kept] + \
        [escape(n) for n in content.commitments_open]
    promise = section("*Who you'll ask this week:* " + (", ".join(named) if named else "nobody named yet. "
                                                          "Get names: who could introduce you?"))
    promise["accessory"] = button("Name people", ids.OPEN_COMMIT_MODAL)
    rows = []
    for key, label in KPI_LABELS + OUTCOME_LABELS:
        rows.append(f"{label}: " + " · ".join(f"*{getattr(p.counts, key)}*" for p in content.kpis))
    if any(p.won_amounts for p in content.kpis):
        rows.append("Won value: " + " · ".join(f"*{money_totals_text(p.won_amounts) or '0'}*" for p in content.kpis))
    heads = " · ".join(p.period.label for p in content.kpis)
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": "Your referral habit"}}, week, promise,
              section(f"*So far* ({heads})\n" + "\n".join(rows))]
    if content.chart_file_id:
        blocks.append({"type": "image", "slack_file": {"id": content.chart_file_id},
                       "alt_text": "Asks and referrals received per week, last 12 weeks",
                       "title": {"type": "plain_text", "text": "Your last 12 weeks"}})
    return blocks


def _open_referrals(content: HomeContent, today: date) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [{"type": "divider"}, section(f"*Open referrals ({content.open_total})*")]
    if not content.open_referrals:
        blocks.append(context("None open. Every introduction starts with an ask."))
    for referral in content.open_referrals:
        entry = section(f"*#{referral.number}* {escape(referral.prospect_name)}, from "
                        f"{person(referral.referrer_user_id, referral.referrer_name)}\n"
                        f"Next: {next_step_text(referral, today)}")
        entry["accessory"] = {"type": "overflow", "action_id": ids.REFERRAL_MENU, "options": [
            {"text": {"type": "plain_text", "text": QUICK_STEP_LABELS[step]}, "value": f"{step}:{referral.number}"}
            for step in quick_steps(referral)]}
        blocks.append(entry)
        if referral.prep:
            blocks.append(context(prep_lines(referral)))
    if content.open_total > len(content.open_referrals):
        blocks.append(context(f"{content.open_total - len(content.open_referrals)} more: `/referral list`"))
    return blocks


def _teams(teams: tuple[TeamThisWeek, ...], room: int) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for index, team in enumerate(teams):
        behind = sum(r.result is WeekResult.MISSED for r in team.reps)
        part = [{"type": "divider"},
                section(f":busts_in_silhouette: *{escape(team.name)}* this week: {behind} of {len(team.reps)} "
                        f"below the minimum of {team.minimum}"),
                *packed_sections([f"{_RESULT_MARK[r.result]} {mention(r.user_id)}: {r.asks}" for r in team.reps])]
        if len(blocks) + len(part) > room - 1:  # keep room for the "more teams" line
            blocks.append(context(f"{count_of(len(teams) - index, 'more team')}: `/referral team show`"))
            break
        blocks += part
    return blocks
