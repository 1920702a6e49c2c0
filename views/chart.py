"""The 12-week trend chart as a PNG, drawn with matplotlib's Agg backend.

Grouped bars of asks and referrals received per week, the weekly minimum as a dashed line, and a
trend line (the team's average, or the asks' moving average), on a transparent background so that
Slack's light and dark themes both show through. Every colour keeps a contrast of at least 3:1
(WCAG's figure for graphics) against both themes' backgrounds, so one image serves both.

matplotlib is imported inside the functions: it costs tens of megabytes, which an idle bot that draws
a chart once a week per person should not carry. Only the object-oriented API is used (no pyplot),
so no global backend state is touched and nothing is left open between charts.
"""
from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# Slack's message and Home backgrounds, light and dark theme.
SLACK_LIGHT_BACKGROUND = "#FFFFFF"
SLACK_DARK_BACKGROUND = "#1A1D21"
ASKS_COLOUR = "#3B82F6"
REFERRALS_COLOUR = "#12A150"
MINIMUM_COLOUR = "#E03E3E"
TREND_COLOUR = "#A855F7"
INK = "#7C8591"  # text, axes and grid: a mid grey readable on white and on near-black
CHART_COLOURS = (ASKS_COLOUR, REFERRALS_COLOUR, MINIMUM_COLOUR, TREND_COLOUR, INK)

WIDTH = 720
HEIGHT = 320
_DPI = 100
MOVING_AVERAGE_WEEKS = 4

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class WeekPoint(Protocol):
    # Read-only properties, so that frozen dataclasses such as domain.trends.WeekPoint satisfy the protocol.
    @property
    def week_start(self) -> date: ...  # the Monday of the week

    @property
    def asks(self) -> int: ...

    @property
    def referrals(self) -> int: ...


@dataclass(frozen=True)
class TrendLine:
    """A line over the bars, one value a week: the team's average asks per rep, say."""

    label: str
    values: tuple[float, ...]


def moving_average(values: Sequence[float], weeks: int = MOVING_AVERAGE_WEEKS) -> tuple[float, ...]:
    """Each week's mean over itself and up to ``weeks - 1`` weeks before it (fewer at the start)."""
    return tuple(sum(values[max(0, i - weeks + 1):i + 1]) / (i + 1 - max(0, i - weeks + 1)) for i in range(len(values)))


def trend_figure(points: Sequence[WeekPoint], *, title: str = "Asks and referrals received per week",
                 minimum: float | None = None, minimum_label: str = "Minimum",
                 trend: TrendLine | None = None) -> Figure:
    """The chart as a matplotlib Figure (tests read its artists); ``trend_chart_png`` renders it."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    if not points:
        raise ValueError("no weeks to chart")
    if trend is None:
        trend = TrendLine(f"Asks, {MOVING_AVERAGE_WEEKS}-week average", moving_average([p.asks for p in points]))
    if len(trend.values) != len(points):
        raise ValueError("the trend line needs one value a week")

    figure = Figure(figsize=(WIDTH / _DPI, HEIGHT / _DPI), dpi=_DPI)
    figure.patch.set_alpha(0)
    axes = figure.add_subplot()
    axes.patch.set_alpha(0)
    slots = list(range(len(points)))
    width = 0.38
    axes.bar([x - width / 2 for x in slots], [p.asks for p in points], width, color=ASKS_COLOUR, label="Asks",
             zorder=2)
    axes.bar([x + width / 2 for x in slots], [p.referrals for p in points], width, color=REFERRALS_COLOUR,
             label="Referrals received", zorder=2)
    axes.plot(slots, trend.values, color=TREND_COLOUR, linewidth=2, marker="o", markersize=3, label=trend.label,
              zorder=3)
    if minimum is not None:
        axes.axhline(minimum, color=MINIMUM_COLOUR, linestyle="--", linewidth=1.5,
                     label=f"{minimum_label} ({minimum:g} a week)", zorder=3)

    axes.set_title(title, color=INK, fontsize=11, loc="left")
    axes.set_xlabel("Week starting", color=INK, fontsize=9)
    axes.set_ylabel("Per week", color=INK, fontsize=9)
    axes.set_xticks(slots, [f"{p.week_start:%b} {p.week_start.day}" for p in points], fontsize=8)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=2))  # counts are whole
    top = max([p.asks for p in points] + [p.referrals for p in points] + list(trend.values) + [minimum or 0, 1])
    axes.set_ylim(0, top * 1.3)  # headroom for the legend above the tallest bar
    axes.tick_params(colors=INK, labelsize=8)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        axes.spines[side].set_color(INK)
    axes.grid(axis="y", color=INK, alpha=0.3, linewidth=0.6, zorder=0)
    legend = axes.legend(loc="upper left", bbox_to_anchor=(0, 1.0), ncols=4, fontsize=8, frameon=False,
                         labelcolor=INK)
    legend.set_zorder(4)
    figure.tight_layout(pad=0.6)
    return figure


def trend_chart_png(points: Sequence[WeekPoint], *, title: str = "Asks and referrals received per week",
                    minimum: float | None = None, minimum_label: str = "Minimum",
                    trend: TrendLine | None = None) -> bytes:
    """A PNG (bytes, RGBA with a transparent background), oldest week on the left; the same input gives the same bytes."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figure = trend_figure(points, title=title, minimum=minimum, minimum_label=minimum_label, trend=trend)
    FigureCanvasAgg(figure)
    out = io.BytesIO()
    # No "Software" stamp: the bytes then depend on the data alone, so a re-upload is recognisable.
    figure.savefig(out, format="png", dpi=_DPI, transparent=True, metadata={"Software": None})
    return out.getvalue()


def lines_chart_png(points: Sequence[WeekPoint], lines: Any, *, title: str) -> bytes:
    """The chart with ``lines`` (services.charts.ChartLines: minimum, its label, and an optional trend) drawn over it."""
    trend = TrendLine(lines.trend_label, tuple(lines.trend)) if lines.trend is not None else None
    return trend_chart_png(points, title=title, minimum=lines.minimum, minimum_label=lines.minimum_label, trend=trend)


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk, which the format requires to come first."""
    if len(data) < 24 or not data.startswith(_PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    width, height = struct.unpack(">II", data[16:24])
    return width, height
