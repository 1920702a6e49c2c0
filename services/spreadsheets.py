"""Bringing a team's referral spreadsheet in, and taking the data out as CSV.

Import resolves each rep (a Slack user ID as given, an e-mail through
users.lookupByEmail), stores good rows in batches and reports bad ones by line.
Re-importing a file adds nothing: each row's key is derived from its content.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from domain.funnel import Workspace
from domain.spreadsheet import (
    SLACK_USER_ID,
    ExportRow,
    RowError,
    SheetRow,
    import_keys,
    read_asks_sheet,
    write_asks_sheet,
    write_referrals_sheet,
)
from services.people import Person
from services.referrals import referral_record
from services.teams import managed_reps, track_rep
from storage.engine import read_scope, run_in_transaction
from storage.report_queries import add_imported_ask, find_imported_keys, list_asks_between, list_referrals_between

BATCH = 200
ALL_TIME = (date(2000, 1, 1), date(2999, 12, 31))


@dataclass
class ImportReport:
    rows: int = 0  # data rows read
    added: int = 0
    already: int = 0  # imported before: skipped
    errors: list[RowError] = field(default_factory=list)


def import_asks(
    *, engine: sa.Engine, workspace: Workspace, text: str, today: date, now: datetime,
    lookup_email: Callable[[str], str | None] | None, progress: Callable[[int, int], None] = lambda done, total: None,
) -> ImportReport:
    rows, errors = read_asks_sheet(text, today=today)
    report = ImportReport(rows=len(rows) + sum(e.line > 1 for e in errors), errors=list(errors))
    resolved: list[tuple[str, SheetRow]] = []
    ids, failures = _resolve_reps({row.rep for row in rows}, lookup_email)
    for row in rows:
        rep_user_id = ids.get(row.rep)
        if rep_user_id is None:
            report.errors.append(RowError(row.line, failures.get(row.rep) or (
                f"no Slack user has the e-mail {row.rep}" if lookup_email else
                f"{row.rep}: give Slack user IDs, or set SLACK_BOT_TOKEN so e-mails can be looked up")))
            continue
        resolved.append((rep_user_id, row))
    keys = import_keys(resolved)
    progress(0, len(resolved))
    for start in range(0, len(resolved), BATCH):
        batch = list(zip(resolved[start:start + BATCH], keys[start:start + BATCH], strict=True))

        def work(session: Session, batch: list = batch) -> int:  # noqa: ANN001
            reps = {rep for (rep, _), _ in batch}
            for rep_user_id in reps:
                track_rep(session=session, workspace=workspace, user_id=rep_user_id, now=now)
            known = find_imported_keys(session=session, workspace=workspace, rep_user_ids=reps,
                                       keys=[key for _, key in batch])
            new = [(rep, row, key) for (rep, row), key in batch if key not in known]
            for rep, row, key in new:
                add_imported_ask(session=session, workspace=workspace, rep_user_id=rep, asked_user_id=row.asked_user_id,
                                 asked_name=row.asked_name, for_whom=row.for_whom, asked_on=row.asked_on,
                                 outcome=row.outcome, import_key=key, now=now)
            session.flush()
            return len(new)

        added = run_in_transaction(engine, work)
        report.added += added
        report.already += len(batch) - added
        progress(min(start + BATCH, len(resolved)), len(resolved))
    report.errors.sort(key=lambda e: e.line)
    return report


def _resolve_reps(reps: set[str], lookup_email: Callable[[str], str | None] | None,
                  ) -> tuple[dict[str, str], dict[str, str]]:
    """Slack user IDs as given, e-mails through the lookup; a lookup that fails is that rep's rows' error,
    never the end of the import (each rep is looked up once, however many rows they have)."""
    resolved, failures = {}, {}
    for rep in sorted(reps):
        if SLACK_USER_ID.fullmatch(rep):
            resolved[rep] = rep
            continue
        if lookup_email is None:
            continue
        try:
            user_id = lookup_email(rep)
        except EmailLookupFailed as error:
            failures[rep] = f"couldn't look up {rep} in Slack ({error.reason}); the row was not stored"
            continue
        if user_id:
            resolved[rep] = user_id
    return resolved, failures


class EmailLookupFailed(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def slack_email_lookup(client: Any) -> Callable[[str], str | None]:
    """users.lookupByEmail: the user's ID, None when nobody has the address, EmailLookupFailed otherwise."""
    def lookup(email: str) -> str | None:
        try:
            user = client.users_lookupByEmail(email=email)["user"]
        except SlackApiError as error:
            code = error.response.get("error") if isinstance(error.response.data, dict) else None
            if code == "users_not_found":
                return None
            status = error.response.status_code
            raise EmailLookupFailed(f"Slack answered {code or 'an error'}"
                                    + (f", HTTP {status}; try again later" if status >= 500 else "")) from None
        except (OSError, ValueError) as error:  # connection refused, timeouts, an unreadable answer
            raise EmailLookupFailed(f"Slack could not be reached: {type(error).__name__}") from None
        user_id = user.get("id") if isinstance(user, dict) else None
        if not isinstance(user_id, str) or not SLACK_USER_ID.fullmatch(user_id):
            raise EmailLookupFailed("Slack's answer had no user ID")
        return user_id

    return lookup


@dataclass(frozen=True)
class Export:
    asks_csv: str
    referrals_csv: str
    asks: int
    referrals: int
    scope: str  # "your own", "your teams'", "the whole workspace's"


def export_data(*, engine: sa.Engine, workspace: Workspace, rep_user_ids: set[str] | None, start: date = ALL_TIME[0],
                end: date = ALL_TIME[1], scope: str = "") -> Export:
    with read_scope(engine) as session:
        asks = list_asks_between(session=session, workspace=workspace, rep_user_ids=rep_user_ids, start=start, end=end)
        referrals = list_referrals_between(session=session, workspace=workspace, rep_user_ids=rep_user_ids,
                                           start=start, end=end)
        asks_csv = write_asks_sheet(ExportRow(a.rep_user_id, a.asked_on, a.asked_user_id or a.asked_name, a.for_whom,
                                              a.outcome) for a in asks)
        referrals_csv = write_referrals_sheet((r.rep_user_id, referral_record(r)) for r in referrals)
    return Export(asks_csv, referrals_csv, len(asks), len(referrals), scope)


def export_for(*, engine: sa.Engine, workspace: Workspace, requester: Person) -> Export:
    """/referral export: admins get the workspace, managers their teams and themselves, reps their own."""
    if requester.is_admin:
        return export_data(engine=engine, workspace=workspace, rep_user_ids=None, scope="the whole workspace's")
    team = managed_reps(engine=engine, workspace=workspace, manager_user_id=requester.user_id)
    if team:
        return export_data(engine=engine, workspace=workspace, rep_user_ids=team | {requester.user_id},
                           scope="your teams'")
    return export_data(engine=engine, workspace=workspace, rep_user_ids={requester.user_id}, scope="your own")
