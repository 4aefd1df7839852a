"""Reply values in the customer's language: names that keep a Persian bubble right-to-left, hours, order sums."""

from __future__ import annotations

import unicodedata

from config import Config, parse_business_hours
from database_models import Contact
from language.intent_rules import render_response
from language.reply_text import (
    LEADING_NAME_VALUES,
    describe_hours_english,
    describe_hours_persian,
    localized_order_values,
    name_values,
    reply_name,
    without_leading_name,
)


def render(template: str, name: str, language: str) -> str:
    return render_response(without_leading_name(template, language, name),
                           {**name_values(name, language), **LEADING_NAME_VALUES})


def first_strong(text: str) -> str:
    return next(kind for kind in map(unicodedata.bidirectional, text) if kind in ("L", "R", "AL"))


def test_a_latin_name_gives_way_to_the_fallback_at_the_start_of_a_persian_reply():
    assert render("{name|مشتری عزیز}، سفارش شما رسید", "Sara", "fa") == "مشتری عزیز، سفارش شما رسید"
    assert render("{name}، سفارش شما رسید", "Sara", "fa") == "سفارش شما رسید"
    assert first_strong(render("{first_name}، سلام", "John Smith", "fa")) == "AL"


def test_a_latin_name_later_in_a_persian_reply_is_isolated():
    assert render("سلام {name|دوست عزیز} 👋", "Sara Ahmadi", "fa") == "سلام \u2068Sara Ahmadi\u2069 👋"
    assert render("سلام {first_name}!", "Sara Ahmadi", "fa") == "سلام \u2068Sara\u2069!"


def test_a_persian_name_is_left_out_of_an_english_reply_and_kept_in_a_persian_one():
    assert render("Hi {first_name|there} 👋", "سارا", "en") == "Hi there 👋"
    assert render("Thanks {first_name}, done", "سارا", "en") == "Thanks, done"
    assert render("{name|مشتری عزیز}، خوش آمدید", "سارا", "fa") == "سارا، خوش آمدید"
    assert render("Hi {first_name|there}", "Sara Ahmadi", "en") == "Hi Sara"


def test_the_reply_name_is_the_contacts_name_with_spaces_squeezed():
    assert reply_name(Contact(wa_id="1", name="  Sara   Ahmadi ")) == "Sara Ahmadi"
    assert reply_name(Contact(wa_id="1", name=None)) == ""


def test_opening_hours_are_grouped_with_persian_days_and_digits():
    config = Config(business_hours=parse_business_hours("sat-wed 09:00-18:00; thu 09:00-13:00"))
    assert describe_hours_persian(config) == "شنبه تا چهارشنبه ۰۹:۰۰ تا ۱۸:۰۰؛ پنج‌شنبه ۰۹:۰۰ تا ۱۳:۰۰"
    assert describe_hours_english(config) == "Sat–Wed 09:00-18:00; Thu 09:00-13:00"


def test_order_values_name_the_currency_in_persian_and_use_latin_digits_in_english():
    values = {"item_count": "۲", "total": "۱٬۲۰۰٬۰۰۰", "currency": "IRR"}
    assert localized_order_values(values, "fa") == values | {"currency": "ریال"}
    assert localized_order_values(values, "en") == {"item_count": "2", "total": "1,200,000", "currency": "IRR"}
    assert localized_order_values(values | {"currency": "XYZ"}, "fa")["currency"] == "XYZ"
