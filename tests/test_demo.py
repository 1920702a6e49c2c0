"""referral-bot demo: the product without Slack, from a fresh throwaway database."""
from __future__ import annotations

from datetime import UTC, datetime

from bot.demo import run_demo
from views.chart import png_size


def test_the_demo_prints_every_message_and_writes_the_chart(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)  # the demo never touches a configured database
    chart = tmp_path / "trend.png"
    assert run_demo(chart_path=str(chart), now=datetime(2026, 11, 19, 20, 0, tzinfo=UTC)) == 0  # a Thursday
    out = capsys.readouterr().out
    for title in ("The reminder Ben gets", "Maya's Monday digest", "The leaderboard posted in #sales",
                  "Ana asks: /referral plan 10"):
        assert f"=== {title}" in out
    reminder = out.split("=== The reminder")[1].split("\n=== ")[0]
    assert "0 of 1 ask this week" in reminder and "[ Log an ask ]" in reminder
    digest = out.split("=== Maya's Monday digest")[1].split("=== The leaderboard")[0]
    assert all(f"@{name}" in digest for name in ("Ana", "Ben", "Chloe", "Dev", "Emma", "Femi"))
    assert "<@" not in out and ":white_check_mark:" not in out and "*" not in out  # terminal text, not mrkdwn
    assert png_size(chart.read_bytes()) == (720, 320)
    assert str(chart) in out


def test_the_demo_tells_the_same_story_on_the_same_day(tmp_path, capsys):
    now = datetime(2026, 11, 19, 20, 0, tzinfo=UTC)
    run_demo(chart_path=str(tmp_path / "a.png"), now=now)
    first = capsys.readouterr().out
    run_demo(chart_path=str(tmp_path / "b.png"), now=now)
    second = capsys.readouterr().out
    strip = lambda text: [line for line in text.splitlines() if "referral-demo-" not in line and ".png" not in line]  # noqa: E731
    assert strip(first) == strip(second)
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()


def test_referral_bot_demo_runs_from_the_command_line_on_todays_date(tmp_path, capsys, monkeypatch):
    from bot.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--chart", str(tmp_path / "chart.png")]) == 0
    out = capsys.readouterr().out
    assert "=== Maya's Monday digest" in out and f"chart from the digest is at {tmp_path / 'chart.png'}" in out
    assert png_size((tmp_path / "chart.png").read_bytes()) == (720, 320)
