"""The App Home tab: published when opened, refreshed after each log, within Slack's 100 blocks for any team."""
from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlmodel import Session, select

from storage.models import Referral
from tests.support.teams import ADMIN, BERLIN, MANAGER, NY, tick
from views import ids


def text_of(view: dict) -> str:
    return json.dumps(view, ensure_ascii=False)


def test_a_reps_home_shows_the_week_the_kpis_open_referrals_and_commitments(team, slack, clock):
    clock.set(datetime(2026, 11, 4, 15, 0, tzinfo=UTC))  # Wednesday
    slack.referral("commit Jane; Raj", user=NY)
    slack.asked("Jane", user=NY)
    slack.referral("got Bob Smith from Jane", user=NY)
    slack.referral("meeting 1 2026-11-20", user=NY)
    home = slack.open_home(user=NY)
    assert home["type"] == "home"
    text = text_of(home)
    assert "This week: 1 of 1" in text and "5 days left" in text
    assert "~Jane~" in text and "Raj" in text  # kept, and still to ask
    assert "People asked: *1* · *1* · *1*" in text and "Referrals received: *1* · *1* · *1*" in text
    assert "#1* Bob Smith" in text and "Meeting Fri Nov 20" in text
    [menu] = [b["accessory"] for b in home["blocks"] if b.get("accessory", {}).get("action_id") == ids.REFERRAL_MENU]
    assert [o["value"] for o in menu["options"]] == ["thanked:1", "prep:1", "met:1", "won:1", "lost:1"]
    assert "busts_in_silhouette" not in text  # a rep has no team section


def test_the_home_tab_is_refreshed_after_each_log_and_its_menu_moves_the_referral(team, slack, fake_slack, engine):
    slack.asked("Jane", user=NY)
    assert "This week: 1 of 1" in text_of(slack.home_of(NY))  # published without being opened
    slack.referral("got Bob Smith from Jane", user=NY)
    assert "Bob Smith" in text_of(slack.home_of(NY))
    slack.pick(ids.REFERRAL_MENU, "lost:1", user=NY)
    assert fake_slack.calls_to("views.open")[-1].params["view"]["callback_id"] == ids.CLOSE_REASON_MODAL
    with Session(engine) as session:
        assert session.exec(select(Referral)).one().status == "lost"
    assert "Open referrals (0)" in text_of(slack.home_of(NY))
    slack.pick(ids.REFERRAL_MENU, "won:99", user=NY)  # a stale menu: a DM says so, nothing breaks
    assert "no referral #99" in text_of(fake_slack.calls_to("chat.postMessage")[-1].params)


def test_a_managers_home_fits_100_blocks_with_a_60_rep_team(team, slack, fake_slack, clock):
    reps = [f"U0R{n:03d}" for n in range(60)]
    for rep in reps:
        fake_slack.add_user(rep, tz="America/New_York")
    for chunk in range(0, 60, 20):
        slack.referral("team add east " + " ".join(f"<@{r}>" for r in reps[chunk:chunk + 20]), user=ADMIN)
    slack.referral("team create west", user=ADMIN)
    slack.referral(f"team add west <@{reps[0]}>", user=ADMIN)
    slack.referral(f"team manager west <@{MANAGER}>", user=ADMIN)
    for rep in reps[:25]:
        slack.asked("Jane", user=rep)
    for n in range(20):  # the manager is also a rep with many open referrals
        slack.referral(f"got Prospect {n} from Carol", user=MANAGER)
    home = slack.open_home(user=MANAGER)
    assert len(home["blocks"]) <= 100
    text = text_of(home)
    assert all(f"<@{rep}>" in text for rep in reps)
    assert "*east* this week: 38 of 63 below the minimum" in text and "*west* this week" in text
    assert "8 more: `/referral list`" in text  # 12 open referrals shown of 20


def test_a_huge_number_of_teams_still_fits(team, slack, fake_slack):
    for n in range(40):
        slack.referral(f"team create t{n}", user=ADMIN)
        slack.referral(f"team add t{n} <@U0T{n:03d}>", user=ADMIN)
        slack.referral(f"team manager t{n} <@{MANAGER}>", user=ADMIN)
    home = slack.open_home(user=MANAGER)
    assert len(home["blocks"]) <= 100 and "more teams" in text_of(home)


def test_the_messages_tab_publishes_nothing(slack, fake_slack):
    body = json.dumps({"team_id": "T0001", "api_app_id": "A0001", "type": "event_callback", "event_id": "Ev1",
                       "event_time": 1, "event": {"type": "app_home_opened", "user": "U0REP1", "tab": "messages"}})
    assert slack.dispatch(body, content_type="application/json").status == 200
    assert fake_slack.calls_to("views.publish") == []


def test_the_home_chart_is_uploaded_once_a_week_and_absent_without_history(team, slack, fake_slack, clock):
    from views.chart import png_size

    home = slack.open_home(user=BERLIN)  # no history: no chart, no upload
    assert not [b for b in home["blocks"] if b["type"] == "image"]
    assert fake_slack.calls_to("files.completeUploadExternal") == []
    slack.asked("Jane 2026-10-20", user=NY)
    slack.referral("got Bob from Jane 2026-10-22", user=NY)
    home = slack.open_home(user=NY)
    [image] = [b for b in home["blocks"] if b["type"] == "image"]
    [upload] = fake_slack.calls_to("files.completeUploadExternal")
    assert image["slack_file"]["id"] == upload.params["files"][0]["id"]
    assert "channel_id" not in upload.params  # private to the bot: the Home tab shows it by ID
    assert png_size(fake_slack.uploaded(image["slack_file"]["id"])) == (720, 320)
    slack.asked("Raj", user=NY)  # the refresh reuses this week's chart
    assert len(fake_slack.calls_to("files.completeUploadExternal")) == 1
    assert [b for b in slack.home_of(NY)["blocks"] if b["type"] == "image"] == [image]


def test_the_digest_carries_the_teams_chart_in_the_managers_dm(team, slack, fake_slack, app_and_ctx, clock):
    tick("digest", app_and_ctx, datetime(2026, 11, 2, 14, 0, tzinfo=UTC))  # nothing logged yet: no chart
    assert fake_slack.calls_to("files.completeUploadExternal") == []
    clock.set(datetime(2026, 11, 10, 15, 0, tzinfo=UTC))
    slack.asked("Jane", user=NY)
    slack.referral("got Bob from Jane", user=BERLIN)
    tick("digest", app_and_ctx, datetime(2026, 11, 16, 14, 0, tzinfo=UTC))
    [upload] = fake_slack.calls_to("files.completeUploadExternal")
    assert upload.params["channel_id"] == f"D{MANAGER}" and "12-week trend for east" in upload.params["initial_comment"]
    fake_slack.fail_next("files.getUploadURLExternal", status=200, error="not_allowed")
    report = tick("digest", app_and_ctx, datetime(2026, 11, 23, 14, 0, tzinfo=UTC))
    assert (report.sent, report.failed) == (1, 0)  # a chart that can't be uploaded doesn't fail the digest
    assert len(fake_slack.calls_to("files.completeUploadExternal")) == 1


def test_scheduling_the_meeting_from_the_home_tab_picks_a_date_and_sends_the_checklist(team, slack, fake_slack,
                                                                                      engine):
    slack.referral("got Bob Smith from Jane", user=NY)
    [menu] = [b["accessory"] for b in slack.home_of(NY)["blocks"]
              if b.get("accessory", {}).get("action_id") == ids.REFERRAL_MENU]
    assert "meeting:1" in [o["value"] for o in menu["options"]]
    slack.pick(ids.REFERRAL_MENU, "meeting:1", user=NY)
    form = fake_slack.calls_to("views.open")[-1].params["view"]
    assert form["callback_id"] == ids.MEETING_MODAL

    def picked(day):  # noqa: ANN001, ANN202
        return {ids.MEETING_DATE_BLOCK: {ids.MEETING_DATE_ACTION: {"selected_date": day}}}

    far = slack.submit(form, picked("2062-11-03"), user=NY)
    assert "more than 365 days ahead" in json.loads(far.body)["errors"][ids.MEETING_DATE_BLOCK]
    slack.submit(form, picked("2026-11-03"), user=NY)  # tomorrow: the checklist comes at once
    with Session(engine) as session:
        referral = session.exec(select(Referral)).one()
    assert (referral.status, referral.meeting_on.isoformat()) == ("meeting_scheduled", "2026-11-03")
    assert any("Ten minutes of prep" in text_of(c.params) for c in fake_slack.calls_to("chat.postMessage"))
    assert "Meeting tomorrow" in text_of(slack.home_of(NY))
