"""Server-side SVG charts for the dashboard: pure functions from numbers to inline SVG.

Every function returns `Markup` (already-escaped SVG, safe to drop into a Jinja
template); every label and tooltip passes through `escape`, so a keyword or a
customer's name can never inject markup. Colours are not hard-coded: each series
carries a `tone`, rendered as the CSS class `tone-<tone>`, and static/dashboard.css
maps tones to colours. Each chart has `role="img"`, an `aria-label` and a `<title>` per
bar, slice or point, so hovering shows the exact figure and screen readers get a summary.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from markupsafe import Markup, escape

from web.i18n import format_duration, format_number, format_percent

__all__ = ["Series", "bar_chart", "day_buckets", "donut_chart", "empty_chart", "format_duration", "format_number",
           "format_percent", "hbar_chart", "line_chart", "nice_ticks", "rolling_share", "sparkline", "sum_by_bucket"]

Formatter = Callable[[float], str]


@dataclass(frozen=True)
class Series:
    """One named sequence of values (None = no data for that point) and its colour tone."""

    name: str
    values: Sequence[float | None]
    tone: str


def nice_ticks(maximum: float, count: int = 4, *, integer: bool = False) -> list[float]:
    """Round axis ticks from 0 to at least `maximum` (steps of 1, 2, 2.5 or 5 × 10^k); whole steps for counts."""
    if maximum <= 0:
        return [0, 1]
    raw = maximum / count
    magnitude = 10 ** math.floor(math.log10(raw))
    multiples = (1, 2, 5, 10) if integer else (1, 2, 2.5, 5, 10)
    step = next(m * magnitude for m in multiples if m * magnitude >= raw)
    if (integer or magnitude >= 1) and not float(step).is_integer():
        step = max(1, math.ceil(step))
    top = math.ceil(maximum / step - 1e-9) * step
    return [round(i * step, 10) for i in range(int(round(top / step)) + 1)]


MAX_COLUMNS = 92  # longer ranges are charted per week (or longer), so bars stay readable


def day_buckets(days: Sequence[date], max_columns: int = MAX_COLUMNS) -> list[tuple[date, date]]:
    """(first, last) day of each chart column: single days, else weeks, else as many days as fit."""
    if len(days) <= max_columns:
        return [(day, day) for day in days]
    size = 7 if len(days) <= max_columns * 7 else math.ceil(len(days) / max_columns)
    return [(days[i], days[min(i + size - 1, len(days) - 1)]) for i in range(0, len(days), size)]


def sum_by_bucket(rows: Sequence[dict], buckets: Sequence[tuple[date, date]],
                  keys: Sequence[str]) -> dict[str, list[float]]:
    """Per key, the sum of rows ({"date": "YYYY-MM-DD", key: n}) falling in each bucket (0 when none)."""
    totals: dict[str, list[float]] = {key: [0] * len(buckets) for key in keys}
    position_of = {}
    for position, (first, last) in enumerate(buckets):
        for offset in range((last - first).days + 1):
            position_of[first + timedelta(days=offset)] = position
    for row in rows:
        position = position_of.get(date.fromisoformat(row["date"]))
        if position is not None:
            for key in keys:
                totals[key][position] += row.get(key) or 0
    return totals


def rolling_share(parts: Sequence[float], totals: Sequence[float], window: int) -> list[float | None]:
    """parts/totals summed over the last `window` columns (fewer at the start); None where nothing was counted."""
    shares: list[float | None] = []
    for i in range(len(parts)):
        first = max(0, i - window + 1)
        total = sum(totals[first:i + 1])
        shares.append(sum(parts[first:i + 1]) / total if total else None)
    return shares


def _num(value: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".") or "0"


def _open(width: float, height: float, label: str, css_class: str, rtl: bool = False) -> str:
    direction = ' direction="rtl"' if rtl else ""
    return (f'<svg class="chart {css_class}" viewBox="0 0 {_num(width)} {_num(height)}" '
            f'width="{_num(width)}" height="{_num(height)}" role="img" aria-label="{escape(label)}"{direction} '
            f'preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">')


def _mirror(width: float, rtl: bool) -> Callable[[float], float]:
    """x as drawn: right to left (the first category at the right, the value axis on the right) when `rtl`.

    With `direction="rtl"` on the SVG, text-anchor "end" of a right-hand axis label puts the text
    to the right of its x, as "end" puts it to the left in LTR: the anchors need not change.
    """
    return (lambda x: width - x) if rtl else (lambda x: x)


def empty_chart(message: str | None = None, width: float = 480, height: float = 160) -> Markup:
    """A placeholder chart with a centred message (default: 'No data for this period' in the interface language)."""
    message = message if message is not None else _("No data for this period")
    return Markup(
        _open(width, height, message, "chart-empty")
        + f'<rect class="empty-frame" x="0.5" y="0.5" width="{_num(width - 1)}" height="{_num(height - 1)}" rx="8"/>'
        + f'<text class="empty-text" x="{_num(width / 2)}" y="{_num(height / 2)}" text-anchor="middle" '
        + f'dominant-baseline="middle">{escape(message)}</text></svg>'
    )


def _label_step(count: int, room: float, label_width: float) -> int:
    """Show every n-th category label so that labels do not overlap."""
    if count == 0:
        return 1
    fits = max(1, int(room // label_width))
    return max(1, math.ceil(count / fits))


def _y_axis(ticks: list[float], left: float, right: float, y_of: Callable[[float], float],
            fmt: Formatter, x_of: Callable[[float], float] = lambda x: x) -> list[str]:
    parts = []
    for tick in ticks:
        y = y_of(tick)
        parts.append(f'<line class="grid{" baseline" if tick == 0 else ""}" x1="{_num(x_of(left))}" '
                     f'x2="{_num(x_of(right))}" y1="{_num(y)}" y2="{_num(y)}"/>')
        parts.append(f'<text class="axis" x="{_num(x_of(left - 8))}" y="{_num(y)}" text-anchor="end" '
                     f'dominant-baseline="middle">{escape(fmt(tick))}</text>')
    return parts


def bar_chart(labels: Sequence[str], series: Sequence[Series], *, width: float = 720, height: float = 240,
              stacked: bool = False, label: str = "Bar chart", value_format: Formatter = format_number,
              label_width: float = 64, tooltip_labels: Sequence[str] | None = None, rtl: bool = False) -> Markup:
    """Vertical bars per category: grouped side by side, or stacked; mirrored (first category at the right) if `rtl`.

    Counts (every value whole) get whole-number ticks: a maximum of 1 is an axis 0, 1, not 0.25, 0.5, ….
    """
    if not labels or not series or not any(v for s in series for v in s.values):
        return empty_chart(width=width, height=min(height, 180))
    top, bottom, left, right = 12.0, 26.0, 44.0, 8.0
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(s.values[i] or 0 for s in series) for i in range(len(labels))]
    peak = max(totals) if stacked else max((v or 0) for s in series for v in s.values)
    ticks = nice_ticks(peak, integer=all(float(v or 0).is_integer() for s in series for v in s.values))
    y_max = ticks[-1]
    x_at = _mirror(width, rtl)

    def y_of(value: float) -> float:
        return top + plot_h - plot_h * value / y_max

    parts = [_open(width, height, label, "chart-bars", rtl)]
    parts += _y_axis(ticks, left, width - right, y_of, value_format, x_at)
    slot = plot_w / len(labels)
    tooltips = tooltip_labels or labels
    group_w = slot * (0.62 if stacked else 0.78)
    bar_w = group_w if stacked else group_w / len(series)
    for i in range(len(labels)):
        x0 = left + i * slot + (slot - group_w) / 2
        base = 0.0
        for j, one in enumerate(series):
            value = one.values[i] or 0
            if stacked:
                y, h, x = y_of(base + value), plot_h * value / y_max, x0
                base += value
            else:
                y, h, x = y_of(value), plot_h * value / y_max, x0 + j * bar_w
            if value <= 0:
                continue
            gap = min(1.0, bar_w * 0.1) if not stacked else 0
            drawn_w = max(bar_w - gap, 1)
            drawn_x = min(x_at(x + gap / 2), x_at(x + gap / 2 + drawn_w))
            parts.append(
                f'<rect class="bar tone-{escape(one.tone)}" x="{_num(drawn_x)}"'
                f' y="{_num(y)}" width="{_num(drawn_w)}" height="{_num(max(h, 1))}" rx="{_num(min(3, bar_w / 4))}">'
                f'<title>{escape(tooltips[i])} · {escape(one.name)}: {escape(value_format(value))}</title></rect>'
            )
    step = _label_step(len(labels), plot_w, label_width)
    for i in range(0, len(labels), step):
        x = left + i * slot + slot / 2
        parts.append(f'<text class="axis" x="{_num(x_at(x))}" y="{_num(height - 8)}" text-anchor="middle">'
                     f'{escape(labels[i])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(labels: Sequence[str], series: Sequence[Series], *, width: float = 720, height: float = 220,
               label: str = "Line chart", value_format: Formatter = format_number, y_max: float | None = None,
               label_width: float = 64, tooltip_labels: Sequence[str] | None = None, rtl: bool = False) -> Markup:
    """Lines over categories; a None value breaks the line (a day with no data is not zero); mirrored if `rtl`."""
    present = [v for s in series for v in s.values if v is not None]
    if not labels or not present:
        return empty_chart(width=width, height=min(height, 180))
    top, bottom, left, right = 12.0, 26.0, 44.0, 12.0
    plot_w, plot_h = width - left - right, height - top - bottom
    ticks = nice_ticks(y_max if y_max is not None else max(present))
    top_value = ticks[-1]
    tooltips = tooltip_labels or labels

    x_at = _mirror(width, rtl)

    def x_of(i: int) -> float:
        return x_at(left + (plot_w * i / (len(labels) - 1) if len(labels) > 1 else plot_w / 2))

    def y_of(value: float) -> float:
        return top + plot_h - plot_h * value / top_value

    parts = [_open(width, height, label, "chart-lines", rtl)]
    parts += _y_axis(ticks, left, width - right, y_of, value_format, x_at)
    for one in series:
        tone = escape(one.tone)
        runs: list[list[tuple[float, float]]] = [[]]
        for i, value in enumerate(one.values):
            if value is None:
                runs.append([])
            else:
                runs[-1].append((x_of(i), y_of(value)))
        for run in runs:
            if len(run) > 1:
                points = " ".join(f"{_num(x)},{_num(y)}" for x, y in run)
                parts.append(f'<polyline class="line tone-{tone}" points="{points}"/>')
        for i, value in enumerate(one.values):
            if value is not None:
                parts.append(f'<circle class="dot tone-{tone}" cx="{_num(x_of(i))}" cy="{_num(y_of(value))}" r="3">'
                             f'<title>{escape(tooltips[i])} · {escape(one.name)}: {escape(value_format(value))}'
                             f'</title></circle>')
    step = _label_step(len(labels), plot_w, label_width)
    for i in range(0, len(labels), step):
        parts.append(f'<text class="axis" x="{_num(x_of(i))}" y="{_num(height - 8)}" text-anchor="middle">'
                     f'{escape(labels[i])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def donut_chart(slices: Sequence[tuple[str, float, str]], *, size: float = 180, thickness: float = 26,
                center_value: str = "", center_label: str = "", label: str = "Donut chart",
                value_format: Formatter = format_number) -> Markup:
    """A ring split into (name, value, tone) slices, with a figure in the middle."""
    total = sum(value for _name, value, _tone in slices)
    radius = (size - thickness) / 2
    middle = size / 2
    parts = [_open(size, size, label, "chart-donut"),
             f'<circle class="donut-track" cx="{_num(middle)}" cy="{_num(middle)}" r="{_num(radius)}" '
             f'stroke-width="{_num(thickness)}"/>']
    if total > 0:
        circumference = 2 * math.pi * radius
        offset = 0.0
        for name, value, tone in slices:
            if value <= 0:
                continue
            length = circumference * value / total
            # A hair of gap between slices, unless one slice is the whole ring.
            gap = 1.5 if value < total else 0
            parts.append(
                f'<circle class="slice tone-{escape(tone)}" cx="{_num(middle)}" cy="{_num(middle)}" r="{_num(radius)}" '
                f'stroke-width="{_num(thickness)}" stroke-dasharray="{_num(max(length - gap, 0.5))} '
                f'{_num(circumference)}" stroke-dashoffset="{_num(-offset)}" '
                f'transform="rotate(-90 {_num(middle)} {_num(middle)})">'
                f'<title>{escape(name)}: {escape(value_format(value))} ({escape(format_percent(value / total))})'
                f'</title></circle>'
            )
            offset += length
    if center_value:
        parts.append(f'<text class="donut-value" x="{_num(middle)}" y="{_num(middle - 2)}" text-anchor="middle">'
                     f'{escape(center_value)}</text>')
    if center_label:
        parts.append(f'<text class="donut-label" x="{_num(middle)}" y="{_num(middle + 18)}" text-anchor="middle">'
                     f'{escape(center_label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def hbar_chart(items: Sequence[tuple[str, float]], *, tone: str = "primary", label: str = "Bar chart",
               value_labels: Sequence[str] | None = None, maximum: float | None = None,
               tones: Sequence[str] | None = None, value_format: Formatter = format_number) -> Markup:
    """Horizontal bars: a list whose rows are a text label, an SVG bar and the figure.

    The labels are HTML (dir="auto"), not SVG text, so Persian keywords get the browser's
    full bidi handling and the rows reflow at any width; each bar is a tiny SVG stretched
    to its column (preserveAspectRatio="none"), so no inline style is needed for widths.
    """
    if not items:
        return empty_chart(width=420, height=120)
    peak = maximum if maximum is not None else max(value for _name, value in items)
    rows = []
    for i, (name, value) in enumerate(items):
        share = 100 * value / peak if peak > 0 else 0
        length = min(100.0, max(share, 0.8 if value > 0 else 0))
        shown = value_labels[i] if value_labels else value_format(value)
        rows.append(
            f'<li class="hbar-row"><span class="hbar-label" dir="auto">{escape(name)}</span>'
            f'<svg class="hbar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" '
            f'xmlns="http://www.w3.org/2000/svg">'
            f'<rect class="hbar-track" width="100" height="10"/>'
            f'<rect class="bar tone-{escape(tones[i] if tones else tone)}" width="{_num(length)}" height="10"/></svg>'
            f'<span class="hbar-value">{escape(shown)}</span></li>'
        )
    return Markup(f'<ol class="hbars" aria-label="{escape(label)}">{"".join(rows)}</ol>')


def sparkline(values: Sequence[float], *, width: float = 120, height: float = 32, tone: str = "primary",
              label: str = "Trend") -> Markup:
    """A tiny filled line for a KPI card (no axes)."""
    if len(values) < 2 or max(values) <= 0:
        return Markup("")
    peak = max(values)
    step = width / (len(values) - 1)
    points = [(i * step, height - 2 - (height - 4) * value / peak) for i, value in enumerate(values)]
    line = " ".join(f"{_num(x)},{_num(y)}" for x, y in points)
    area = f"0,{_num(height)} {line} {_num(width)},{_num(height)}"
    return Markup(
        _open(width, height, label, "sparkline")
        + f'<polygon class="spark-area tone-{escape(tone)}" points="{area}"/>'
        + f'<polyline class="line tone-{escape(tone)}" points="{line}"/></svg>'
    )
