"""The referral form a message shortcut opens, pre-filled from the message."""
from __future__ import annotations

import json
from typing import Any

from domain.habit_records import IntroForm
from domain.intros import MentionedPerson
from views import ids
from views.text import clip, day, escape

FORM_TEXT_LIMIT = 150


def _label(person: MentionedPerson) -> str:
    if person.user_id:
        return f"<@{person.user_id}>"
    name = escape(person.name) if person.name else ""
    email = escape(person.email) if person.email else ""
    return f"{name} ({email})" if name and email else name or email


def _text_input(block_id: str, action_id: str, label: str, initial: str | None, *, optional: bool,
                placeholder: str) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": action_id, "max_length": FORM_TEXT_LIMIT,
                               "placeholder": {"type": "plain_text", "text": placeholder}}
    if initial:
        element["initial_value"] = initial[:FORM_TEXT_LIMIT]
    return {"type": "input", "block_id": block_id, "optional": optional,
            "label": {"type": "plain_text", "text": label}, "element": element}


def intro_modal(form: IntroForm, *, channel_id: str | None) -> dict[str, Any]:
    draft = form.draft
    prospect = draft.prospect
    found = ", ".join(_label(p) for p in draft.people) or "nobody I could recognise"
    referrer_user: dict[str, Any] = {"type": "users_select", "action_id": ids.INTRO_REFERRER_USER_ACTION}
    if draft.referrer and draft.referrer.user_id:
        referrer_user["initial_user"] = draft.referrer.user_id
    blocks: list[dict[str, Any]] = [
        {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(
            f"From the message of {day(form.occurred_on, form.today)}: {found}. Check and correct; only what you "
            "save here is kept.", 3000)}]},
        _text_input(ids.INTRO_PROSPECT_BLOCK, ids.INTRO_PROSPECT_ACTION, "Who were you introduced to?",
                    (prospect.name or prospect.email) if prospect else None, optional=False, placeholder="Jane Doe"),
        _text_input(ids.INTRO_COMPANY_BLOCK, ids.INTRO_COMPANY_ACTION, "Company", draft.company, optional=True,
                    placeholder="Acme Corp"),
        {"type": "input", "block_id": ids.INTRO_REFERRER_USER_BLOCK, "optional": True,
         "label": {"type": "plain_text", "text": "Who introduced you? (someone in Slack)"}, "element": referrer_user},
        _text_input(ids.INTRO_REFERRER_NAME_BLOCK, ids.INTRO_REFERRER_NAME_ACTION, "…or their name",
                    draft.referrer.name if draft.referrer and not draft.referrer.user_id else None, optional=True,
                    placeholder="Maria Lopez"),
        {"type": "input", "block_id": ids.INTRO_DATE_BLOCK, "label": {"type": "plain_text", "text": "When?"},
         "element": {"type": "datepicker", "action_id": ids.INTRO_DATE_ACTION,
                     "initial_date": form.occurred_on.isoformat()}},
    ]
    if form.open_ask is not None:
        ask = form.open_ask
        option = {"text": {"type": "plain_text", "text": clip(
            f"It answers my ask of {ask.asked_name or 'them'} on {day(ask.asked_on)}", 75)}, "value": str(ask.id)}
        blocks.append({"type": "input", "block_id": ids.INTRO_LINK_BLOCK, "optional": True,
                       "label": {"type": "plain_text", "text": "Link to your open ask"},
                       "element": {"type": "checkboxes", "action_id": ids.INTRO_LINK_ACTION, "options": [option],
                                   "initial_options": [option]}})
    return {
        "type": "modal", "callback_id": ids.INTRO_MODAL,
        "private_metadata": json.dumps({"channel_id": channel_id})[:3000],
        "title": {"type": "plain_text", "text": "Referral received"},
        "submit": {"type": "plain_text", "text": "Log it"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }
