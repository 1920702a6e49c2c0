"""Import under hostile files: big cells, broken rows and a Slack that fails lookups, through the real CLI."""
from __future__ import annotations

from sqlmodel import Session, select

from bot.cli import main
from domain.spreadsheet import read_asks_sheet
from storage.models import Ask

HEADER = "rep,date,asked,for_whom,outcome\n"


def _stored(engine) -> list[str]:  # noqa: ANN001
    with Session(engine) as session:
        return sorted(a.asked_name for a in session.exec(select(Ask)))


def test_a_huge_cell_is_reported_by_line_and_no_other_row_is_lost(cli_env, engine, tmp_path, capsys):
    big = "x" * 200_000  # over the csv module's default 128 KB field limit
    sheet = tmp_path / "big.csv"
    sheet.write_text(HEADER + "U0AAA,2026-09-01,Jane,,pending\n"
                     f"U0AAA,2026-09-01,{big},,pending\n"          # line 3: a huge cell
                     f'U0AAA,2026-09-01,"{big}\nstill inside",,\n'  # line 4 (to 5): a huge quoted cell
                     "U0AAA,2026-09-02,Raj,,pending\n"              # line 6
                     f"{big}@acme.test,2026-09-02,Ann,,pending\n"   # line 7: an e-mail-ish rep, huge
                     "U0AAA,2026-09-03,Maria,,nobody\n")            # line 8
    assert main(["import", str(sheet), "--workspace", "T0001"]) == 1
    out = capsys.readouterr()
    errors = [line.split(": ", 2)[1] for line in out.err.splitlines() if ": line " in line]
    assert errors == ["line 3", "line 4", "line 7"]
    assert "over 10,000 characters" in out.err and "Traceback" not in out.err
    assert "6 rows: 3 added" in out.out
    assert _stored(engine) == ["Jane", "Maria", "Raj"]


def test_an_unclosed_quote_is_reported_where_it_opens_and_says_which_lines_it_swallowed():
    from datetime import date

    rows, errors = read_asks_sheet(HEADER + "U0AAA,2026-09-01,Jane,,\n" + 'U0AAA,2026-09-01,"Raj,,\n'
                                   + "U0AAA,2026-09-02,Tom,,\n", today=date(2026, 10, 1))
    assert [r.asked_name for r in rows] == ["Jane"]
    [error] = errors
    assert error.line == 3 and "lines 3 to 4: is a quote missing?" in error.message


def test_lookup_errors_are_reported_per_row_without_a_traceback(cli_env, fake_slack, engine, tmp_path, capsys):
    fake_slack.add_user("U0BEA", email="bea@acme.test")
    fake_slack.add_user("U0CAL", email="cal@acme.test")
    # Sorted, the lookups go ann, bea, cal: ann fails with a Slack error code, bea with 500s, cal works.
    fake_slack.fail_next("users.lookupByEmail", status=200, error="invalid_auth")
    fake_slack.fail_next("users.lookupByEmail", status=500, times=3)
    sheet = tmp_path / "emails.csv"
    sheet.write_text(HEADER + "ann@acme.test,2026-09-01,Jane,,\n"
                     "bea@acme.test,2026-09-01,Raj,,\n"
                     "cal@acme.test,2026-09-01,Maria,,\n"
                     "ann@acme.test,2026-09-02,Tom,,\n")
    assert main(["import", str(sheet), "--workspace", "T0001"]) == 1
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    errors = [line.split(": ", 2)[1:] for line in out.err.splitlines() if ": line " in line]
    assert [line for line, _ in errors] == ["line 2", "line 3", "line 5"]
    assert "invalid_auth" in errors[0][1] and "500" in errors[1][1]
    assert _stored(engine) == ["Maria"]
    assert len(fake_slack.calls_to("users.lookupByEmail")) == 3 + 2  # ann once, bea 1 + 2 retries, cal once
