"""Status notifications: queued once per (order, status), with the approved template the rules name for it."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import select

from database_models import OrderNotification, ScheduledMessage
from orders.records import upsert_order
from orders.rules import OrderRulesError, parse_order_rules

SHIPPED = yaml.safe_load(open("rules/orders.yaml", encoding="utf-8"))
TEHRAN = ZoneInfo("Asia/Tehran")
TEMPLATE = {"name": "order_shipped", "language": "fa", "params": ["number", "tracking_code"]}
RULES = parse_order_rules(SHIPPED | {"notifications": SHIPPED["notifications"] | {
    "shipped": SHIPPED["notifications"]["shipped"] | {"template": TEMPLATE}}})


def test_a_notification_carries_the_template_for_outside_the_window(session):
    upsert_order(session, {"number": "1001", "wa_id": "989121110001", "status": "shipped",
                           "tracking_code": "RR1IR"}, RULES, TEHRAN)
    row = session.scalars(select(ScheduledMessage)).one()
    assert (row.kind, row.template_name, row.template_language, row.template_params) == (
        "order_update", "order_shipped", "fa", ["۱۰۰۱", "RR1IR"])
    assert "RR1IR" in row.body  # the text, sent inside the 24-hour window


def test_statuses_without_a_notification_queue_nothing_and_a_status_is_told_once(session):
    upsert_order(session, {"number": "1001", "wa_id": "989121110001", "status": "paid"}, RULES, TEHRAN)
    assert session.scalars(select(ScheduledMessage)).all() == []
    for status in ("shipped", "paid", "shipped"):
        upsert_order(session, {"number": "1001", "wa_id": "989121110001", "status": status}, RULES, TEHRAN)
    assert len(session.scalars(select(ScheduledMessage)).all()) == 1
    assert [row.status for row in session.scalars(select(OrderNotification))] == ["shipped"]


@pytest.mark.parametrize(("template", "message"), [({"language": "fa"}, "name"),
                                                   ({"name": "x", "params": ["price"]}, "unknown placeholder")])
def test_a_bad_template_is_refused(template, message):
    with pytest.raises(OrderRulesError, match=message):
        parse_order_rules(SHIPPED | {"notifications": {"shipped": {"fa": "x", "template": template}}})
