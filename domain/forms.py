"""Validating modal input, field by field, so that errors can be shown inline."""
from __future__ import annotations

import re
from datetime import date
from typing import Any

from domain.dates import DateError, check_date_window, check_past_date
from domain.parsing import (
    MAX_NAME,
    MAX_REASON,
    MEETING_DAYS_AHEAD,
    MEETING_DAYS_BACK,
    AskEntry,
    CommandError,
    Person,
    parse_person,
    plain_text,
)
from domain.prep import ANSWER_LIMIT, PREP_QUESTIONS, clean_answers

FOR_WHOM_LIMIT = 200
# Slack's ID shapes, as the slash grammar reads them from mentions; bounded, so a forged value can't be long.
USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}", re.ASCII)
CHANNEL_ID = re.compile(r"[CDG][A-Z0-9]{2,20}", re.ASCII)
_RECORD_ID = re.compile(r"[0-9]{1,10}", re.ASCII)
MAX_RECORD_ID = 2**31 - 1  # the INTEGER primary keys and referral numbers of both databases
MAX_IDS_PER_BUTTON = 50


class FormErrors(ValueError):
    """Field name -> short message; the listener maps fields to its block ids."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


# --------------------------------------------------------------------------- values we wrote ourselves
# Button values and private_metadata are ours, but a forged payload can say anything: read them with the
# same rules as the slash grammar, and treat anything else as "not there".

def user_id(value: Any) -> str | None:
    """A Slack user ID (U…/W…), or None for anything else (``U1>|<!channel`` included)."""
    return value if isinstance(value, str) and USER_ID.fullmatch(value) else None


def channel_id(value: Any) -> str | None:
    return value if isinstance(value, str) and CHANNEL_ID.fullmatch(value) else None


def record_id(value: Any) -> int | None:
    """A row id or referral number from a button value or metadata: 1..2^31-1, as an int or ASCII digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        if not _RECORD_ID.fullmatch(value):
            return None
        value = int(value)
    return value if isinstance(value, int) and 1 <= value <= MAX_RECORD_ID else None


def record_ids(value: Any) -> list[int]:
    """Comma-separated ids (an Undo button covers several asks); invalid parts are dropped, at most 50 kept."""
    if not isinstance(value, str):
        return []
    parts = value.split(",", MAX_IDS_PER_BUTTON)[:MAX_IDS_PER_BUTTON]
    return [number for part in parts if (number := record_id(part.strip())) is not None]


def _str(value: Any) -> str:
    """A form field as text; a forged non-string (a number, a list) reads as empty."""
    return value if isinstance(value, str) else ""


def ask_from_form(
    *, selected_user: str | None, typed_name: str | None, for_whom: str | None, occurred_on: str | None, today: date,
) -> AskEntry:
    errors: dict[str, str] = {}
    asked: Person | None = None
    typed_name, for_whom, occurred_on = _str(typed_name), _str(for_whom), _str(occurred_on)
    typed = plain_text(typed_name)
    if len(typed) > MAX_NAME:
        errors["name"] = f"That name is too long ({len(typed):,} characters); keep it under {MAX_NAME}."
    elif selected_user:
        if user_id(selected_user) is None:
            errors["name"] = "That isn't someone in Slack; pick a person from the list, or type their name."
        else:
            asked = Person(selected_user, typed or selected_user)
    elif typed:
        try:
            asked = parse_person(typed_name)
        except CommandError as error:
            errors["name"] = error.message
    else:
        errors["name"] = "Pick someone in Slack or type their name."

    day = past_day_from_form(occurred_on, today=today, errors=errors)

    cleaned_for = plain_text(for_whom or "") or None
    if cleaned_for and len(cleaned_for) > FOR_WHOM_LIMIT:
        errors["for_whom"] = f"Keep it under {FOR_WHOM_LIMIT} characters."
    if errors or asked is None:
        raise FormErrors(errors)
    return AskEntry(asked=asked, for_whom=cleaned_for, occurred_on=day)


def past_day_from_form(occurred_on: str | None, *, today: date, errors: dict[str, str]) -> date:
    """A form's date picker for something that already happened: today when left empty; a future or
    unreadable date is noted in ``errors["date"]`` (and today returned in its place)."""
    if not occurred_on:
        return today
    try:
        day = date.fromisoformat(occurred_on)
        check_past_date(day, today=today)
        return day
    except DateError as error:
        errors["date"] = str(error)
    except ValueError:
        errors["date"] = "Pick a date."
    return today


def prospect_from_form(*, outcome: str | None, prospect: str | None) -> tuple[str, str | None]:
    """The outcome of an ask from its modal: ("introduced", prospect) or ("nobody", None)."""
    if not isinstance(outcome, str) or outcome not in ("introduced", "nobody"):
        raise FormErrors({"outcome": "Choose what happened."})
    if outcome == "nobody":
        return outcome, None
    name = plain_text(_str(prospect))
    if not name:
        raise FormErrors({"prospect": "Who were you introduced to?"})
    if len(name) > 150:
        raise FormErrors({"prospect": "Keep it under 150 characters."})
    return outcome, name


def commitments_from_form(*, selected_users: list[str] | None, typed_names: str | None) -> tuple[Person, ...]:
    chosen = selected_users if isinstance(selected_users, list) else []
    if any(user_id(chosen_id) is None for chosen_id in chosen):
        raise FormErrors({"names": "Pick people from the list; one of them isn't a Slack user."})
    people = [Person(chosen_id, "") for chosen_id in chosen]
    for segment in _str(typed_names).split(";"):
        if segment.strip():
            try:
                people.append(parse_person(segment))
            except CommandError as error:
                raise FormErrors({"names": error.message}) from None
    if not people:
        raise FormErrors({"names": "Pick someone, or type a name."})
    if len(people) > 20:
        raise FormErrors({"names": "Name at most 20 people."})
    return tuple(people)


def meeting_date_from_form(*, selected_date: str | None, today: date) -> date:
    """The meeting's day from the date picker: past or future, within the same window as the command."""
    try:
        day = date.fromisoformat(_str(selected_date))
        check_date_window(day, today=today, max_days_back=MEETING_DAYS_BACK, max_days_ahead=MEETING_DAYS_AHEAD)
    except DateError as error:
        raise FormErrors({"date": str(error)}) from None
    except ValueError:
        raise FormErrors({"date": "Pick the day of the meeting."}) from None
    return day


def reason_from_form(*, reason: str | None) -> str:
    """The one line on why a referral was lost or ended without a decision."""
    cleaned = plain_text(_str(reason))
    if not cleaned:
        raise FormErrors({"reason": "One line is enough: what got in the way?"})
    if len(cleaned) > MAX_REASON:
        raise FormErrors({"reason": f"Keep it under {MAX_REASON} characters."})
    return cleaned


def prep_from_form(*, answers: dict[str, str | None]) -> dict[str, str]:
    """The checklist's answers: at least one, each within the limit. Errors point at the first question."""
    answers = {key: value if isinstance(value, str) else None for key, value in answers.items()}
    too_long = [key for key, value in answers.items() if value and len(value.strip()) > ANSWER_LIMIT]
    if too_long:
        raise FormErrors({key: f"Keep it under {ANSWER_LIMIT} characters." for key in too_long})
    cleaned = clean_answers({key: plain_text(value or "") for key, value in answers.items()})
    if not cleaned:
        raise FormErrors({PREP_QUESTIONS[0][0]: "Answer at least one question; the rest can wait."})
    return cleaned
