"""Modals: logging an ask without typing, and recording what an ask led to."""
from __future__ import annotations

from datetime import date
from typing import Any

from domain.records import AskRecord
from views import ids
from views.text import clip, escape, person


def ask_modal(*, today: date, private_metadata: str = "") -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": ids.ASK_MODAL,
        "private_metadata": private_metadata[:3000],
        "title": {"type": "plain_text", "text": "Log an ask"},
        "submit": {"type": "plain_text", "text": "Log it"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            # dispatch_action: picking someone shows the connector heads-up before the ask is logged.
            {"type": "input", "block_id": ids.ASK_USER_BLOCK, "optional": True, "dispatch_action": True,
             "label": {"type": "plain_text", "text": "Who did you ask? (someone in Slack)"},
             "element": {"type": "users_select", "action_id": ids.ASK_USER_ACTION}},
            {"type": "input", "block_id": ids.ASK_NAME_BLOCK, "optional": True,
             "label": {"type": "plain_text", "text": "…or their name"},
             "element": {"type": "plain_text_input", "action_id": ids.ASK_NAME_ACTION, "max_length": 150,
                         "placeholder": {"type": "plain_text", "text": "Jane Doe"}}},
            {"type": "input", "block_id": ids.ASK_FOR_BLOCK, "optional": True,
             "label": {"type": "plain_text", "text": "Who did you ask to meet?"},
             "element": {"type": "plain_text_input", "action_id": ids.ASK_FOR_ACTION, "max_length": 200,
                         "placeholder": {"type": "plain_text", "text": "Bob Smith, CFO at Acme"}}},
            {"type": "input", "block_id": ids.ASK_DATE_BLOCK,
             "label": {"type": "plain_text", "text": "When?"},
             "element": {"type": "datepicker", "action_id": ids.ASK_DATE_ACTION, "initial_date": today.isoformat()}},
        ],
    }


def ask_outcome_modal(*, ask: AskRecord, private_metadata: str = "") -> dict[str, Any]:
    who = person(ask.asked_user_id, ask.asked_name)
    return {
        "type": "modal",
        "callback_id": ids.ASK_OUTCOME_MODAL,
        "private_metadata": private_metadata[:3000],
        "title": {"type": "plain_text", "text": "What happened?"},
        "submit": {"type": "plain_text", "text": "Save"},
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": clip(
                f"You asked {who}" + (f" to meet {escape(ask.for_whom)}" if ask.for_whom else "") + ".", 3000)}},
            {"type": "input", "block_id": ids.OUTCOME_BLOCK,
             "label": {"type": "plain_text", "text": "Outcome"},
             "element": {"type": "radio_buttons", "action_id": ids.OUTCOME_ACTION, "options": [
                 {"text": {"type": "plain_text", "text": "They introduced me"}, "value": "introduced"},
                 {"text": {"type": "plain_text", "text": "Wanted to help but couldn't think of anyone"},
                  "value": "nobody"},
             ]}},
            {"type": "input", "block_id": ids.PROSPECT_BLOCK, "optional": True,
             "label": {"type": "plain_text", "text": "Who were you introduced to?"},
             "element": {"type": "plain_text_input", "action_id": ids.PROSPECT_ACTION, "max_length": 150,
                         "initial_value": (ask.for_whom or "")[:150]}},
        ],
    }


def commit_modal(*, private_metadata: str = "") -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": ids.COMMIT_MODAL,
        "private_metadata": private_metadata[:3000],
        "title": {"type": "plain_text", "text": "This week's asks"},
        "submit": {"type": "plain_text", "text": "Commit"},
        "blocks": [
            {"type": "input", "block_id": ids.COMMIT_USERS_BLOCK, "optional": True,
             "label": {"type": "plain_text", "text": "People in Slack you'll ask"},
             "element": {"type": "multi_users_select", "action_id": ids.COMMIT_USERS_ACTION, "max_selected_items": 20}},
            {"type": "input", "block_id": ids.COMMIT_NAMES_BLOCK, "optional": True,
             "label": {"type": "plain_text", "text": "Others, by name (separate with ;)"},
             "element": {"type": "plain_text_input", "action_id": ids.COMMIT_NAMES_ACTION, "max_length": 1000,
                         "placeholder": {"type": "plain_text", "text": "Maria Lopez; Tom at Globex"}}},
        ],
    }
