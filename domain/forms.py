"""Validating modal input, field by field, so that errors can be shown inline."""
from __future__ import annotations

from datetime import date

from domain.dates import DateError, check_date_window, check_past_date
from domain.parsing import (
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


class FormErrors(ValueError):
    """Field name -> short message; the listener maps fields to its block ids."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


def ask_from_form(
    *, selected_user: str | None, typed_name: str | None, for_whom: str | None, occurred_on: str | None, today: date,
) -> AskEntry:
    errors: dict[str, str] = {}
    asked: Person | None = None
    if selected_user:
        asked = Person(selected_user, typed_name.strip() if typed_name and typed_name.strip() else selected_user)
    elif typed_name and typed_name.strip():
        try:
            asked = parse_person(typed_name)
        except CommandError as error:
            errors["name"] = error.message
    else:
        errors["name"] = "Pick someone in Slack or type their name."

    day = today
    if occurred_on:
        try:
            day = date.fromisoformat(occurred_on)
            check_past_date(day, today=today)
        except DateError as error:
            errors["date"] = str(error)
        except ValueError:
            errors["date"] = "Pick a date."

    cleaned_for = plain_text(for_whom or "") or None
    if cleaned_for and len(cleaned_for) > FOR_WHOM_LIMIT:
        errors["for_whom"] = f"Keep it under {FOR_WHOM_LIMIT} characters."
    if errors or asked is None:
        raise FormErrors(errors)
    return AskEntry(asked=asked, for_whom=cleaned_for, occurred_on=day)


def prospect_from_form(*, outcome: str | None, prospect: str | None) -> tuple[str, str | None]:
    """The outcome of an ask from its modal: ("introduced", prospect) or ("nobody", None)."""
    if outcome not in ("introduced", "nobody"):
        raise FormErrors({"outcome": "Choose what happened."})
    if outcome == "nobody":
        return outcome, None
    name = plain_text(prospect or "")
    if not name:
        raise FormErrors({"prospect": "Who were you introduced to?"})
    if len(name) > 150:
        raise FormErrors({"prospect": "Keep it under 150 characters."})
    return outcome, name


def commitments_from_form(*, selected_users: list[str] | None, typed_names: str | None) -> tuple[Person, ...]:
    people = [Person(user_id, "") for user_id in (selected_users or [])]
    for segment in (typed_names or "").split(";"):
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
        day = date.fromisoformat(selected_date or "")
        check_date_window(day, today=today, max_days_back=MEETING_DAYS_BACK, max_days_ahead=MEETING_DAYS_AHEAD)
    except DateError as error:
        raise FormErrors({"date": str(error)}) from None
    except ValueError:
        raise FormErrors({"date": "Pick the day of the meeting."}) from None
    return day


def reason_from_form(*, reason: str | None) -> str:
    """The one line on why a referral was lost or ended without a decision."""
    cleaned = plain_text(reason or "")
    if not cleaned:
        raise FormErrors({"reason": "One line is enough: what got in the way?"})
    if len(cleaned) > MAX_REASON:
        raise FormErrors({"reason": f"Keep it under {MAX_REASON} characters."})
    return cleaned


def prep_from_form(*, answers: dict[str, str | None]) -> dict[str, str]:
    """The checklist's answers: at least one, each within the limit. Errors point at the first question."""
    too_long = [key for key, value in answers.items() if value and len(value.strip()) > ANSWER_LIMIT]
    if too_long:
        raise FormErrors({key: f"Keep it under {ANSWER_LIMIT} characters." for key in too_long})
    cleaned = clean_answers({key: plain_text(value or "") for key, value in answers.items()})
    if not cleaned:
        raise FormErrors({PREP_QUESTIONS[0][0]: "Answer at least one question; the rest can wait."})
    return cleaned
