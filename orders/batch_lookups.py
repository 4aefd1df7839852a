"""The order conversation's look-ups for a whole webhook batch, read in two queries.

`answer_order_question` looks up the contact's open question (`order_inquiries`) and, to
list them, the contact's recent orders: one query each per message. For a large batch (a
3 MB envelope after an outage: thousands of texts, a tenth of them about an order) those
were thousands of round trips, each autoflushing what the batch had decided so far. The
chatbot builds one `OrderLookups` for a batch instead: the open questions of all its
contacts in one query, which contacts have any order in another. It keeps the questions the
batch asks or answers, so a contact's second message sees its first, as the session did.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from database_models import Order, OrderInquiry

_PAGE = 1000  # ids per IN list (SQLite's parameter limit)


class OrderLookups:
    """Open order questions and which contacts have orders, for the contacts of one batch."""

    def __init__(self, session: Session, contact_ids: Iterable[int]) -> None:
        ids = sorted(set(contact_ids))
        self._inquiries: dict[int, OrderInquiry | None] = dict.fromkeys(ids)
        self._with_orders: set[int] = set()
        for start in range(0, len(ids), _PAGE):
            page = ids[start:start + _PAGE]
            for inquiry in session.scalars(select(OrderInquiry).where(OrderInquiry.contact_id.in_(page))):
                self._inquiries[inquiry.contact_id] = inquiry
            self._with_orders.update(session.scalars(
                select(Order.contact_id).where(Order.contact_id.in_(page)).distinct()))
        self._session = session

    def inquiry(self, contact_id: int) -> OrderInquiry | None:
        """The contact's open (or expired) question, as the batch left it."""
        if contact_id not in self._inquiries:  # not a contact of the batch: as one by one
            return self._session.get(OrderInquiry, contact_id)
        return self._inquiries[contact_id]

    def remember(self, contact_id: int, inquiry: OrderInquiry) -> None:
        """Record a question asked by this batch (added to the session)."""
        self._inquiries[contact_id] = inquiry

    def delete(self, contact_id: int, inquiry: OrderInquiry) -> None:
        """The question is answered: delete it (one this batch asked is only pending: taken out again)."""
        if inquiry in self._session.new:
            self._session.expunge(inquiry)
        else:
            self._session.delete(inquiry)
        self._inquiries[contact_id] = None

    def may_have_orders(self, contact_id: int) -> bool:
        """False only for a contact of the batch known to have no order at all (its recent orders: none)."""
        return contact_id not in self._inquiries or contact_id in self._with_orders
