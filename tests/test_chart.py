"""The trend chart PNG, read back with a tiny decoder: a valid file whose bars follow the numbers."""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise

import pytest

from views.chart import ASKS_COLOUR, REFERRALS_COLOUR, nice_maximum, png_size, trend_chart_png

Colour = tuple[int, int, int]


@dataclass(frozen=True)
class Week:
    week_start: date
    asks: int
    referrals: int


@dataclass(frozen=True)
class Image:
    width: int
    height: int
    rows: list[bytes]  # three bytes a pixel, filter bytes removed

    def pixel(self, x: int, y: int) -> Colour:
        r, g, b = self.rows[y][x * 3:x * 3 + 3]
        return r, g, b

    def mask(self, colour: Colour) -> set[tuple[int, int]]:
        """Every (x, y) of exactly this colour; bytes.find keeps the suite quick on 230,000 pixels an image."""
        target, found = bytes(colour), set()
        for y, row in enumerate(self.rows):
            i = row.find(target)
            while i != -1:
                if i % 3 == 0:  # a match straddling two pixels is not a pixel
                    found.add((i // 3, y))
                i = row.find(target, i + 1)
        return found


def decode(data: bytes) -> Image:
    """A minimal PNG reader for what the chart promises: 8-bit RGB, one IDAT, filter 0 on every row."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, offset = [], 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset:offset + 4])
        kind, body = data[offset + 4:offset + 8], data[offset + 8:offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length:offset + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF, f"bad CRC on {kind!r}"
        chunks.append((kind, body))
        offset += 12 + length
    assert offset == len(data)
    assert [kind for kind, _ in chunks] == [b"IHDR", b"IDAT", b"IEND"]
    width, height, depth, colour_type, compression, filtering, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (depth, colour_type, compression, filtering, interlace) == (8, 2, 0, 0, 0)
    raw = zlib.decompress(chunks[1][1])
    stride = 1 + width * 3
    assert len(raw) == stride * height
    rows = [raw[y * stride:(y + 1) * stride] for y in range(height)]
    assert {row[0] for row in rows} == {0}
    return Image(width, height, [row[1:] for row in rows])


def weeks(asks: list[int], referrals: list[int] | None = None) -> list[Week]:
    referrals = referrals if referrals is not None else [0] * len(asks)
    return [Week(date(2026, 9, 7) + timedelta(weeks=i), a, r) for i, (a, r) in enumerate(zip(asks, referrals, strict=True))]


def bar_pixels(points: list[Week], colour: Colour) -> set[tuple[int, int]]:
    """Pixels of ``colour`` that are not the legend's swatch: the legend is whatever an all-zero chart draws."""
    legend = decode(trend_chart_png([Week(p.week_start, 0, 0) for p in points])).mask(colour)
    return decode(trend_chart_png(points)).mask(colour) - legend


def runs(xs: set[int]) -> list[tuple[int, int]]:
    """Contiguous ranges of x, left to right, as (first, last)."""
    found: list[tuple[int, int]] = []
    for x in sorted(xs):
        if found and x == found[-1][1] + 1:
            found[-1] = (found[-1][0], x)
        else:
            found.append((x, x))
    return found


def week_slots(count: int) -> list[tuple[int, int]]:
    """Each week's x range, learnt from a chart where every week has both bars (the layout ignores the values)."""
    reference = weeks([11] * count, [11] * count)
    asks = runs({x for x, _ in bar_pixels(reference, ASKS_COLOUR)})
    referrals = runs({x for x, _ in bar_pixels(reference, REFERRALS_COLOUR)})
    assert len(asks) == len(referrals) == count
    groups = [(a[0], r[1]) for a, r in zip(asks, referrals, strict=True)]
    assert all(a[1] < r[0] for a, r in zip(asks, referrals, strict=True)), "asks stand left of referrals"
    bounds = [0] + [(left[1] + right[0]) // 2 for left, right in pairwise(groups)] + [10_000]
    return list(pairwise(bounds))


def per_week(pixels: set[tuple[int, int]], slots: list[tuple[int, int]]) -> list[set[tuple[int, int]]]:
    return [{(x, y) for x, y in pixels if lo <= x < hi} for lo, hi in slots]


def bar_height(pixels: set[tuple[int, int]]) -> int:
    return max(y for _, y in pixels) - min(y for _, y in pixels) + 1 if pixels else 0


def test_a_valid_png_whose_size_png_size_reads():
    data = trend_chart_png(weeks(list(range(12))))
    image = decode(data)
    assert png_size(data) == (image.width, image.height)
    assert 600 <= image.width <= 800 and 250 <= image.height <= 400
    assert image.pixel(0, 0) == image.pixel(image.width - 1, image.height - 1) == (255, 255, 255)
    with pytest.raises(ValueError):
        png_size(b"GIF89a" + bytes(30))


def test_asks_bars_grow_with_the_number_and_zero_draws_none():
    slots = week_slots(12)
    blue = per_week(bar_pixels(weeks(list(range(12))), ASKS_COLOUR), slots)
    counts = [len(pixels) for pixels in blue]
    assert counts[0] == 0
    assert all(later > earlier for earlier, later in pairwise(counts[1:])), counts
    assert counts[1] > 0


def test_referral_bars_are_green_and_zero_referrals_draw_none():
    red, green, blue = REFERRALS_COLOUR
    assert green > red and green > blue
    red, green, blue = ASKS_COLOUR
    assert blue > red and blue > green and max(ASKS_COLOUR) < 180, "a dark blue"
    slots = week_slots(12)
    referrals = [3, 0, 5, 0, 1, 8, 0, 2, 2, 0, 7, 4]
    points = weeks([4] * 12, referrals)
    green = per_week(bar_pixels(points, REFERRALS_COLOUR), slots)
    assert [bool(pixels) for pixels in green] == [bool(n) for n in referrals]
    # Green is the referrals' alone: the asks bars, all equal, stay blue.
    blue = per_week(bar_pixels(points, ASKS_COLOUR), slots)
    assert len({len(pixels) for pixels in blue}) == 1 and blue[0]


def test_bar_height_is_proportional_to_the_value():
    slots = week_slots(12)
    blue = per_week(bar_pixels(weeks(list(range(12))), ASKS_COLOUR), slots)
    assert abs(bar_height(blue[10]) - 2 * bar_height(blue[5])) <= 2
    assert abs(bar_height(blue[9]) - 3 * bar_height(blue[3])) <= 2


def test_bars_are_scaled_to_a_nice_axis_maximum():
    assert [nice_maximum(n) for n in (0, 1, 2, 3, 6, 11, 20, 21, 999, 1234)] == [1, 1, 2, 5, 10, 20, 20, 50, 1000, 2000]
    slots = week_slots(2)

    def height_of_ten(busiest: int) -> int:
        return bar_height(per_week(bar_pixels(weeks([busiest, 10]), ASKS_COLOUR), slots)[1])

    # 11 and 20 share the axis maximum 20; 21 needs 50, which shrinks everything else.
    assert height_of_ten(11) == height_of_ten(20)
    assert abs(height_of_ten(21) - height_of_ten(20) * 20 / 50) <= 1


def test_large_values_and_a_single_week():
    [slot] = week_slots(1)
    points = weeks([1234], [567])
    asks = bar_height(per_week(bar_pixels(points, ASKS_COLOUR), [slot])[0])
    referrals = bar_height(per_week(bar_pixels(points, REFERRALS_COLOUR), [slot])[0])
    assert asks > referrals > 0
    assert abs(asks * 567 / 1234 - referrals) <= 1.5


def test_a_tiny_value_next_to_a_huge_one_still_shows():
    slots = week_slots(2)
    blue = per_week(bar_pixels(weeks([1_000_000, 1]), ASKS_COLOUR), slots)
    assert blue[1]


def test_no_weeks_is_refused():
    with pytest.raises(ValueError):
        trend_chart_png([])


def test_the_same_input_draws_the_same_bytes():
    points = weeks([3, 1, 4, 1, 5, 9], [2, 6, 5, 3, 5, 8])
    assert trend_chart_png(points) == trend_chart_png(list(points))
    assert trend_chart_png(points) != trend_chart_png(weeks([3, 1, 4, 1, 5, 8], [2, 6, 5, 3, 5, 8]))


def test_text_is_upper_cased_and_unknown_characters_are_blank():
    points = weeks([1, 2])
    assert trend_chart_png(points, title="Asks (12 weeks)") == trend_chart_png(points, title="ASKS (12 WEEKS)")
    assert trend_chart_png(points, title="A~B") == trend_chart_png(points, title="A B")
    assert trend_chart_png(points, title="A B") != trend_chart_png(points, title="A C")
    # The week labels are drawn: a chart of other weeks differs, though its bars are the same.
    later = [Week(p.week_start + timedelta(weeks=1), p.asks, p.referrals) for p in points]
    assert trend_chart_png(points) != trend_chart_png(later)
