"""Every win becomes the next ask: a month after a client is won, ask them who they know.

The DM falls due on the rep's own follow-up date (the win plus the team's days,
or the date a snooze moved it to), within working hours in the rep's zone
(Monday to Friday, 09:00 to 17:00). A tick that finds it due sends it through
the delivery ledger, keyed by the win and its date, so it goes once; a bot that
was down catches up in the next working hours; a snooze gives it a new date and
so a new key. Working hours are compared on the rep's local wall clock, so a
DST change moves nothing; a repeated hour cannot send twice because of the key.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

CLIENT_FOLLOWUP = "client_followup"  # the delivery ledger's kind
WORK_STARTS, WORK_ENDS = time(9, 0), time(17, 0)
SNOOZE = timedelta(weeks=2)
# A follow-up not delivered within two weeks of its date (the bot down, Slack refusing) is given up.
STAYS_DUE = timedelta(weeks=2)
# An ask counts as an ask of a new client when it comes within this long of the win.
NEW_CLIENT_WINDOW = timedelta(days=180)


def follow_up_date(won_on: date, days: int) -> date:
    return won_on + timedelta(days=days)


def in_working_hours(local_now: datetime) -> bool:
    return local_now.weekday() < 5 and WORK_STARTS <= local_now.time() < WORK_ENDS


def follow_up_due(*, follow_up_on: date, local_now: datetime) -> bool:
    """From the follow-up date on, in working hours, until it stops making sense."""
    today = local_now.date()
    return follow_up_on <= today <= follow_up_on + STAYS_DUE and in_working_hours(local_now)


def period_key(win_id: int, follow_up_on: date) -> str:
    return f"win{win_id}:{follow_up_on.isoformat()}"


def _normalised(name: str) -> str:
    return " ".join(name.lower().split())


def is_ask_of_client(*, asked_name: str, client_name: str) -> bool:
    """"Acme", "acme" and "Jane Doe at Acme" are all asks of the client Acme."""
    client = _normalised(client_name)
    if not client:
        return False
    return re.search(rf"(?<!\w){re.escape(client)}(?!\w)", _normalised(asked_name)) is not None


def is_new_client_ask(*, asked_name: str, asked_on: date, client_name: str, won_on: date) -> bool:
    return won_on <= asked_on <= won_on + NEW_CLIENT_WINDOW and is_ask_of_client(asked_name=asked_name,
                                                                                   client_name=client_name)
