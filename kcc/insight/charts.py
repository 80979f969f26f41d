"""Accessible SVG charts drawn by the server: stacked bars per day, a line, horizontal bars.

Plain Python (no Flask): each builder takes plain numbers and returns escaped markup. Every
chart is an `<svg role="img">` with a `<title>` and a `<desc>`; the page puts a data table
beside it as the text alternative. Colour never carries meaning alone: series also differ in
pattern (stripes, dots, hatching) and the legend shows the same swatches; events are numbered
markers that a list on the page explains. The colours are the Okabe-Ito palette (safe for the
common kinds of colour blindness) without its yellow, which has too little contrast on white,
plus four of Paul Tol's muted colours.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#882255",
    "#332288",
    "#999933",
    "#44AA99",
)
# Questions without a topic: grey, so the classified topics stand out.
UNLABELLED_COLOUR = "#8C8C8C"
PATTERN_COUNT = 5
LINE_COLOUR = "#B8002E"
AXIS_COLOUR = "#595959"
GRID_COLOUR = "#D9D9D9"
EVENT_COLOUR = "#1A1A1A"
WIDTH = 800
MARGIN_LEFT = 56
MARGIN_RIGHT = 16
MARGIN_TOP = 28
MARGIN_BOTTOM = 36
MAX_X_LABELS = 10


@dataclass(frozen=True)
class Series:
    """One named row of values, one value per day (stacked bars)."""

    name: str
    values: Sequence[float]
    # None: questions without a topic, drawn in grey.
    key: int | None = 0


@dataclass(frozen=True)
class EventMark:
    """A measure or event drawn as a numbered vertical marker on its day."""

    number: int
    day: date
    title: str


@dataclass(frozen=True)
class Bar:
    """One horizontal bar: a label, a count and its share (0..1)."""

    label: str
    count: int
    share: float


def format_count(value: float) -> str:
    """A whole number the Dutch way: 79.899."""
    return f"{round(value):,}".replace(",", ".")


def format_share(value: float | None, *, digits: int = 1) -> str:
    """A share as a Dutch percentage (17,8%); a dash when there is nothing to divide."""
    if value is None:
        return "–"
    return f"{value * 100:.{digits}f}%".replace(".", ",")


def format_day(day: date) -> str:
    """A day as on the axis: 23-11."""
    return day.strftime("%d-%m")


def colour_of(index: int, key: int | None) -> str:
    """The fill colour of the index-th series (grey for questions without a topic)."""
    return UNLABELLED_COLOUR if key is None else PALETTE[index % len(PALETTE)]


def pattern_id(chart_id: str, index: int) -> str:
    """The id of a series' pattern; ids carry the chart's id, so two charts never clash."""
    return f"{chart_id}-serie-{index}"


def pattern_markup(chart_id: str, index: int, colour: str) -> str:
    """A fill pattern: the colour with white stripes, dots or hatching (or none) on top."""
    marks = (
        "",
        '<path d="M0,8 L8,0" stroke="#fff" stroke-width="1.5"/>',
        '<circle cx="4" cy="4" r="1.5" fill="#fff"/>',
        '<path d="M0,4 H8" stroke="#fff" stroke-width="1.5"/>',
        '<path d="M0,0 L8,8 M0,8 L8,0" stroke="#fff" stroke-width="1"/>',
    )[index % PATTERN_COUNT]
    return (
        f'<pattern id="{pattern_id(chart_id, index)}" patternUnits="userSpaceOnUse" '
        f'width="8" height="8"><rect width="8" height="8" fill="{colour}"/>{marks}</pattern>'
    )


def nice_maximum(value: float) -> float:
    """A round axis maximum at or above value: 1, 2, 2.5 or 5 times a power of ten."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def count_axis_maximum(value: float) -> float:
    """An axis maximum for counts whose four gridlines are whole, round numbers (1, 2 or 5
    times a power of ten apart)."""
    wanted = max(value / 4, 1.0)
    power = 10 ** math.floor(math.log10(wanted))
    step = next(s * power for s in (1, 2, 5, 10) if wanted <= s * power)
    return 4 * step


def svg_open(chart_id: str, height: int, title: str, description: str) -> str:
    """The opening of an accessible chart: role img, labelled by its title and description."""
    return (
        f'<svg id="{escape(chart_id)}" class="insight-chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>'
    )


def y_axis(height: int, maximum: float, *, as_share: bool) -> str:
    """Gridlines and labels at 0, 25, 50, 75 and 100% of the maximum."""
    bottom = height - MARGIN_BOTTOM
    plot_height = bottom - MARGIN_TOP
    parts = []
    for step in range(5):
        value = maximum * step / 4
        y = bottom - plot_height * step / 4
        whole = float(value * 100).is_integer()
        label = format_share(value, digits=0 if whole else 1) if as_share else format_count(value)
        parts.append(
            f'<line x1="{MARGIN_LEFT}" y1="{y:.1f}" x2="{WIDTH - MARGIN_RIGHT}" y2="{y:.1f}" '
            f'stroke="{GRID_COLOUR}" stroke-width="1"/>'
            f'<text x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="12" '
            f'fill="{AXIS_COLOUR}">{label}</text>'
        )
    return "".join(parts)


def x_axis(days: Sequence[date], height: int) -> str:
    """The baseline and at most MAX_X_LABELS day labels, evenly spread."""
    bottom = height - MARGIN_BOTTOM
    step = max(1, math.ceil(len(days) / MAX_X_LABELS))
    parts = [
        f'<line x1="{MARGIN_LEFT}" y1="{bottom}" x2="{WIDTH - MARGIN_RIGHT}" y2="{bottom}" '
        f'stroke="{AXIS_COLOUR}" stroke-width="1"/>'
    ]
    for index in range(0, len(days), step):
        x = day_centre(index, len(days))
        parts.append(
            f'<text x="{x:.1f}" y="{bottom + 18}" text-anchor="middle" font-size="12" '
            f'fill="{AXIS_COLOUR}">{format_day(days[index])}</text>'
        )
    return "".join(parts)


def day_width(count: int) -> float:
    """The horizontal room of one day."""
    return (WIDTH - MARGIN_LEFT - MARGIN_RIGHT) / max(count, 1)


def day_centre(index: int, count: int) -> float:
    """The x of the middle of the index-th day."""
    return MARGIN_LEFT + day_width(count) * (index + 0.5)


def event_markers(events: Sequence[EventMark], days: Sequence[date], height: int) -> str:
    """A dashed vertical line with its number above, on each event's day inside the chart."""
    positions = {day: index for index, day in enumerate(days)}
    bottom = height - MARGIN_BOTTOM
    parts = []
    for event in events:
        if event.day not in positions:
            continue
        x = day_centre(positions[event.day], len(days))
        parts.append(
            f'<g class="chart-event"><title>{event.number}. {format_day(event.day)} '
            f"{escape(event.title)}</title>"
            f'<line x1="{x:.1f}" y1="{MARGIN_TOP - 4}" x2="{x:.1f}" y2="{bottom}" '
            f'stroke="{EVENT_COLOUR}" stroke-width="1.5" stroke-dasharray="4 3"/>'
            f'<circle cx="{x:.1f}" cy="{MARGIN_TOP - 14}" r="9" fill="#fff" '
            f'stroke="{EVENT_COLOUR}" stroke-width="1.5"/>'
            f'<text x="{x:.1f}" y="{MARGIN_TOP - 10}" text-anchor="middle" font-size="11" '
            f'font-weight="bold" fill="{EVENT_COLOUR}">{event.number}</text></g>'
        )
    return "".join(parts)


def stacked_bar_chart(
    chart_id: str,
    *,
    title: str,
    description: str,
    days: Sequence[date],
    series: Sequence[Series],
    events: Sequence[EventMark] = (),
    height: int = 320,
) -> Markup:
    """Bars per day, one stacked segment per series, with event markers."""
    totals = [sum(s.values[index] for s in series) for index in range(len(days))]
    maximum = count_axis_maximum(max(totals, default=0))
    bottom = height - MARGIN_BOTTOM
    plot_height = bottom - MARGIN_TOP
    width = day_width(len(days))
    gap = min(2.0, width * 0.2)
    parts = [
        svg_open(chart_id, height, title, description),
        "<defs>",
        *(pattern_markup(chart_id, i, colour_of(i, s.key)) for i, s in enumerate(series)),
        "</defs>",
        y_axis(height, maximum, as_share=False),
    ]
    for index in range(len(days)):
        x = MARGIN_LEFT + width * index + gap / 2
        y = float(bottom)
        for number, serie in enumerate(series):
            value = serie.values[index]
            if value <= 0:
                continue
            segment = plot_height * value / maximum
            y -= segment
            parts.append(
                f'<rect x="{x:.2f}" y="{y:.2f}" width="{width - gap:.2f}" '
                f'height="{segment:.2f}" fill="url(#{pattern_id(chart_id, number)})"/>'
            )
    parts += [x_axis(days, height), event_markers(events, days, height), "</svg>"]
    return Markup("".join(parts))  # noqa: S704  every text above went through escape()


def line_chart(
    chart_id: str,
    *,
    title: str,
    description: str,
    days: Sequence[date],
    values: Sequence[float | None],
    events: Sequence[EventMark] = (),
    height: int = 280,
) -> Markup:
    """A share (0..1) per day as a line with a dot on every day that has a value."""
    maximum = nice_maximum(max((v for v in values if v is not None), default=0.0))
    maximum = min(maximum, 1.0)
    bottom = height - MARGIN_BOTTOM
    plot_height = bottom - MARGIN_TOP
    points = [
        (day_centre(index, len(days)), bottom - plot_height * min(value, maximum) / maximum)
        if value is not None
        else None
        for index, value in enumerate(values)
    ]
    parts = [svg_open(chart_id, height, title, description), y_axis(height, maximum, as_share=True)]
    # A day without labelled questions breaks the line instead of pretending it was zero.
    path: list[str] = []
    for point in points:
        if point is None:
            path.append("")
            continue
        command = "L" if path and path[-1] else "M"
        path.append(f"{command}{point[0]:.1f},{point[1]:.1f}")
    drawn = " ".join(step for step in path if step)
    if drawn:
        parts.append(
            f'<path d="{drawn}" fill="none" stroke="{LINE_COLOUR}" stroke-width="2" '
            'stroke-linejoin="round"/>'
        )
    parts += [
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{LINE_COLOUR}"/>'
        for x, y in (point for point in points if point is not None)
    ]
    parts += [x_axis(days, height), event_markers(events, days, height), "</svg>"]
    return Markup("".join(parts))  # noqa: S704  every text above went through escape()


def horizontal_bar_chart(
    chart_id: str, *, title: str, description: str, bars: Sequence[Bar]
) -> Markup:
    """One labelled bar per row: the name on the left, count and share written after the bar."""
    row_height = 28
    label_width = 220
    value_width = 150
    height = MARGIN_TOP + row_height * max(len(bars), 1) + 8
    room = WIDTH - label_width - value_width
    largest = max((bar.share for bar in bars), default=0.0) or 1.0
    parts = [svg_open(chart_id, height, title, description)]
    for index, bar in enumerate(bars):
        y = MARGIN_TOP + row_height * index
        length = room * bar.share / largest
        name = bar.label if len(bar.label) <= 30 else bar.label[:29] + "…"
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 18}" text-anchor="end" font-size="13" '
            f'fill="#1A1A1A">{escape(name)}</text>'
            f'<rect x="{label_width}" y="{y + 5}" width="{length:.1f}" height="{row_height - 10}" '
            f'fill="{PALETTE[0]}"/>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + 18}" font-size="13" '
            f'fill="#1A1A1A">{format_share(bar.share)} ({format_count(bar.count)})</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  every text above went through escape()


def legend(chart_id: str, series: Sequence[Series]) -> Markup:
    """The series names, each beside a swatch with its colour and pattern (HTML list)."""
    items = [
        f'<li><svg class="legend-swatch" aria-hidden="true" focusable="false" '
        f'viewBox="0 0 16 16"><rect width="16" height="16" '
        f'fill="url(#{pattern_id(chart_id, index)})" stroke="{AXIS_COLOUR}"/></svg>'
        f"{escape(serie.name)}</li>"
        for index, serie in enumerate(series)
    ]
    return Markup(f'<ul class="chart-legend">{"".join(items)}</ul>')  # noqa: S704  escaped
