"""Non-text events a customer sends, and what the chatbot may answer to them.

Flow submissions (`nfm_reply`), call-permission replies, payment methods, errored or
unsupported messages and orders carry data rather than text: `event_data` extracts it for
`received_messages.event_data` (order lines go to `order_items`), `event_reply_key` names the
rules file's `events:` entry that answers it, and an order's acknowledgement gets its item
count and total from `order_reply_values`. Pure functions: nothing here touches the database.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from inbound.values import MAX_EVENT_STRING, dict_list, is_json_int, short_text

# Event kinds (event_data["kind"]) and the keys of the rules file's `events:` section.
ORDER, FLOW_REPLY, CALL_PERMISSION, PAYMENT_METHOD, UNSUPPORTED = (
    "order", "flow_reply", "call_permission_reply", "payment_method", "unsupported")
EVENT_REPLY_KEYS = (ORDER, FLOW_REPLY, "call_permission_accept", "call_permission_reject", PAYMENT_METHOD, UNSUPPORTED)
EVENT_PLACEHOLDERS = {ORDER: frozenset({"item_count", "total", "currency"})}
DEFAULT_ORDER_ACK = ("{name|مشتری عزیز}، سفارش شما با {item_count} قلم کالا به مبلغ {total} {currency} دریافت شد ✅ "
                     "همکاران ما به‌زودی برای هماهنگی با شما تماس می‌گیرند.")
MAX_ORDER_LINES = 500
PERSIAN_DIGITS = str.maketrans("0123456789,.", "۰۱۲۳۴۵۶۷۸۹٬٫")


def event_data(message: dict[str, Any]) -> dict[str, Any] | None:
    """What a non-text event carries, for `received_messages.event_data`; None for ordinary messages."""
    kind = message.get("type")
    if kind == ORDER:
        lines = order_lines(message)
        total, currency = order_total(lines)
        order = message.get("order") if isinstance(message.get("order"), dict) else {}
        return {"kind": ORDER, "catalog_id": short_text(order.get("catalog_id")), "item_count": order_item_count(lines),
                "total": str(total), "currency": currency}
    if kind == "unsupported":
        return {"kind": UNSUPPORTED, "errors": _errors(message)}
    if kind != "interactive":
        return None
    body = message.get("interactive")
    subtype = body.get("type") if isinstance(body, dict) else None
    if subtype in ("button_reply", "list_reply") and not message.get("errors"):
        return None  # text-like: the chatbot reads its title
    reply = body.get(subtype) if isinstance(body, dict) and isinstance(subtype, str) else None
    reply = reply if isinstance(reply, dict) else {}
    if subtype == "nfm_reply":
        return {"kind": FLOW_REPLY, "name": short_text(reply.get("name")), "response": _flow_response(reply)}
    if subtype == CALL_PERMISSION:
        expires = reply.get("expiration_timestamp")
        return {"kind": CALL_PERMISSION, "decision": short_text(reply.get("response")),
                "permanent": reply.get("is_permanent") if isinstance(reply.get("is_permanent"), bool) else None,
                "expires": expires if is_json_int(expires) else None,
                "source": short_text(reply.get("response_source"))}
    if subtype == PAYMENT_METHOD:
        # The buyer confirmed a payment method (e.g. a saved card): keep what identifies it.
        return {"kind": PAYMENT_METHOD, "status": short_text(reply.get("status")) or "submitted",
                **{key: short_text(reply.get(key)) for key in
                   ("payment_method", "reference_id", "credential_id", "last_four_digits") if reply.get(key)}}
    return {"kind": UNSUPPORTED, "interactive_type": short_text(subtype), "errors": _errors(message)}


def order_lines(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The product lines of an `order` message: retailer id, quantity, unit price, currency (bounded)."""
    order = message.get("order")
    lines = []
    for item in dict_list(order.get("product_items") if isinstance(order, dict) else None)[:MAX_ORDER_LINES]:
        quantity = item.get("quantity")
        quantity = int(quantity) if isinstance(quantity, str) and quantity.isdigit() and len(quantity) < 7 else quantity
        lines.append({"product_retailer_id": short_text(item.get("product_retailer_id"), 128),
                      "quantity": quantity if is_json_int(quantity) and 0 <= quantity < 10**6 else 0,
                      "item_price": _price(item.get("item_price")), "currency": short_text(item.get("currency"), 8)})
    return lines


def order_item_count(lines: Sequence[dict[str, Any]]) -> int:
    """Items in an order: the sum of its lines' quantities."""
    return sum(line["quantity"] for line in lines)


def order_total(lines: Sequence[dict[str, Any]]) -> tuple[Decimal, str]:
    """(sum of quantity × price, the currency); a line without a price adds nothing."""
    total = sum((line["item_price"] * line["quantity"] for line in lines if line["item_price"] is not None),
                Decimal(0))
    currencies = {line["currency"] for line in lines if line["currency"]}
    return total, currencies.pop() if len(currencies) == 1 else ""


def order_reply_values(data: dict[str, Any]) -> dict[str, str]:
    """The placeholders of an order acknowledgement, in Persian digits: {item_count}, {total}, {currency}."""
    try:
        total = Decimal(str(data.get("total") or 0))
    except InvalidOperation:
        total = Decimal(0)
    shown = f"{total:,.0f}" if total == total.to_integral_value() else f"{total:,.2f}"
    return {"item_count": str(data.get("item_count") or 0).translate(PERSIAN_DIGITS),
            "total": shown.translate(PERSIAN_DIGITS), "currency": str(data.get("currency") or "")}


def event_reply_key(data: dict[str, Any] | None) -> str | None:
    """Which `events:` entry of the rules file answers this event (None: not an event)."""
    if not data:
        return None
    kind = data.get("kind")
    if kind == CALL_PERMISSION:
        return "call_permission_accept" if data.get("decision") == "accept" else "call_permission_reject"
    return kind if kind in EVENT_REPLY_KEYS else None


def _flow_response(reply: dict[str, Any]) -> Any:
    raw = reply.get("response_json")
    if isinstance(raw, dict):
        return raw
    if not isinstance(raw, str):
        return None
    try:
        parsed = json.loads(raw, parse_constant=lambda _: None)
    except (ValueError, RecursionError):
        return raw[:MAX_EVENT_STRING]
    return parsed if len(raw) <= 64_000 else raw[:MAX_EVENT_STRING]


def _errors(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"code": error.get("code") if is_json_int(error.get("code")) else None,
             "title": short_text(error.get("title")) or short_text(error.get("message"))}
            for error in dict_list(message.get("errors"))[:5]]


def _price(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        price = Decimal(str(value))
    except InvalidOperation:
        return None
    return price.quantize(Decimal("0.0001")) if price.is_finite() and 0 <= price < 10**14 else None
