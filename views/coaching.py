"""The pre-meeting checklist and the modals that save prep answers and close reasons."""
from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from domain.prep import ANSWER_LIMIT, PREP_QUESTIONS, SHORT_LABELS
from domain.records import ReferralRecord
from views import ids
from views.text import button, clip, context, day, escape, message, person, section

Message = dict[str, Any]


def prep_checklist_message(referral: ReferralRecord, today: date) -> Message:
    when = f" {day(referral.meeting_on, today)}" if referral.meeting_on else ""
    who = person(referral.referrer_user_id, referral.referrer_name)
    title = (f":clipboard: *Your meeting with {escape(referral.prospect_name)}{when}* (#{referral.number}, "
             f"introduced by {who}). Ten minutes of prep now:")
    questions = "\n".join(f"{n}. {question}" for n, (_, question) in enumerate(PREP_QUESTIONS, 1))
    blocks = [section(title), section(questions),
              {"type": "actions", "elements": [button("Save my prep", ids.OPEN_PREP_MODAL, str(referral.number),
                                                      style="primary")]}]
    if referral.prep:
        blocks.append(context("You already saved some prep; the button lets you add to it."))
    return message(f"Prep for your meeting with {escape(referral.prospect_name)}{when}", blocks)


def prep_lines(referral: ReferralRecord, limit: int = 120) -> str:
    """The saved answers in a line each, clipped, for lists and the home tab."""
    return "\n".join(f"_{SHORT_LABELS[key]}:_ {escape(clip(answer, limit))}" for key, answer in referral.prep)


def prep_modal(referral: ReferralRecord) -> dict[str, Any]:
    saved = dict(referral.prep)
    blocks: list[dict[str, Any]] = [section(f"*#{referral.number} {escape(referral.prospect_name)}*, introduced by "
                                            f"{person(referral.referrer_user_id, referral.referrer_name)}")]
    for key, question in PREP_QUESTIONS:
        element: dict[str, Any] = {"type": "plain_text_input", "action_id": ids.PREP_ACTION, "multiline": True,
                                   "max_length": ANSWER_LIMIT}
        if key in saved:
            element["initial_value"] = saved[key]
        blocks.append({"type": "input", "block_id": ids.PREP_BLOCK_PREFIX + key, "optional": True,
                       "label": {"type": "plain_text", "text": question}, "element": element})
    return {
        "type": "modal", "callback_id": ids.PREP_MODAL,
        "private_metadata": json.dumps({"number": referral.number}),
        "title": {"type": "plain_text", "text": "Meeting prep"},
        "submit": {"type": "plain_text", "text": "Save my prep"},
        "close": {"type": "plain_text", "text": "Later"},
        "blocks": blocks,
    }


def meeting_modal(referral: ReferralRecord, today: date) -> dict[str, Any]:
    """The day of the meeting, from the Home tab; the checklist follows as with /referral meeting."""
    return {
        "type": "modal", "callback_id": ids.MEETING_MODAL,
        "private_metadata": json.dumps({"number": referral.number}),
        "title": {"type": "plain_text", "text": "Schedule the meeting"},
        "submit": {"type": "plain_text", "text": "Save"},
        "blocks": [
            section(f"*#{referral.number} {escape(referral.prospect_name)}*, introduced by "
                    f"{person(referral.referrer_user_id, referral.referrer_name)}"),
            {"type": "input", "block_id": ids.MEETING_DATE_BLOCK, "label": {"type": "plain_text", "text": "When?"},
             "element": {"type": "datepicker", "action_id": ids.MEETING_DATE_ACTION,
                         "initial_date": (today + timedelta(days=1)).isoformat()}},
        ],
    }


def close_reason_modal(referral: ReferralRecord) -> dict[str, Any]:
    outcome = "lost" if referral.status == "lost" else "closed without a decision"
    return {
        "type": "modal", "callback_id": ids.CLOSE_REASON_MODAL,
        "private_metadata": json.dumps({"number": referral.number}),
        "title": {"type": "plain_text", "text": "Why did it close?"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Skip"},
        "blocks": [
            section(f"*#{referral.number} {escape(referral.prospect_name)}* {outcome}. One line on why helps you "
                    "and your manager spot the pattern."),
            {"type": "input", "block_id": ids.CLOSE_REASON_BLOCK,
             "label": {"type": "plain_text", "text": "Reason"},
             "element": {"type": "plain_text_input", "action_id": ids.CLOSE_REASON_ACTION, "max_length": 300,
                         "placeholder": {"type": "plain_text", "text": "Went with a competitor on price"}}},
        ],
    }


def reason_saved(referral: ReferralRecord) -> Message:
    text = f":memo: Saved the reason for *#{referral.number}* {escape(referral.prospect_name)}: " \
           f"{escape(referral.close_reason or '')}"
    return message(f"Reason saved for #{referral.number}", [section(text)])


def prep_saved(referral: ReferralRecord) -> Message:
    text = f":white_check_mark: Prep saved for *#{referral.number}* {escape(referral.prospect_name)}. " \
           "It shows in `/referral list` and on the bot's Home tab."
    return message(f"Prep saved for #{referral.number}", [section(text), context(prep_lines(referral, 300))])
