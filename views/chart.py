"""The 12-week trend chart as a PNG: grouped bars of asks and referrals received per week.

Drawn by hand with the standard library instead of matplotlib: a chart this plain does not
justify a heavy dependency (and its font cache and backends) in the bot, the output is
byte-for-byte deterministic (so tests can compare it and Slack uploads are reproducible), and
it renders in a few milliseconds, which keeps ``referral-bot demo`` inside its 10 seconds.
"""
from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

Colour = tuple[int, int, int]

ASKS_COLOUR: Colour = (29, 78, 137)
REFERRALS_COLOUR: Colour = (46, 160, 67)
BACKGROUND: Colour = (255, 255, 255)
TEXT_COLOUR: Colour = (51, 51, 51)
GRID_COLOUR: Colour = (225, 225, 225)
AXIS_COLOUR: Colour = (150, 150, 150)

WIDTH = 720
HEIGHT = 320

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class WeekPoint(Protocol):
    # Read-only properties, so that frozen dataclasses such as domain.trends.WeekPoint satisfy the protocol.
    @property
    def week_start(self) -> date: ...  # the Monday of the week

    @property
    def asks(self) -> int: ...

    @property
    def referrals(self) -> int: ...


# A 5x7 bitmap font: seven rows per glyph, top first, each row's five low bits read left to right.
# Only what the chart writes is here (text is upper-cased first); anything else draws as blank.
_font: dict[str, tuple[int, ...]] = {
    "A": (0x0E, 0x11, 0x11, 0x11, 0x1F, 0x11, 0x11),
    "B": (0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E),
    "C": (0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E),
    "D": (0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C),
    "E": (0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F),
    "F": (0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10),
    "G": (0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F),
    "H": (0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11),
    "I": (0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E),
    "J": (0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C),
    "K": (0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11),
    "L": (0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F),
    "M": (0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11),
    "N": (0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11),
    "O": (0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E),
    "P": (0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10),
    "Q": (0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D),
    "R": (0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11),
    "S": (0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E),
    "T": (0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04),
    "U": (0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E),
    "V": (0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04),
    "W": (0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A),
    "X": (0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11),
    "Y": (0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04),
    "Z": (0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F),
    "0": (0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E),
    "1": (0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E),
    "2": (0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F),
    "3": (0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E),
    "4": (0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02),
    "5": (0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E),
    "6": (0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E),
    "7": (0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08),
    "8": (0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E),
    "9": (0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C),
    " ": (0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00),
    "/": (0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00),
    "-": (0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00),
    ".": (0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C),
    ",": (0x00, 0x00, 0x00, 0x00, 0x0C, 0x04, 0x08),
    ":": (0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00),
    "(": (0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02),
    ")": (0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08),
}
_GLYPH_W, _GLYPH_H = 5, 7
_ADVANCE = _GLYPH_W + 1  # one blank column between letters


def text_width(text: str, scale: int = 1) -> int:
    return max(len(text) * _ADVANCE - 1, 0) * scale


class _Canvas:
    """An RGB image in one bytearray, three bytes a pixel, rows top to bottom; drawing clips to the edges."""

    def __init__(self, width: int, height: int, background: Colour = BACKGROUND):
        self.width = width
        self.height = height
        self.pixels = bytearray(bytes(background) * (width * height))

    def fill_rect(self, x: int, y: int, w: int, h: int, colour: Colour) -> None:
        x0, y0 = max(x, 0), max(y, 0)
        x1, y1 = min(x + w, self.width), min(y + h, self.height)
        if x0 >= x1 or y0 >= y1:
            return
        # Slice assignment a row at a time: a per-pixel loop would make a 720x320 chart take ~100 ms.
        run = bytes(colour) * (x1 - x0)
        for row in range(y0, y1):
            start = (row * self.width + x0) * 3
            self.pixels[start:start + len(run)] = run

    def hline(self, x0: int, x1: int, y: int, colour: Colour) -> None:
        """From x0 to x1 inclusive."""
        self.fill_rect(x0, y, x1 - x0 + 1, 1, colour)

    def text(self, x: int, y: int, text: str, colour: Colour, scale: int = 1) -> int:
        """Draws ``text`` with its top-left corner at (x, y) and returns its width in pixels."""
        for i, char in enumerate(text.upper()):
            rows = _font.get(char)
            if rows is None:
                continue
            left = x + i * _ADVANCE * scale
            for r, bits in enumerate(rows):
                for c in range(_GLYPH_W):
                    if bits & (1 << (_GLYPH_W - 1 - c)):
                        self.fill_rect(left + c * scale, y + r * scale, scale, scale, colour)
        return text_width(text, scale)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _encode_png(canvas: _Canvas) -> bytes:
    header = struct.pack(">IIBBBBB", canvas.width, canvas.height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    stride = canvas.width * 3
    # Filter type 0 (none) on every row: the chart is mostly flat colour, which zlib squeezes well anyway.
    raw = b"".join(b"\x00" + canvas.pixels[row * stride:(row + 1) * stride] for row in range(canvas.height))
    return (_PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, 9))
            + _chunk(b"IEND", b""))


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk, which the format requires to come first."""
    if len(data) < 24 or not data.startswith(_PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def nice_maximum(value: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50… that is at least ``value`` (and at least 1)."""
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            if factor * magnitude >= value:
                return factor * magnitude
        magnitude *= 10


def _ticks(maximum: int) -> list[int]:
    # Whole-number ticks only (the counts are whole), and steps a reader can add up at a glance: 1, 2, 5, 10…
    for steps in (5, 4, 2):
        step, remainder = divmod(maximum, steps)
        if not remainder and step and str(step).strip("0") in ("1", "2", "5"):
            return [step * i for i in range(steps + 1)]
    return [0, maximum]


@dataclass(frozen=True)
class _Layout:
    """Where the plot sits: bars stand on ``bottom`` and reach ``top`` at the axis maximum."""
    left: int
    right: int
    top: int
    bottom: int

    @property
    def height(self) -> int:
        return self.bottom - self.top


_MARGIN = 16
_TITLE_Y = 12
_LEGEND_Y = 36
_PLOT_TOP = 56
_PLOT_BOTTOM = HEIGHT - 36  # room for the week labels underneath


def trend_chart_png(points: Sequence[WeekPoint], *, title: str = "Asks and referrals received per week") -> bytes:
    """A PNG (bytes) of grouped bars, oldest week on the left."""
    if not points:
        raise ValueError("no weeks to chart")
    canvas = _Canvas(WIDTH, HEIGHT)
    maximum = nice_maximum(max(max(p.asks, p.referrals) for p in points))
    ticks = _ticks(maximum)
    label_w = max(text_width(str(t)) for t in ticks)
    layout = _Layout(left=max(48, _MARGIN + label_w + 8), right=WIDTH - _MARGIN, top=_PLOT_TOP, bottom=_PLOT_BOTTOM)

    _draw_title(canvas, title)
    _draw_legend(canvas)
    _draw_grid(canvas, layout, ticks, maximum)
    _draw_bars(canvas, layout, points, maximum)
    return _encode_png(canvas)


def _draw_title(canvas: _Canvas, title: str) -> None:
    # A title wider than the image is cut rather than shrunk: the 2x font is what keeps it readable in Slack.
    fits = (canvas.width - 2 * _MARGIN + 1) // (_ADVANCE * 2)
    canvas.text(_MARGIN, _TITLE_Y, title[:fits], TEXT_COLOUR, scale=2)


def _draw_legend(canvas: _Canvas) -> None:
    swatch, gap = 9, 16
    entries = (("ASKS", ASKS_COLOUR), ("REFERRALS", REFERRALS_COLOUR))
    total = sum(swatch + 5 + text_width(label) for label, _ in entries) + gap * (len(entries) - 1)
    x = canvas.width - _MARGIN - total
    for label, colour in entries:
        canvas.fill_rect(x, _LEGEND_Y - 1, swatch, swatch, colour)
        x += swatch + 5
        x += canvas.text(x, _LEGEND_Y, label, TEXT_COLOUR) + gap


def _value_y(layout: _Layout, value: int, maximum: int) -> int:
    return layout.bottom - round(value / maximum * layout.height)


def _draw_grid(canvas: _Canvas, layout: _Layout, ticks: list[int], maximum: int) -> None:
    for tick in ticks:
        y = _value_y(layout, tick, maximum)
        canvas.hline(layout.left, layout.right, y, AXIS_COLOUR if tick == 0 else GRID_COLOUR)
        label = str(tick)
        canvas.text(layout.left - 8 - text_width(label), y - _GLYPH_H // 2, label, TEXT_COLOUR)


def _draw_bars(canvas: _Canvas, layout: _Layout, points: Sequence[WeekPoint], maximum: int) -> None:
    slot = (layout.right - layout.left) / len(points)
    # Bars stay slim when there are few weeks: one 300-pixel slab per series says less than a narrow bar.
    bar = max(1, min(24, int(slot * 0.36)))
    gap = 2 if slot >= 12 else 0
    # Week labels are skipped evenly when they would overlap (only with far more than 12 weeks).
    every = math.ceil((text_width("12/31") + 6) / slot)
    for i, point in enumerate(points):
        centre = round(layout.left + (i + 0.5) * slot)
        for x, value, colour in ((centre - gap // 2 - bar, point.asks, ASKS_COLOUR),
                                 (centre + (gap + 1) // 2, point.referrals, REFERRALS_COLOUR)):
            if value <= 0:
                continue
            # A non-zero week always shows at least a sliver, however large the busiest week.
            height = max(1, layout.bottom - _value_y(layout, value, maximum))
            canvas.fill_rect(x, layout.bottom - height, bar, height, colour)
        if i % every == 0:
            label = f"{point.week_start.month}/{point.week_start.day}"
            canvas.text(centre - text_width(label) // 2, layout.bottom + 10, label, TEXT_COLOUR)
