"""The orders pages: the list of the shop's orders (search, status filter, pages) and a contact's
orders as a panel on the contact's page and in the inbox thread.

Orders are what `orders.records` stored (CSV import on the command line or here, or the admin
API); nothing here writes. Status and carrier names come from rules/orders.yaml in the interface
language, as the customer reads them in the bot's answers; dates are Jalali in Persian.
The upload, its preview and commit are `orders_import`'s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import render_template, request
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload

from database_models import Contact, Order
from language.jalali import latin_digits
from orders.rules import OrderRules, order_rules
from runtime.context import platform
from web.dashboard import orders_import  # noqa: F401  (registers the upload pages with this module)
from web.dashboard.blueprint import dashboard
from web.dashboard.search_text import typed_text
from web.i18n import current_language
from web.request_db import request_db

PAGE_SIZE = 50
PANEL_SIZE = 5  # the newest orders of a contact shown beside their conversation
MAX_SEARCH = 100
_NOT_DIGITS = re.compile(r"\D")


@dataclass(frozen=True)
class OrderFilter:
    """The list's search (number, tracking code, customer's name or number), status and page."""

    search: str = ""
    status: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args: Any, statuses: tuple[str, ...]) -> OrderFilter:
        """From the query string; an unknown status or page is ignored, not an error."""
        status = str(args.get("status") or "")
        page = str(args.get("page") or "1")
        return cls(search=latin_digits(typed_text(args.get("q"), MAX_SEARCH)),
                   status=status if status in statuses else "",
                   page=int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1)

    @property
    def narrowed(self) -> bool:
        return bool(self.search or self.status)

    def query_args(self, **changes: Any) -> dict[str, Any]:
        """The query string of this filter with `changes` (None drops a key)."""
        args = {"q": self.search or None, "status": self.status or None, "page": self.page if self.page > 1 else None}
        args.update(changes)
        return {key: value for key, value in args.items() if value is not None}


@dataclass(frozen=True)
class OrderView:
    """An order as the dashboard shows it: names in the interface language, the tracking link."""

    order: Order
    status_name: str
    carrier_name: str
    tracking_url: str | None
    needs_person: bool


def describe_orders(orders: list[Order], rules: OrderRules, language: str) -> list[OrderView]:
    """`orders` with their status and carrier named in `language` and their tracking links."""
    return [OrderView(order, rules.status_name(order.status, language), rules.carrier_name(order.carrier, language),
                      rules.tracking_url(order.carrier, order.tracking_code), order.status in rules.needs_person)
            for order in orders]


def _search_condition(text: str) -> Any:
    """Number or tracking code containing `text`, or a customer whose name, username or number does."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")  # LIKE's wildcards, literally
    pattern = f"%{escaped}%"
    conditions = [column.ilike(pattern, escape="\\") for column in (
        Order.number, Order.tracking_code, Contact.name, Contact.profile_name, Contact.username)]
    digits = _NOT_DIGITS.sub("", text)
    if len(digits) >= 4:  # a phone number as people type it: "0912 111 0001" finds +98 912 111 0001
        conditions.append(Contact.wa_id.contains(digits.removeprefix("0")))
    return or_(*conditions)


def order_page(db: Session, chosen: OrderFilter) -> tuple[list[Order], int]:
    """One page of orders, most recently updated first, and how many match in all."""
    query = select(Order).join(Contact, Contact.id == Order.contact_id)
    if chosen.search:
        query = query.where(_search_condition(chosen.search))
    if chosen.status:
        query = query.where(Order.status == chosen.status)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    orders = db.scalars(query.options(joinedload(Order.contact))
                        .order_by(Order.updated_at.desc(), Order.id.desc())
                        .offset((chosen.page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    return list(orders), total


def recent_orders(db: Session, contact_id: int, limit: int = PANEL_SIZE) -> list[OrderView]:
    """The contact's newest orders (most recently updated first), described for the panel."""
    orders = db.scalars(select(Order).where(Order.contact_id == contact_id)
                        .order_by(Order.updated_at.desc(), Order.id.desc()).limit(limit)).all()
    return describe_orders(list(orders), order_rules(platform().config), current_language())


@dashboard.app_template_global("contact_orders")
def contact_orders(contact_id: int) -> list[OrderView]:
    """For templates (the inbox thread's orders panel): the contact's newest orders."""
    with request_db() as db:
        return recent_orders(db, contact_id)


@dashboard.get("/dashboard/orders", endpoint="orders_list")
def orders_list() -> str:
    """The shop's orders, most recently updated first: search, status filter, pages."""
    rules = order_rules(platform().config)
    language = current_language()
    chosen = OrderFilter.from_args(request.args, rules.statuses)
    with request_db() as db:
        orders, total = order_page(db, chosen)
    statuses = [(status, rules.status_name(status, language)) for status in rules.statuses]
    return render_template("dashboard/orders.html", orders=describe_orders(orders, rules, language), total=total,
                           chosen=chosen, statuses=statuses, has_next=chosen.page * PAGE_SIZE < total)
