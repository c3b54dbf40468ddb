"""Charts as SVG drawn on the server (app/partials/charts.html): where each bar, point and
label goes, worked out here; the template only writes them down. No JavaScript, nothing
fetched: a chart is part of the page, prints with it, and is read by a screen reader through
its title and text summary (the table beside it has the same figures).

Colours are from the GOV.UK palette, each at least 3:1 against white (WCAG 1.4.11), with white
gaps between stacked parts; series in a line chart differ by line style and marker shape too,
so that no chart is read by colour alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 720
LEFT = 56  # room for the value axis' numbers
RIGHT = 16
TOP = 16
PLOT_HEIGHT = 240
AXIS_LABELS = 48  # below the plot: the buckets' names
# GOV.UK colours, all at least 3:1 against white: blue, green, purple, red, pink, dark grey,
# light purple, dark blue.
PALETTE = ("#1d70b8", "#00703c", "#4c2c92", "#d4351c", "#d53880", "#505a5f", "#6f72af", "#003078")
TEXT = "#0b0c0c"
GRID = "#b1b4b6"


def nice_ceiling(value: float) -> tuple[float, float]:
    """A round top for an axis reaching `value`, and the step between its ticks (4 or 5)."""
    if value <= 0:
        return 1.0, 1.0
    rough = value / 4
    magnitude = 10 ** math.floor(math.log10(rough))
    step = max(next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= rough), 1.0)
    return step * math.ceil(value / step), step


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    colour: str
    # What the part is, for the tooltip a mouse user sees (the table has it for everyone).
    title: str


@dataclass(frozen=True)
class AxisLabel:
    x: float
    text: str


@dataclass(frozen=True)
class LegendItem:
    label: str
    colour: str
    dashed: bool = False
    marker: str = "square"


def _ticks(top: float, step: float, height: float, origin: float) -> list[Tick]:
    ticks = []
    value = 0.0
    while value <= top + 1e-9:
        ticks.append(Tick(origin - value / top * height, f"{value:g}"))
        value += step
    return ticks


def _axis_labels(centres: Sequence[float], names: Sequence[str]) -> list[AxisLabel]:
    """Every bucket's name that fits along the axis: every k-th one (always the first), k
    chosen so that names about 7 units a character wide do not touch."""
    if not names:
        return []
    slot = (WIDTH - LEFT - RIGHT) / len(names)
    every = max(1, math.ceil((max(len(name) for name in names) * 7 + 12) / slot))
    return [
        AxisLabel(x, name)
        for i, (x, name) in enumerate(zip(centres, names, strict=True))
        if i % every == 0
    ]


@dataclass(frozen=True)
class Frame:
    """What a chart with buckets along the bottom has around its plot: the value axis (its
    ticks and name), the buckets' names, and the key."""

    id: str
    title: str
    width: int
    height: int
    plot_bottom: float
    plot_left: float
    plot_right: float
    ticks: tuple[Tick, ...]
    axis_labels: tuple[AxisLabel, ...]
    value_axis: str
    legend: tuple[LegendItem, ...]


def _frame(
    id: str,
    title: str,
    names: Sequence[str],
    highest: float,
    value_axis: str,
    legend: Sequence[LegendItem],
) -> tuple[Frame, float, list[float]]:
    """The frame, the value at the top of the axis, and where each bucket's middle is."""
    top, step = nice_ceiling(highest)
    origin = TOP + PLOT_HEIGHT
    slot = (WIDTH - LEFT - RIGHT) / max(len(names), 1)
    centres = [LEFT + slot * (i + 0.5) for i in range(len(names))]
    frame = Frame(
        id=id,
        title=title,
        width=WIDTH,
        height=int(origin + AXIS_LABELS),
        plot_bottom=origin,
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
        ticks=tuple(_ticks(top, step, PLOT_HEIGHT, origin)),
        axis_labels=tuple(_axis_labels(centres, names)),
        value_axis=value_axis,
        legend=tuple(legend),
    )
    return frame, top, centres


def _y(value: float, top: float) -> float:
    return TOP + PLOT_HEIGHT - value / top * PLOT_HEIGHT


@dataclass(frozen=True)
class ColumnChart:
    """Stacked columns: one per bucket, a part per series."""

    frame: Frame
    rects: tuple[Rect, ...]


def column_chart(
    id: str,
    title: str,
    names: Sequence[str],
    series: Sequence[str],
    values: Sequence[Sequence[int]],
    *,
    value_axis: str,
    colours: Sequence[str] = PALETTE,
) -> ColumnChart:
    """`values[i][j]`: bucket i's count for series j."""
    legend = [LegendItem(name, colours[j % len(colours)]) for j, name in enumerate(series)]
    highest = max((sum(row) for row in values), default=0)
    frame, top, centres = _frame(id, title, names, highest, value_axis, legend)
    bar = max((WIDTH - LEFT - RIGHT) / max(len(names), 1) * 0.7, 1.0)
    rects = []
    for i, row in enumerate(values):
        below = 0
        for j, count in enumerate(row):
            if not count:
                continue
            y = _y(below + count, top)
            rects.append(
                Rect(
                    centres[i] - bar / 2,
                    y,
                    bar,
                    _y(below, top) - y,
                    colours[j % len(colours)],
                    f"{names[i]}, {series[j]}: {count:,}",
                )
            )
            below += count
    return ColumnChart(frame, tuple(rects))


@dataclass(frozen=True)
class Bar:
    label: str
    value_text: str
    label_y: float
    y: float
    width: float


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars, one per category, each with its name above it and its value after."""

    id: str
    title: str
    width: int
    height: int
    left: float
    bar_height: float
    bars: tuple[Bar, ...]
    colour: str


BAR_ROW = 46
BAR_HEIGHT = 18
VALUE_ROOM = 120  # after the longest bar: its value


def bar_chart(
    id: str, title: str, labels: Sequence[str], counts: Sequence[int], texts: Sequence[str]
) -> BarChart:
    """`texts[i]` is what is written after bar i (its count, and share)."""
    longest = max(counts, default=0) or 1
    room = WIDTH - RIGHT - VALUE_ROOM
    bars = tuple(
        Bar(label, text, i * BAR_ROW + 16, i * BAR_ROW + 22, count / longest * room)
        for i, (label, count, text) in enumerate(zip(labels, counts, texts, strict=True))
    )
    return BarChart(id, title, WIDTH, len(bars) * BAR_ROW + 4, 0, BAR_HEIGHT, bars, PALETTE[0])


@dataclass(frozen=True)
class Line:
    label: str
    colour: str
    dashed: bool
    marker: str
    # The path's pieces: a gap where a bucket has no value breaks the line.
    segments: tuple[tuple[tuple[float, float], ...], ...]
    points: tuple[tuple[float, float, str], ...]


@dataclass(frozen=True)
class LineChart:
    frame: Frame
    lines: tuple[Line, ...]
    target_y: float | None
    target_label: str


def line_chart(
    id: str,
    title: str,
    names: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    target: float | None,
    target_label: str,
    value_axis: str,
) -> LineChart:
    """Up to two series (solid with circles, dashed with diamonds) and a dotted target."""
    styles = ((PALETTE[0], False, "circle"), (PALETTE[3], True, "diamond"))
    legend = [
        *(
            LegendItem(label, colour, dashed, marker)
            for (label, _values), (colour, dashed, marker) in zip(series, styles, strict=False)
        ),
        *([LegendItem(target_label, TEXT, True, "line")] if target is not None else []),
    ]
    highest = max([v for _label, values in series for v in values if v is not None] + [target or 0])
    frame, top, centres = _frame(id, title, names, highest, value_axis, legend)
    lines = []
    for (label, values), (colour, dashed, marker) in zip(series, styles, strict=False):
        segments: list[list[tuple[float, float]]] = [[]]
        points = []
        for x, value in zip(centres, values, strict=True):
            if value is None:
                if segments[-1]:
                    segments.append([])
                continue
            segments[-1].append((x, _y(value, top)))
            points.append((x, _y(value, top), f"{label}: {value:g}"))
        lines.append(
            Line(
                label, colour, dashed, marker, tuple(tuple(s) for s in segments if s), tuple(points)
            )
        )
    return LineChart(frame, tuple(lines), None if target is None else _y(target, top), target_label)
