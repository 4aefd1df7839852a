"""rules/orders.yaml: the shipped file loads; a malformed one is refused naming the key."""

from __future__ import annotations

import pytest
import yaml

from orders.rules import OrderRulesError, load_order_rules, parse_order_rules

SHIPPED = yaml.safe_load(open("rules/orders.yaml", encoding="utf-8"))


def test_the_shipped_rules_load_with_every_status_named_in_both_languages():
    rules = load_order_rules("rules/orders.yaml")
    assert rules.statuses[:7] == ("received", "paid", "packed", "shipped", "delivered", "cancelled", "returned")
    for status in rules.statuses:
        assert status in rules.status_names["fa"] and status in rules.status_names["en"], status
    assert rules.tracking_url("iran_post", "RR1IR") == "https://tracking.post.ir/?id=RR1IR"
    assert rules.tracking_url("someone_else", "RR1IR") is None
    assert rules.carrier_name("someone_else", "fa") == "someone_else"


@pytest.mark.parametrize(("change", "message"), [
    ({"statuses": []}, "statuses"),
    ({"statuses": ["Shipped!"]}, "statuses"),
    ({"needs_person": ["lost"]}, "needs_person"),
    ({"answer_minutes": 0}, "answer_minutes"),
    ({"carriers": {"post": {"tracking_url": "http://post.ir/{code}"}}}, "carriers.post.tracking_url"),
    ({"carriers": {"post": {"tracking_url": "https://post.ir/"}}}, "carriers.post.tracking_url"),
    ({"notifications": {"lost": "x"}}, "notifications"),
])
def test_a_malformed_file_is_refused_naming_the_key(change, message):
    with pytest.raises(OrderRulesError, match=message):
        parse_order_rules(SHIPPED | change, "orders.yaml")


@pytest.mark.parametrize(("reply", "message"), [
    ({"en": "no Persian"}, "replies.status"),
    ({"fa": "سفارش {order_id}"}, "unknown placeholder"),
    ({"fa": "سفارش {number"}, "brace"),
    ({"fa": "x", "de": "y"}, "unknown language"),
])
def test_a_bad_reply_is_refused(reply, message):
    with pytest.raises(OrderRulesError, match=message):
        parse_order_rules(SHIPPED | {"replies": SHIPPED["replies"] | {"status": reply}}, "orders.yaml")
