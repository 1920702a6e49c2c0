"""Import and export of the asks spreadsheet, from the CLI and from Slack."""
from __future__ import annotations

import csv
import io
import json

from sqlmodel import Session, select

from bot.cli import main
from storage.models import Ask
from tests.support.teams import MANAGER, NY

SHEET = """rep,date,asked,for_whom,outcome
U0AAA,2026-09-01,Jane Doe,"Bob Smith, CFO at Acme",introduced
bea@acme.test,2026-09-02,Raj,,nobody
U0AAA,2026-09-03,=HYPERLINK("x"),,pending
U0AAA,2026-09-03,=HYPERLINK("x"),,pending
bea@acme.test,2026-09-04,U0CAROL,Dana at Initech,
"""


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_import_then_export_round_trip_and_a_second_import_adds_nothing(cli_env, fake_slack, engine, tmp_path,
                                                                       capsys):
    fake_slack.add_user("U0BEA", email="bea@acme.test")
    sheet = tmp_path / "asks.csv"
    sheet.write_text("\ufeff" + SHEET, encoding="utf-8")  # as Excel saves it
    assert main(["import", str(sheet), "--workspace", "T0001"]) == 0
    out = capsys.readouterr()
    assert "5 rows: 5 added, 0 already imported, 0 with errors" in out.out
    assert "importing 5/5" in out.err  # the progress, one line per batch when not on a terminal
    assert [c.params["email"] for c in fake_slack.calls_to("users.lookupByEmail")] == ["bea@acme.test"]

    assert main(["import", str(sheet), "--workspace", "T0001"]) == 0
    assert "5 rows: 0 added, 5 already imported" in capsys.readouterr().out

    exported = tmp_path / "out.csv"
    assert main(["export", "--workspace", "T0001", "--output", str(exported)]) == 0
    expected = rows_of(SHEET.replace("bea@acme.test", "U0BEA").replace(",\n", ",pending\n"))
    expected[3][2] = expected[4][2] = "'=HYPERLINK(\"x\")"  # a formula opens as text in a spreadsheet
    assert rows_of(exported.read_text()) == expected

    # The export imports into another workspace as the same data, and exports identically.
    assert main(["import", str(exported), "--workspace", "T0002"]) == 0
    assert "5 added" in capsys.readouterr().out
    assert main(["export", "--workspace", "T0002"]) == 0
    assert rows_of(capsys.readouterr().out) == expected
    with Session(engine) as session:
        names = [a.asked_name for a in session.exec(select(Ask).where(Ask.team_id == "T0002"))]
    assert names.count('=HYPERLINK("x")') == 2


def test_export_can_be_narrowed_by_dates_and_can_list_referrals(cli_env, slack, tmp_path, capsys, clock):
    slack.asked("Jane 2026-11-02")
    slack.asked("Raj 2026-11-10")
    slack.referral("got Bob Smith from Raj")
    assert main(["export", "--workspace", "T0001", "--from", "2026-11-05", "--to", "2026-11-30"]) == 0
    assert [r[2] for r in rows_of(capsys.readouterr().out)] == ["asked", "Raj"]
    assert main(["export", "--workspace", "T0001", "--referrals"]) == 0
    [header, row] = rows_of(capsys.readouterr().out)
    assert header[:5] == ["rep", "number", "prospect", "referrer", "status"]
    assert row[:6] == ["U0REP1", "1", "Bob Smith", "Raj", "introduced", "2026-11-20"]


def test_a_malformed_sheet_reports_every_bad_row_by_line_and_stores_only_the_good_ones(cli_env, engine, tmp_path,
                                                                                       capsys):
    sheet = tmp_path / "bad.csv"
    sheet.write_text("rep,date,asked,for_whom,outcome\n"
                     "U0AAA,2026-09-01,Jane,,pending\n"          # line 2: fine
                     "U0AAA,01/09/2026,Raj,,pending\n"           # line 3: not ISO
                     "not a rep,2026-09-01,Raj,,pending\n"       # line 4
                     "U0AAA,2026-09-01,,,pending\n"              # line 5: nobody asked
                     "U0AAA,2026-09-01,Raj,,maybe\n"             # line 6
                     "U0AAA,2026-09-01,Raj\n"                    # line 7: missing columns
                     "\n"
                     "U0AAA,2099-01-01,Raj,,pending\n"           # line 9: in the future
                     "U0AAA,2026-02-30,Raj,,pending\n")          # line 10: no such day
    assert main(["import", str(sheet), "--workspace", "T0001"]) == 1
    out = capsys.readouterr()
    assert "8 rows: 1 added, 0 already imported, 7 with errors (not stored)" in out.out
    lines = [line.split(": ", 2)[1] for line in out.err.splitlines() if ": line " in line]
    assert lines == ["line 3", "line 4", "line 5", "line 6", "line 7", "line 9", "line 10"]
    assert "date must be YYYY-MM-DD" in out.err and "outcome must be pending, introduced or nobody" in out.err
    with Session(engine) as session:
        assert [a.asked_name for a in session.exec(select(Ask))] == ["Jane"]

    sheet.write_text("who,when,what\nU0AAA,2026-09-01,Jane\n")
    assert main(["import", str(sheet), "--workspace", "T0001"]) == 1
    assert "line 1: the header must be rep,date,asked,for_whom,outcome" in capsys.readouterr().err
    sheet.write_text("rep,date,asked,for_whom,outcome\nnobody@nowhere.test,2026-09-01,Jane,,\n")
    assert main(["import", str(sheet), "--workspace", "T0001"]) == 1
    assert "line 2: no Slack user has the e-mail nobody@nowhere.test" in capsys.readouterr().err


def test_slash_export_sends_a_rep_their_own_data_and_a_manager_their_teams(team, slack, fake_slack):
    slack.asked("Jane", user=NY)
    slack.asked("Raj", user="U0OTHER")  # not on the manager's team
    reply = json.dumps(slack.referral("export", user=NY))
    assert "Sending your own data as a DM: 1 ask" in reply
    [upload] = fake_slack.calls_to("files.completeUploadExternal")
    assert upload.params["channel_id"] == f"D{NY}"
    asks_file = next(f["id"] for f in upload.params["files"] if f["title"] == "Asks")
    assert [r[0] for r in rows_of(fake_slack.uploaded(asks_file).decode())] == ["rep", NY]

    slack.referral("export", user=MANAGER)
    upload = fake_slack.calls_to("files.completeUploadExternal")[-1]
    assert upload.params["channel_id"] == f"D{MANAGER}"
    asks_file = next(f["id"] for f in upload.params["files"] if f["title"] == "Asks")
    assert {r[0] for r in rows_of(fake_slack.uploaded(asks_file).decode())[1:]} == {NY}
    assert "takes nothing after it" in json.dumps(slack.referral("export everything", user=NY))
