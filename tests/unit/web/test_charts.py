"""The SVG chart helpers: well-formed markup, right geometry, escaped labels, honest empty states."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ElementTree
from contextlib import contextmanager
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from web.dashboard.charts import (
    Series,
    bar_chart,
    day_buckets,
    donut_chart,
    empty_chart,
    format_duration,
    format_number,
    format_percent,
    hbar_chart,
    line_chart,
    nice_ticks,
    rolling_share,
    sparkline,
    sum_by_bucket,
)
from web.i18n import init_app

SVG = "{http://www.w3.org/2000/svg}"
LANGUAGE_APP = Flask(__name__)
init_app(LANGUAGE_APP, ZoneInfo("Asia/Tehran"))


@contextmanager
def reading(language: str):
    """A request whose interface language is `language` (as the `lang` cookie chooses it)."""
    with LANGUAGE_APP.test_request_context(headers={"Cookie": f"lang={language}"}):
        yield


@pytest.fixture(autouse=True)
def english():
    with reading("en"):
        yield


def parse(markup: str) -> ElementTree.Element:
    """Parse chart output as XML: it must be well-formed to be inline SVG."""
    return ElementTree.fromstring(str(markup))


def bars(root: ElementTree.Element) -> list[ElementTree.Element]:
    return [el for el in root.iter(f"{SVG}rect") if "bar" in el.get("class", "").split()]


def test_numbers_percentages_and_durations_are_formatted_for_people():
    assert format_number(1234567) == "1,234,567"
    assert format_number(26.94) == "26.9"
    assert format_number(None) == "–"
    assert format_percent(0.1234) == "12.3%"
    assert format_percent(0.5, 0) == "50%"
    assert format_percent(0.25) == "25%"
    assert format_percent(None) == "–"
    assert format_duration(42) == "42 s"
    assert format_duration(timedelta(minutes=12, seconds=5)) == "12 min"
    assert format_duration(3 * 3600 + 5 * 60) == "3 h 05 min"
    assert format_duration(timedelta(days=2, hours=4)) == "2 d 4 h"
    assert format_duration(None) == "–"


def test_persian_reads_persian_digits_separators_percent_signs_and_words():
    with reading("fa"):
        assert format_number(1234567) == "۱٬۲۳۴٬۵۶۷"
        assert format_number(26.94) == "۲۶٫۹"
        assert format_percent(0.1234) == "۱۲٫۳٪"
        assert format_percent(0.5, 0) == "۵۰٪"
        assert format_duration(42) == "۴۲ ثانیه"
        assert format_duration(timedelta(minutes=12, seconds=5)) == "۱۲ دقیقه"
        assert format_duration(3 * 3600 + 5 * 60) == "۳ ساعت و ۵ دقیقه"
        assert format_duration(3 * 3600) == "۳ ساعت"
        assert format_duration(timedelta(days=2, hours=4)) == "۲ روز و ۴ ساعت"
        assert "در این بازه داده‌ای نیست" in empty_chart()


@pytest.mark.parametrize(("maximum", "expected"), [(1, [0, 1]), (2, [0, 1, 2]), (3, [0, 1, 2, 3]),
                                                   (7, [0, 2, 4, 6, 8]), (10, [0, 5, 10])])
def test_counts_get_whole_number_ticks(maximum, expected):
    assert nice_ticks(maximum, integer=True) == expected
    root = parse(bar_chart(["a", "b"], [Series("x", [maximum, 0], "inbound")]))
    axis = [el.text for el in root.iter(f"{SVG}text") if el.get("text-anchor") == "end"]
    assert axis == [str(tick) for tick in expected]


def test_in_persian_the_bars_run_right_to_left_with_the_axis_on_the_right():
    series = [Series("x", [1, 2, 3], "inbound")]
    ltr, rtl = parse(bar_chart(["a", "b", "c"], series, width=300)), parse(bar_chart(["a", "b", "c"], series,
                                                                                     width=300, rtl=True))
    assert rtl.get("direction") == "rtl" and ltr.get("direction") is None

    def centres(root):
        return [float(el.get("x")) + float(el.get("width")) / 2 for el in bars(root)]

    assert centres(rtl) == pytest.approx([300 - x for x in centres(ltr)])
    assert centres(rtl) == sorted(centres(rtl), reverse=True)  # the first day is at the right
    axis_x = {float(el.get("x")) for el in rtl.iter(f"{SVG}text") if el.get("text-anchor") == "end"}
    assert len(axis_x) == 1 and axis_x.pop() > 250
    line = parse(line_chart(["a", "b"], [Series("x", [0.1, 0.2], "inbound")], width=300, rtl=True))
    first, second = (float(dot.get("cx")) for dot in line.iter(f"{SVG}circle"))
    assert first > second


@pytest.mark.parametrize("maximum", [0.3, 1, 7, 10, 49, 101, 1999, 123456])
def test_ticks_start_at_zero_cover_the_maximum_and_step_evenly(maximum):
    ticks = nice_ticks(maximum)
    steps = {round(b - a, 9) for a, b in zip(ticks, ticks[1:], strict=False)}
    assert ticks[0] == 0 and ticks[-1] >= maximum
    assert len(steps) == 1 and 2 <= len(ticks) <= 7
    step = steps.pop()
    assert round(step / 10 ** math.floor(math.log10(step)), 6) in (1, 2, 2.5, 3, 5)


def test_grouped_bars_draw_one_bar_per_nonzero_value_with_its_figure_in_the_tooltip():
    chart = bar_chart(["Mon", "Tue", "Wed"], [Series("Received", [5, 0, 12], "inbound"),
                                              Series("Sent", [3, 4, 0], "outbound")], width=300, height=200)
    root = parse(chart)
    drawn = bars(root)
    assert len(drawn) == 4
    titles = [el.find(f"{SVG}title").text for el in drawn]
    assert "Wed · Received: 12" in titles and "Tue · Sent: 4" in titles
    tallest = max(drawn, key=lambda el: float(el.get("height")))
    assert "tone-inbound" in tallest.get("class")
    assert root.get("role") == "img" and root.get("aria-label")


def test_stacked_bars_stack_to_the_total():
    root = parse(bar_chart(["a"], [Series("x", [30], "inbound"), Series("y", [10], "outbound")],
                           stacked=True, width=200, height=200))
    lower, upper = sorted(bars(root), key=lambda el: -float(el.get("y")))
    assert float(lower.get("height")) == pytest.approx(3 * float(upper.get("height")), rel=0.01)
    assert float(upper.get("y")) + float(upper.get("height")) == pytest.approx(float(lower.get("y")), abs=0.02)


def test_labels_and_names_are_escaped():
    hostile = '<script>alert("x")</script>'
    for markup in (bar_chart([hostile], [Series(hostile, [1], "inbound")]),
                   line_chart([hostile, "b"], [Series(hostile, [1, 2], "inbound")]),
                   donut_chart([(hostile, 1, "positive")], center_label=hostile),
                   hbar_chart([(hostile, 3)]), empty_chart(hostile)):
        assert "<script>" not in markup and "&lt;script&gt;" in markup
        parse(markup)


def test_a_tone_cannot_break_out_of_its_class_attribute():
    markup = bar_chart(["a"], [Series("x", [1], '"><script>')])
    assert "<script>" not in markup
    parse(markup)


def test_empty_data_gives_a_placeholder_not_a_broken_axis():
    for markup in (bar_chart([], []), bar_chart(["a", "b"], [Series("x", [0, 0], "inbound")]),
                   line_chart(["a"], [Series("x", [None], "inbound")]), hbar_chart([])):
        assert "No data for this period" in markup
        parse(markup)


def test_a_missing_day_breaks_the_line_instead_of_dropping_to_zero():
    root = parse(line_chart(["1", "2", "3", "4", "5"], [Series("share", [0.5, 0.4, None, 0.2, 0.3], "negative")],
                            y_max=1.0, value_format=format_percent))
    assert len(list(root.iter(f"{SVG}polyline"))) == 2
    dots = list(root.iter(f"{SVG}circle"))
    assert len(dots) == 4
    assert dots[0].find(f"{SVG}title").text == "1 · share: 50%"
    axis = [el.text for el in root.iter(f"{SVG}text")]
    assert "100%" in axis and "0%" in axis


def test_donut_slices_are_proportional_and_the_whole_ring_when_alone():
    root = parse(donut_chart([("Positive", 1, "positive"), ("Negative", 3, "negative"), ("None", 0, "neutral")],
                             center_value="4"))
    slices = [el for el in root.iter(f"{SVG}circle") if "slice" in el.get("class")]
    assert len(slices) == 2
    lengths = [float(el.get("stroke-dasharray").split()[0]) for el in slices]
    assert lengths[1] / lengths[0] == pytest.approx(3, rel=0.05)
    assert "Negative: 3 (75%)" in slices[1].find(f"{SVG}title").text
    [whole] = [el for el in parse(donut_chart([("Only", 5, "positive")])).iter(f"{SVG}circle")
               if "slice" in el.get("class")]
    circumference, _ = map(float, whole.get("stroke-dasharray").split())
    assert circumference == pytest.approx(float(whole.get("stroke-dasharray").split()[1]), rel=0.001)


def test_horizontal_bars_scale_to_the_maximum_and_keep_persian_labels_as_text():
    root = parse(hbar_chart([("سفارش", 50), ("قیمت", 25), ("zero", 0)], value_labels=["50", "25", "0"],
                            maximum=100))
    rows = root.findall("li")
    assert [row.find("span").text for row in rows] == ["سفارش", "قیمت", "zero"]
    assert all(row.find("span").get("dir") == "auto" for row in rows)
    widths = [float(row.find(f"{SVG}svg").findall(f"{SVG}rect")[1].get("width")) for row in rows]
    assert widths == [50, 25, 0]


def test_sparkline_needs_at_least_two_points():
    assert sparkline([3]) == "" and sparkline([0, 0]) == ""
    root = parse(sparkline([1, 4, 2], width=100, height=20))
    assert root.find(f"{SVG}polyline").get("points").startswith("0,")


def test_long_ranges_are_bucketed_so_charts_stay_readable():
    start = date(2026, 1, 1)
    month = [start + timedelta(days=i) for i in range(30)]
    assert day_buckets(month) == [(day, day) for day in month]
    half_year = [start + timedelta(days=i) for i in range(180)]
    weeks = day_buckets(half_year)
    assert len(weeks) == 26 and weeks[0] == (start, start + timedelta(days=6)) and weeks[-1][1] == half_year[-1]
    decade = [start + timedelta(days=i) for i in range(3650)]
    assert len(day_buckets(decade)) <= 92


def test_sum_by_bucket_adds_rows_into_their_column_and_ignores_the_rest():
    start = date(2026, 1, 1)
    buckets = [(start, start + timedelta(days=6)), (start + timedelta(days=7), start + timedelta(days=13))]
    rows = [{"date": "2026-01-01", "inbound": 2, "outbound": 1}, {"date": "2026-01-07", "inbound": 3},
            {"date": "2026-01-08", "inbound": 4, "outbound": None}, {"date": "2025-12-31", "inbound": 100}]
    assert sum_by_bucket(rows, buckets, ("inbound", "outbound")) == {"inbound": [5, 4], "outbound": [1, 0]}


def test_rolling_share_smooths_over_the_window_and_skips_empty_stretches():
    parts, totals = [1, 0, 3, 0, 0], [2, 0, 4, 0, 0]
    assert rolling_share(parts, totals, 1) == [0.5, None, 0.75, None, None]
    assert rolling_share(parts, totals, 3) == [0.5, 0.5, 4 / 6, 0.75, 0.75]
    assert rolling_share([0, 0], [0, 0], 7) == [None, None]
