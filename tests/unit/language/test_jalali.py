"""Persian digits and the Jalali calendar: what the dashboard shows and what `--at` and date fields read."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from language.jalali import (
    MomentError,
    jalali,
    jalali_numeric,
    latin_digits,
    parse_day,
    parse_moment,
    persian_digits,
    persian_number,
    weekday_name,
)

TEHRAN = ZoneInfo("Asia/Tehran")


def test_digits_both_ways():
    assert persian_digits("Order 1405") == "Order ۱۴۰۵"
    assert latin_digits("۱۴۰۵/۰۹/۲۰ ١٠:٣٠") == "1405/09/20 10:30"


def test_numbers_carry_persian_separators():
    assert persian_number(1234567) == "۱٬۲۳۴٬۵۶۷"
    assert persian_number(12.5) == "۱۲٫۵"
    assert persian_number(0) == "۰"


def test_a_moment_reads_in_the_shop_time_zone_with_persian_names():
    moment = datetime(2026, 12, 6, 7, 0, tzinfo=UTC)  # 10:30 in Tehran, Sunday 15 Azar 1405
    assert jalali(moment, TEHRAN) == "۱۵ آذر ۱۴۰۵، ۱۰:۳۰"
    assert jalali(moment, TEHRAN, weekday=True) == "یک‌شنبه ۱۵ آذر ۱۴۰۵، ۱۰:۳۰"
    assert jalali(date(2026, 12, 6), time=False) == "۱۵ آذر ۱۴۰۵"
    assert jalali_numeric(moment, TEHRAN) == "1405/09/15 10:30"
    assert weekday_name(date(2026, 12, 11)) == "جمعه"


def test_the_local_day_decides_the_jalali_date():
    late = datetime(2026, 12, 6, 21, 0, tzinfo=UTC)  # already 16 Azar, 00:30, in Tehran
    assert jalali(late, TEHRAN) == "۱۶ آذر ۱۴۰۵، ۰۰:۳۰"


@pytest.mark.parametrize("text", ["1405/09/20 10:00", "۱۴۰۵/۰۹/۲۰ ۱۰:۰۰", "1405-9-20 10:00", "2026-12-11T10:00",
                                  "2026-12-11T06:30:00+00:00"])
def test_jalali_and_iso_read_to_the_same_moment(text):
    assert parse_moment(text, TEHRAN) == datetime(2026, 12, 11, 6, 30, tzinfo=UTC)


def test_a_date_alone_is_its_local_midnight():
    assert parse_moment("1405/09/20", TEHRAN) == datetime(2026, 12, 10, 20, 30, tzinfo=UTC)


@pytest.mark.parametrize("text", ["", "tomorrow", "1405/13/01 10:00", "1405/09/20 25:00", "2026-02-30T10:00"])
def test_what_is_not_a_date_is_refused_with_the_forms_it_accepts(text):
    with pytest.raises(MomentError) as refused:
        parse_moment(text, TEHRAN)
    assert "1405/09/20 10:00" in str(refused.value) or "Jalali" in str(refused.value)


@pytest.mark.parametrize("text", ["1405/09/01", "۱۴۰۵/۰۹/۰۱", "١٤٠٥/٠٩/٠١", "1405-9-1", " 1405.09.01 ", "2026-11-22"])
def test_a_day_reads_in_jalali_with_any_digits_or_in_iso(text):
    assert parse_day(text) == date(2026, 11, 22)


@pytest.mark.parametrize("text", ["", "yesterday", "1405/13/01", "1405/12/31", "2026/11/22", "1405/09/01 10:00"])
def test_what_is_not_a_day_is_refused_naming_both_calendars(text):
    with pytest.raises(MomentError) as refused:
        parse_day(text)
    assert "1405/09/01" in str(refused.value) or "Jalali" in str(refused.value)
