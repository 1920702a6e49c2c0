"""Pre-meeting coaching: the five questions a rep answers before a referred meeting, and when to ask them.

The checklist goes out on the day before the meeting, at ``CHECKLIST_AT`` in the
rep's own time. When the meeting is logged so late that that day has already
begun (a meeting tomorrow or today), it goes out at once instead. A meeting
logged without a date gets it at once too: there is no day before to wait for.
A meeting logged after it happened gets none.
"""
from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

PREP = "prep"  # the delivery ledger's kind for the checklist
CHECKLIST_AT = time(9, 0)
ANSWER_LIMIT = 500

# (key, question): the key is what is stored, so reword a question freely but never reuse a key.
PREP_QUESTIONS: tuple[tuple[str, str], ...] = (
    ("source", "What did you learn about the prospect from the person who referred you?"),
    ("linkedin", "What does the prospect's LinkedIn profile show?"),
    ("connections", "What other connections do you share?"),
    ("interests", "What interests do you have in common?"),
    ("plan", "How will you use all this in the meeting?"),
)
SHORT_LABELS = {"source": "From the referrer", "linkedin": "LinkedIn", "connections": "Shared connections",
                "interests": "Common interests", "plan": "Plan"}


def send_at_once(*, meeting_on: date | None, today: date) -> bool:
    """Right when the meeting is logged: the day before has already begun, or there is no date."""
    if meeting_on is None:
        return True
    return meeting_on - timedelta(days=1) <= today <= meeting_on


def checklist_due(*, meeting_on: date, local_now: datetime) -> bool:
    """For the scheduler tick: from CHECKLIST_AT on the day before, until the meeting day ends."""
    today = local_now.date()
    day_before = meeting_on - timedelta(days=1)
    if today > meeting_on or today < day_before:
        return False
    return today > day_before or local_now.time() >= CHECKLIST_AT


def period_key(referral_id: int, meeting_on: date | None) -> str:
    """One checklist per referral and meeting date: a rescheduled meeting gets a fresh one."""
    return f"ref{referral_id}:{meeting_on.isoformat() if meeting_on else 'undated'}"


def clean_answers(answers: dict[str, str | None]) -> dict[str, str]:
    """Keep the known questions' non-blank answers, trimmed to the limit."""
    keys = {key for key, _ in PREP_QUESTIONS}
    return {key: " ".join(value.split())[:ANSWER_LIMIT] for key, value in answers.items()
            if key in keys and isinstance(value, str) and value.strip()}


def encode_answers(answers: dict[str, str]) -> str:
    return json.dumps(clean_answers(answers), ensure_ascii=False, sort_keys=True)


def decode_answers(stored: str | None) -> dict[str, str]:
    """Stored notes back to answers; anything unreadable reads as no prep rather than an error."""
    if not stored:
        return {}
    try:
        value = json.loads(stored)
    except ValueError:
        return {}
    return clean_answers(value) if isinstance(value, dict) else {}
