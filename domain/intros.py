"""Reading an introduction where it arrives: who is mentioned in a Slack message, which company, and who
made the introduction, to pre-fill the referral form. Nothing here is stored: the rep submits what counts.

The text is Slack's ``message.text``: users as ``<@U123>``, e-mail addresses as
``<mailto:jane@acme.com|jane@acme.com>``, and ``<``/``>``/``&`` escaped as entities.
E-mail addresses are checked with email-validator (syntax only, no DNS).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>", re.ASCII)
_MAILTO = re.compile(r"<mailto:([^|<>]+)(?:\|[^<>]*)?>")
_LINK = re.compile(r"<(?:https?|mailto):[^<>]*>")
# The lookbehinds start a match only where a run can start, so no stretch of text is scanned from more than
# one start: linear on any input (tests/test_patterns_linear.py).
_BARE_EMAIL = re.compile(r"(?<![\w.+'-])[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_NAME = r"([A-Z][a-zA-Z'’-]+(?: [A-Z][a-zA-Z'’-]+){1,2})"
_NAME_BEFORE_EMAIL = re.compile(r"(?<![a-zA-Z'’-])" + _NAME + r"\s*(?:&lt;|<|\()\s*(?:<mailto:)?([^|<>()\s&]+@[^|<>()\s&]+)")
_INTRO_CUE = re.compile(r"(?:\bmeet|\bintroduce you to|\bintroducing|\bthis is|\bconnect you with|\bsay hello to"
                        r"|\bcc'?ing|\bcc:?|\bcopying)\s+" + _NAME)
_FROM_LINE = re.compile(r"(?im)^[ \t]*(?:\*?from\*?:)[ \t]*" + _NAME)
_COMPANY = re.compile(r"\b(?:at|from|of)\s+([A-Z][\w&.-]*(?:\s+(?:[A-Z][\w&.-]*|&amp;|&))*)")
_FREE_MAIL = frozenset({"gmail", "googlemail", "yahoo", "hotmail", "outlook", "live", "icloud", "me", "aol", "proton",
                        "protonmail", "gmx", "mail", "yandex", "zoho", "fastmail", "hey", "msn", "web", "qq"})
_NOT_COMPANY = frozenset({"I", "The", "A", "An", "Our", "My", "Your", "We", "This", "That", "Monday", "Tuesday",
                          "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"})
_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "ac", "gov"})
MAX_PEOPLE = 10


@dataclass(frozen=True)
class MentionedPerson:
    user_id: str | None
    name: str
    email: str | None = None


@dataclass(frozen=True)
class IntroDraft:
    """What the form opens with; every field can be changed by the rep before anything is saved."""

    prospect: MentionedPerson | None
    referrer: MentionedPerson | None
    company: str | None
    people: tuple[MentionedPerson, ...]  # everyone found, in order of appearance


def valid_email(candidate: str) -> str | None:
    """The normalised address, or None when it isn't one (syntax only: nothing is looked up)."""
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(candidate.strip().strip(".,;:"), check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def company_from_email(email: str) -> str | None:
    """``jane@acme-corp.co.uk`` -> ``Acme Corp``; nothing for free mail providers."""
    labels = email.rsplit("@", 1)[-1].lower().split(".")
    if len(labels) < 2:
        return None
    core = labels[:-1]
    if len(core) >= 2 and core[-1] in _SECOND_LEVEL:
        core = core[:-1]
    name = core[-1]
    if name in _FREE_MAIL:
        return None
    return " ".join(part.capitalize() for part in re.split(r"[-_]", name) if part) or None


def _emails(text: str) -> list[str]:
    found = [m.group(1) for m in _MAILTO.finditer(text)]
    found += _BARE_EMAIL.findall(_LINK.sub(" ", text))
    valid = [valid_email(candidate) for candidate in found]
    return list(dict.fromkeys(e for e in valid if e))


def _company_in_text(text: str, people: set[str]) -> str | None:
    """"CFO at Acme Corp", "Jane from Initech": the first such name that isn't one of the people."""
    for match in _COMPANY.finditer(_LINK.sub(" ", _USER.sub(" ", text))):
        words = match.group(1).replace("&amp;", "&").split()
        ends = next((i for i, word in enumerate(words) if word[-1] in ".,;:" and not re.fullmatch(r"(?:[A-Z]\.)+", word)),
                    None)
        words = words[: ends + 1] if ends is not None else words  # a sentence's end ends the name too
        while words and words[-1] in ("&",):
            words.pop()
        company = " ".join(words).rstrip(".,;:")
        if words and words[0] not in _NOT_COMPANY and not any(company.startswith(name) for name in people):
            return company
    return None


def _owner_of(email: str, names: list[str]) -> str:
    """The named person whose first or last name is in the address (jane.doe@, jdoe@, jane@), if any."""
    local = email.split("@", 1)[0].lower()
    for name in names:
        parts = [part.lower() for part in name.split()]
        if any(len(part) > 2 and part in local for part in (parts[0], parts[-1])):
            return name
    return ""


def read_intro(text: str, *, author_user_id: str | None, rep_user_id: str) -> IntroDraft:
    """The people, company and likely referrer and prospect in a message the rep picked."""
    people: list[MentionedPerson] = []
    seen: set[str] = set()

    def add(person: MentionedPerson) -> None:
        key = person.user_id or (person.email or person.name).lower()
        if key not in seen and len(people) < MAX_PEOPLE:
            seen.add(key)
            people.append(person)

    from_line = _FROM_LINE.search(text)
    for user_id in _USER.findall(text):
        if user_id != rep_user_id:
            add(MentionedPerson(user_id, ""))
    cue_names = list(dict.fromkeys(match.group(1) for match in _INTRO_CUE.finditer(text)))
    named_emails = {}
    for match in _NAME_BEFORE_EMAIL.finditer(text):
        email = valid_email(match.group(2))
        # "… CFO at Acme Corp <jane@acme.com>": a name right after "at" is the company, not the person.
        if email and not re.search(r"\b(?:at|of|from|with)\s*$", text[:match.start()]):
            named_emails[email] = match.group(1)
    for email in _emails(text):
        name = named_emails.get(email) or _owner_of(email, cue_names)
        add(MentionedPerson(None, name, email))
    for name in cue_names:
        if not any(p.name == name for p in people):
            add(MentionedPerson(None, name))

    referrer: MentionedPerson | None = None
    if author_user_id and author_user_id != rep_user_id:
        referrer = MentionedPerson(author_user_id, "")
    elif from_line:
        referrer = next((p for p in people if p.name == from_line.group(1)), MentionedPerson(None, from_line.group(1)))
    prospect = next((p for p in people if p != referrer and not (referrer and p.user_id and
                                                                  p.user_id == referrer.user_id)), None)
    names = {p.name for p in people if p.name} | ({referrer.name} if referrer and referrer.name else set())
    company = _company_in_text(text, names)
    if company is None and prospect is not None and prospect.email:
        company = company_from_email(prospect.email)
    return IntroDraft(prospect, referrer, company, tuple(people))


PROSPECT_LIMIT = 200
COMPANY_LIMIT = 100


def prospect_label(name: str, company: str | None) -> str:
    """How the referral names the prospect: "Jane Doe, Acme Corp" (the company only when it isn't there yet)."""
    if company and company.lower() not in name.lower():
        return f"{name}, {company}"
    return name


def intro_from_form(*, prospect: str | None, company: str | None, referrer_user: str | None,
                    referrer_name: str | None, occurred_on: str | None, today: date) -> tuple[str, Any, date]:
    """(prospect label, referrer Person, date) from the referral form, or FormErrors naming each bad field."""
    from domain.forms import FormErrors, past_day_from_form
    from domain.parsing import CommandError, Person, parse_person, plain_text

    errors: dict[str, str] = {}
    name = plain_text(prospect or "")
    firm = plain_text(company or "") or None
    if not name:
        errors["prospect"] = "Who were you introduced to?"
    elif len(name) > PROSPECT_LIMIT:
        errors["prospect"] = f"Keep it under {PROSPECT_LIMIT} characters."
    if firm and len(firm) > COMPANY_LIMIT:
        errors["company"] = f"Keep it under {COMPANY_LIMIT} characters."
    referrer = None
    if referrer_user:
        referrer = Person(referrer_user, plain_text(referrer_name or "") or "")
    elif referrer_name and referrer_name.strip():
        try:
            referrer = parse_person(referrer_name)
        except CommandError as error:
            errors["referrer_name"] = error.message
    else:
        errors["referrer_name"] = "Who introduced you? Pick them in Slack or type their name."
    day = past_day_from_form(occurred_on, today=today, errors=errors)
    if errors or referrer is None:
        raise FormErrors(errors)
    return prospect_label(name, firm)[:PROSPECT_LIMIT], referrer, day
