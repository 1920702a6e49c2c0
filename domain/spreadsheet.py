"""The asks spreadsheet: the CSV format that ``referral-bot import`` reads and ``export`` writes.

Header ``rep,date,asked,for_whom,outcome``. ``rep`` is a Slack user ID (U…/W…)
or the rep's e-mail; ``date`` is ISO (YYYY-MM-DD); ``asked`` is who was asked
(a name, or a Slack user ID); ``for_whom`` is optional; ``outcome`` is
``pending``, ``introduced`` or ``nobody`` (empty means pending). Every row is
checked on its own: a bad row is reported with its line number and nothing of
it is stored, while the good rows go in.
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from domain.dates import parse_iso_date
from domain.funnel import AskOutcome
from domain.parsing import MAX_NAME, plain_text
from domain.records import ReferralRecord

ASKS_HEADER = ("rep", "date", "asked", "for_whom", "outcome")
FOR_WHOM_LIMIT = 300
MAX_CELL = 10_000  # far above any real cell; a bigger one is a broken row, reported without being parsed
EARLIEST = date(2000, 1, 1)
SLACK_USER_ID = re.compile(r"[UW][A-Z0-9]{2,31}")
# The lookbehind lets a match start only where a token starts, so a search over a long run without an
# "@" scans it once (without it, every position restarted the scan: quadratic, minutes on a 200 KB cell).
EMAIL = re.compile(r"(?<![^@\s,;<>])[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+")


@dataclass(frozen=True)
class SheetRow:
    line: int  # the row's line in the file, header being line 1
    rep: str  # a Slack user ID or an e-mail, as written
    asked_on: date
    asked_user_id: str | None
    asked_name: str
    for_whom: str | None
    outcome: AskOutcome


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True)
class ExportRow:
    rep: str
    asked_on: date
    asked: str
    for_whom: str | None
    outcome: str


def read_asks_sheet(text: str, *, today: date) -> tuple[list[SheetRow], list[RowError]]:
    """Every row checked; the header must be exactly ASKS_HEADER (any case, a BOM and spaces allowed).

    A bad row (too many or too few columns, a cell over MAX_CELL characters, a bad value) is reported by
    the line it starts on and skipped; every other row is read. The csv module's own field limit is
    raised to the file's size first: left at 128 KB, one big cell stopped the reader and the rows after
    it were never seen. Everything here is one pass over the text.
    """
    if csv.field_size_limit() <= len(text):
        csv.field_size_limit(len(text) + 1)
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return [], [RowError(1, "the file is empty; the first line must be " + ",".join(ASKS_HEADER))]
    except csv.Error as error:
        return [], [RowError(1, f"not readable as CSV ({error})")]
    if tuple(h.strip().lower() for h in header) != ASKS_HEADER:
        shown = ",".join(h[:40] for h in header[:8])[:80]
        return [], [RowError(1, f"the header must be {','.join(ASKS_HEADER)} (found {shown})")]
    rows, errors = [], []
    while True:
        first_line = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            # In practice only a quote opened and never closed: everything after it is inside the quote.
            errors.append(RowError(first_line, f"not readable as CSV ({error}); check for a quote that is "
                                               "never closed: the rest of the file was read as part of this row"))
            break
        if not any(f.strip() for f in fields):
            continue
        try:
            rows.append(_row(first_line, fields, today=today))
        except ValueError as error:
            span = (f" (this row runs over lines {first_line} to {reader.line_num}: is a quote missing?)"
                    if reader.line_num > first_line else "")
            errors.append(RowError(first_line, f"{error}{span}"))
    return rows, errors


def _row(line: int, fields: list[str], *, today: date) -> SheetRow:
    if len(fields) != len(ASKS_HEADER):
        raise ValueError(f"expected {len(ASKS_HEADER)} columns ({','.join(ASKS_HEADER)}), found {len(fields)}")
    oversized = [name for name, value in zip(ASKS_HEADER, fields, strict=True) if len(value) > MAX_CELL]
    if oversized:
        raise ValueError(f"the {oversized[0]} cell is over {MAX_CELL:,} characters; is a quote missing?")
    rep, day, asked, for_whom, outcome = (f.strip() for f in fields)
    if not (SLACK_USER_ID.fullmatch(rep) or EMAIL.fullmatch(rep)):
        raise ValueError(f"rep must be a Slack user ID (U…) or an e-mail, not “{rep[:40]}”")
    asked_on = parse_iso_date(day)
    if asked_on is None:
        raise ValueError(f"date must be YYYY-MM-DD, not “{day[:20]}”")
    if not EARLIEST <= asked_on <= today:
        raise ValueError(f"date {asked_on.isoformat()} is in the future" if asked_on > today
                         else f"date {asked_on.isoformat()} is before {EARLIEST.year}")
    name = plain_text(_unguard(asked))
    if not name:
        raise ValueError("asked is empty: who did the rep ask?")
    if len(name) > MAX_NAME:
        raise ValueError(f"asked is longer than {MAX_NAME} characters")
    whom = plain_text(_unguard(for_whom)) or None
    if whom and len(whom) > FOR_WHOM_LIMIT:
        raise ValueError(f"for_whom is longer than {FOR_WHOM_LIMIT} characters")
    try:
        result = AskOutcome(outcome.lower() or AskOutcome.PENDING)
    except ValueError:
        raise ValueError(f"outcome must be pending, introduced or nobody, not “{outcome[:20]}”") from None
    user_id = name if SLACK_USER_ID.fullmatch(name) else None
    return SheetRow(line, rep, asked_on, user_id, name, whom, result)


def import_keys(rows: Iterable[tuple[str, SheetRow]]) -> list[str]:
    """A key per (resolved rep, row) that stays the same when the file is imported again.

    The nth identical row of a rep gets the nth key, so a rep who really asked the
    same person twice on one day keeps both asks, and a second import adds nothing.
    """
    seen: dict[str, int] = {}
    keys = []
    for rep_user_id, row in rows:
        identity = "\x1f".join(("import", rep_user_id, row.asked_on.isoformat(), row.asked_name.casefold(),
                                (row.for_whom or "").casefold()))
        seen[identity] = seen.get(identity, 0) + 1
        keys.append(hashlib.sha256(f"{identity}\x1f{seen[identity]}".encode()).hexdigest())
    return keys


def write_asks_sheet(rows: Iterable[ExportRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ASKS_HEADER)
    for row in rows:
        writer.writerow([row.rep, row.asked_on.isoformat(), _safe_cell(row.asked), _safe_cell(row.for_whom or ""),
                         row.outcome])
    return out.getvalue()


_FORMULA_STARTS = ("=", "+", "-", "@")


def _safe_cell(value: str) -> str:
    """A cell starting with = + - @ is a formula to Excel and Sheets: prefix it so it opens as text (CSV injection)."""
    return "'" + value if value[:1] in _FORMULA_STARTS else value


def _unguard(value: str) -> str:
    """Undo _safe_cell, so that an exported file imports back unchanged."""
    return value[1:] if value[:1] == "'" and value[1:2] in _FORMULA_STARTS else value


REFERRALS_HEADER = ("rep", "number", "prospect", "referrer", "status", "introduced_on", "meeting_on",
                    "meeting_held_on", "closed_on", "amount", "close_reason", "thanked_on", "currency")


def write_referrals_sheet(rows: Iterable[tuple[str, ReferralRecord]]) -> str:
    """(rep, referral) rows: the funnel after the ask, for a spreadsheet (this one is export only)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(REFERRALS_HEADER)
    for rep, r in rows:
        writer.writerow([rep, r.number, _safe_cell(r.prospect_name), _safe_cell(r.referrer_user_id or r.referrer_name),
                         r.status.value, *(_iso(d) for d in (r.introduced_on, r.meeting_on, r.meeting_held_on,
                                                             r.closed_on)),
                         "" if r.amount is None else str(r.amount), _safe_cell(r.close_reason or ""),
                         _iso(r.thanked_on), r.currency or ""])
    return out.getvalue()


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""
