"""The trend chart: a matplotlib figure whose bars, minimum line and trend follow the numbers, rendered to a
transparent PNG whose colours keep their contrast on Slack's light and dark themes."""
from __future__ import annotations

import io
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from views.chart import (
    ASKS_COLOUR,
    CHART_COLOURS,
    MINIMUM_COLOUR,
    REFERRALS_COLOUR,
    SLACK_DARK_BACKGROUND,
    SLACK_LIGHT_BACKGROUND,
    TREND_COLOUR,
    TrendLine,
    moving_average,
    png_size,
    trend_chart_png,
    trend_figure,
)


@dataclass(frozen=True)
class Week:
    week_start: date
    asks: int
    referrals: int


def weeks(asks: list[int], referrals: list[int] | None = None) -> list[Week]:
    referrals = referrals if referrals is not None else [0] * len(asks)
    return [Week(date(2026, 9, 7) + timedelta(weeks=i), a, r) for i, (a, r) in enumerate(zip(asks, referrals, strict=True))]


def hex_rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio."""
    def luminance(colour: str) -> float:
        channels = [c / 255 for c in hex_rgb(colour)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def bars(figure, colour: str) -> list[float]:  # noqa: ANN001
    from matplotlib.colors import to_hex

    axes = figure.axes[0]
    return [p.get_height() for p in axes.patches if to_hex(p.get_facecolor()) == colour.lower()]


def test_bars_follow_the_numbers_asks_left_of_referrals():
    asks, referrals = [3, 0, 5, 1, 9, 2], [1, 0, 2, 0, 4, 1]
    figure = trend_figure(weeks(asks, referrals))
    assert bars(figure, ASKS_COLOUR) == asks
    assert bars(figure, REFERRALS_COLOUR) == referrals
    axes = figure.axes[0]
    ask_x = [p.get_x() for p in axes.patches[:6]]
    referral_x = [p.get_x() for p in axes.patches[6:]]
    assert all(a < r for a, r in zip(ask_x, referral_x, strict=True))


def test_axes_are_labelled_with_weeks_and_counts():
    figure = trend_figure(weeks([1, 2, 3]), title="Your last 12 weeks")
    axes = figure.axes[0]
    assert axes.get_xlabel() == "Week starting" and axes.get_ylabel() == "Per week"
    assert axes.get_title(loc="left") == "Your last 12 weeks"
    assert [t.get_text() for t in axes.get_xticklabels()] == ["Sep 7", "Sep 14", "Sep 21"]
    assert all(float(t).is_integer() for t in axes.get_yticks()), "counts are whole numbers"


def test_the_minimum_is_a_dashed_line_at_its_value_and_in_the_legend():
    from matplotlib.colors import to_hex

    figure = trend_figure(weeks([1, 4, 2]), minimum=3, minimum_label="Team target")
    axes = figure.axes[0]
    [line] = [ln for ln in axes.get_lines() if to_hex(ln.get_color()) == MINIMUM_COLOUR.lower()]
    assert set(line.get_ydata()) == {3} and line.get_linestyle() == "--"
    labels = [t.get_text() for t in axes.get_legend().get_texts()]
    assert "Team target (3 a week)" in labels and "Asks" in labels and "Referrals received" in labels
    # Without a minimum, no such line.
    plain = trend_figure(weeks([1, 4, 2])).axes[0]
    assert not [ln for ln in plain.get_lines() if to_hex(ln.get_color()) == MINIMUM_COLOUR.lower()]


def test_the_trend_line_is_the_teams_average_when_given_else_the_asks_moving_average():
    from matplotlib.colors import to_hex

    def trend_of(figure) -> tuple[list[float], str]:  # noqa: ANN001
        axes = figure.axes[0]
        [line] = [ln for ln in axes.get_lines() if to_hex(ln.get_color()) == TREND_COLOUR.lower()]
        return list(line.get_ydata()), line.get_label()

    team = TrendLine("Team average asks", (2.0, 2.5, 3.0))
    assert trend_of(trend_figure(weeks([1, 4, 2]), trend=team)) == ([2.0, 2.5, 3.0], "Team average asks")
    values, label = trend_of(trend_figure(weeks([4, 0, 2, 6, 8])))
    assert values == [4, 2, 2, 3, 4] and "average" in label
    assert moving_average([4, 0, 2, 6, 8], weeks=2) == (4, 2, 1, 4, 7)
    with pytest.raises(ValueError):
        trend_figure(weeks([1, 2]), trend=TrendLine("short", (1.0,)))


def test_every_colour_keeps_its_contrast_on_slacks_light_and_dark_themes():
    for colour in CHART_COLOURS:
        for background in (SLACK_LIGHT_BACKGROUND, SLACK_DARK_BACKGROUND):
            assert contrast(colour, background) >= 3, (colour, background)


def test_a_transparent_png_of_the_documented_size_that_carries_the_bar_colours():
    from PIL import Image

    data = trend_chart_png(weeks([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8], [1, 0, 2, 1, 3, 2, 0, 1, 2, 1, 3, 4]), minimum=2)
    assert png_size(data) == (720, 320)
    image = Image.open(io.BytesIO(data)).convert("RGBA")
    assert image.size == (720, 320)
    corners = [image.getpixel(xy) for xy in ((0, 0), (719, 0), (0, 319), (719, 319))]
    assert all(alpha == 0 for *_, alpha in corners), "the theme shows through"
    opaque = {(r, g, b) for _, (r, g, b, a) in image.getcolors(maxcolors=720 * 320) if a == 255}
    assert hex_rgb(ASKS_COLOUR) in opaque and hex_rgb(REFERRALS_COLOUR) in opaque
    with pytest.raises(ValueError):
        png_size(b"GIF89a" + bytes(30))


def test_the_same_input_draws_the_same_bytes_and_other_input_other_bytes():
    points = weeks([3, 1, 4, 1, 5, 9], [2, 6, 5, 3, 5, 8])
    assert trend_chart_png(points) == trend_chart_png(list(points))
    assert trend_chart_png(points) != trend_chart_png(weeks([3, 1, 4, 1, 5, 8], [2, 6, 5, 3, 5, 8]))
    assert trend_chart_png(points, minimum=2) != trend_chart_png(points)


def test_large_values_a_single_week_and_no_weeks():
    figure = trend_figure(weeks([1234], [567]))
    assert bars(figure, ASKS_COLOUR) == [1234] and figure.axes[0].get_ylim()[1] > 1234
    with pytest.raises(ValueError):
        trend_chart_png([])


def test_matplotlib_is_imported_only_when_a_chart_is_drawn():
    code = ("import sys, views.chart, bot.app, bot.cli, services.charts; "
            "assert 'matplotlib' not in sys.modules, 'imported at start'; "
            "from datetime import date; from domain.trends import WeekPoint; "
            "views.chart.trend_chart_png([WeekPoint(date(2026, 9, 7), 1, 1)]); "
            "assert 'matplotlib' in sys.modules and 'matplotlib.pyplot' not in sys.modules, 'Agg canvas only'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
