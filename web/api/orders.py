"""`PUT /api/orders/{number}`: a shop's backend creates or updates one order (idempotent upsert).

The body is `wa_id` (phone number or BSUID) and `status`, plus `tracking_code`, `carrier`,
`expected_at` (Jalali or ISO) and `items`. Sending the same body twice changes nothing the
second time; a status change queues that status's notification (rules/orders.yaml) once.
A value the rules refuse (an unknown status, a bad number or date) is a 400 with `error`.
"""

from __future__ import annotations

import logging
import re

from flask import Blueprint, Response

from language.jalali import latin_digits
from orders.records import OrderError, upsert_order
from orders.rules import OrderRulesError, order_rules
from runtime.context import platform
from web.api.support import db, error_response, json_body, json_response

logger = logging.getLogger(__name__)
orders = Blueprint("orders", __name__, url_prefix="/orders")

NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]{0,63}")


@orders.put("/<number>")
def put_order_view(number: str) -> Response:
    """Create or update order `number`; the stored order and what the call changed."""
    number = latin_digits(number)
    if not NUMBER.fullmatch(number):
        return error_response(400, "number: letters, digits, - and _ only (at most 64)", "number")
    body = json_body()
    config = platform().config
    try:
        rules = order_rules(config)
    except OrderRulesError as error:
        logger.error("orders rules unusable", extra={"event": "api.orders_rules", "reason": str(error)})
        return error_response(503, "the orders rules file is unusable; see the server log")
    session = db()
    try:
        order, outcome, notified = upsert_order(session, {**body, "number": number}, rules, config.zone)
    except OrderError as error:
        session.rollback()
        return error_response(400, str(error))
    session.commit()
    return json_response({
        "number": order.number, "contact_id": order.contact_id, "status": order.status,
        "tracking_code": order.tracking_code, "carrier": order.carrier,
        "expected_at": order.expected_at.isoformat() if order.expected_at else None, "items": order.items,
        "outcome": outcome, "notified": notified})
