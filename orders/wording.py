"""How an order is put into words for its customer: status names, carrier, tracking link and date per language."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from database_models import Order
from language.jalali import jalali, persian_digits
from orders.rules import OrderRules


def order_values(order: Order, rules: OrderRules, language: str, zone: tzinfo | None = None) -> dict[str, Any]:
    """The placeholders of the replies and notifications for `order`, in `language`."""
    expected = ""
    if order.expected_at is not None:
        local = order.expected_at.astimezone(zone) if zone else order.expected_at
        # Persian writers read the Jalali calendar; English writers the Gregorian one.
        expected = jalali(local.date(), time=False, weekday=True) if language == "fa" else f"{local:%a %-d %b %Y}"
    number = persian_digits(order.number) if language == "fa" and order.number.isdigit() else order.number
    return {"number": number, "status": rules.status_name(order.status, language),
            "tracking_code": order.tracking_code or "", "carrier": rules.carrier_name(order.carrier, language),
            "tracking_url": rules.tracking_url(order.carrier, order.tracking_code) or "", "expected": expected,
            "items": order.items or "", "orders": "", "position": ""}


def describe_order(order: Order, rules: OrderRules, language: str, zone: tzinfo | None = None) -> str:
    """The status answer: the status line, then tracking code, link, expected date and items when known."""
    values = order_values(order, rules, language, zone)
    lines = [rules.reply("status", language).format_map(values)]
    if order.tracking_code:
        lines.append(rules.reply("tracking", language).format_map(values).replace(" ()", ""))
    if values["tracking_url"]:
        lines.append(rules.reply("tracking_link", language).format_map(values))
    if values["expected"] and order.status not in ("delivered", "cancelled"):
        lines.append(rules.reply("expected", language).format_map(values))
    if order.items:
        lines.append(rules.reply("items", language).format_map(values))
    return "\n".join(lines)


def list_orders(orders: list[Order], rules: OrderRules, language: str) -> str:
    """The "which one?" question listing `orders`."""
    lines = [rules.reply("choice_line", language).format_map(
        order_values(order, rules, language) | {"position": persian_digits(position) if language == "fa" else position})
        for position, order in enumerate(orders, start=1)]
    return rules.reply("choose", language).format_map({"orders": "\n".join(lines)})
