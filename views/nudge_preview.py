"""Block Kit for the managers' preview of this week's reminders, their notes and skips, and the note in a nudge."""
from __future__ import annotations

from datetime import date
from typing import Any

from domain.habit_records import AT_MINIMUM, PAUSED, SENT, SKIP, WILL_NUDGE, NudgePreview, PreviewChange, RepPreview
from domain.words import count_of
from views.text import context, day, escape, message, packed_sections, section

Message = dict[str, Any]
_STATUS = {WILL_NUDGE: ":bell: will be nudged", AT_MINIMUM: ":white_check_mark: at the minimum, no nudge",
           PAUSED: ":palm_tree: on time off, no nudge", SENT: ":outbox_tray: nudged already",
           SKIP: ":no_bell: skipped"}


def _line(rep: RepPreview, today: date) -> str:
    last = f"last ask {day(rep.last_ask, today)}" if rep.last_ask else "no ask logged yet"
    when = f"{rep.reminder_at:%a %H:%M} their time" if rep.status == WILL_NUDGE else ""
    parts = [f"<@{rep.user_id}> {_STATUS[rep.status]}" + (f" ({when})" if when else ""),
             f"{rep.asks} of {rep.minimum} asks this week · {last}" + (" · paused" if rep.paused else "")]
    if rep.skip_reason:
        parts.append(f"Skip reason: {escape(rep.skip_reason)}")
    if rep.note:
        parts.append(f"Your note: “{escape(rep.note)}”")
    return "\n".join(parts)


def preview_message(preview: NudgePreview, today: date) -> Message:
    teams = ", ".join(escape(n) for n in preview.team_names)
    nudged = sum(r.status == WILL_NUDGE for r in preview.reps)
    blocks = [section(f":eyes: *This week's reminders*, {teams}: {nudged} of {count_of(len(preview.reps), 'rep')} "
                      "will be nudged")]
    blocks.extend(packed_sections([_line(r, today) for r in preview.reps]) if preview.reps
                  else [section("No reps on your teams yet.")])
    blocks.append(context("Add a line to a nudge: `/referral preview note @rep …` · skip one this week: "
                          "`/referral preview skip @rep <reason>`. Both show in your next digest."))
    return message(f"This week's reminders for {', '.join(preview.team_names)}: {nudged} will be nudged", blocks)


def change_message(change: PreviewChange) -> Message:
    text = (f"Added your note to <@{change.rep_user_id}>'s nudge for the {change.week.label}." if change.what == "note"
            else f"<@{change.rep_user_id}> won't be nudged in the {change.week.label}; the reason is kept.")
    return message(text, [section(f":white_check_mark: {text}"), context("It shows in your next digest.")])


def with_manager_note(reminder: Message, note: str | None, manager_user_id: str | None = None) -> Message:
    """The reminder with the manager's line under its first section."""
    if not note:
        return reminder
    blocks = list(reminder.get("blocks", []))
    blocks.insert(1, section(f":speech_balloon: From your manager: “{escape(note)}”"))
    return {**reminder, "blocks": blocks}
