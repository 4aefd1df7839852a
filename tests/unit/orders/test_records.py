"""Order records: upsert by number, the contact found or created by number or BSUID, merges keep the orders."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from campaigns.identity import merge_contacts
from database_models import Contact, Order
from orders.records import OrderError, upsert_order
from orders.rules import load_order_rules

RULES = load_order_rules("rules/orders.yaml")
TEHRAN = ZoneInfo("Asia/Tehran")


def test_an_order_finds_its_existing_contact_by_any_way_of_writing_the_number(session, make_contact):
    contact = make_contact("989121110001")
    order, outcome, _ = upsert_order(session, {"number": "۱۰۰۱", "wa_id": "+98 (912) 111-0001", "status": "Paid"},
                                     RULES, TEHRAN)
    assert (order.number, order.contact_id, order.status, outcome) == ("1001", contact.id, "paid", "created")
    assert session.scalar(select(Contact.id).where(Contact.id != contact.id)) is None


@pytest.mark.parametrize(("values", "message"), [
    ({"number": "", "wa_id": "989121110001", "status": "paid"}, "number is empty"),
    ({"number": "1", "wa_id": "", "status": "paid"}, "wa_id is empty"),
    ({"number": "1", "wa_id": "989121110001", "status": "lost"}, "unknown status"),
    ({"number": "1" * 65, "wa_id": "989121110001", "status": "paid"}, "longer than 64"),
    ({"number": "1", "wa_id": "989121110001", "status": "paid", "expected_at": "1405/13/01"}, "expected_at"),
])
def test_bad_values_are_refused_and_nothing_is_written(session, values, message):
    with pytest.raises(OrderError, match=message):
        upsert_order(session, values, RULES, TEHRAN)
    assert session.scalars(select(Order)).all() == []
    assert session.scalars(select(Contact)).all() == []


def test_merging_two_contacts_keeps_the_orders_of_both(session, make_contact):
    phone = make_contact("989121110001")
    order, _, _ = upsert_order(session, {"number": "1001", "wa_id": "US.13491208655302741918", "status": "shipped"},
                               RULES, TEHRAN)
    bsuid_contact = order.contact_id
    merge_contacts(session, phone.id, bsuid_contact)
    session.expire_all()
    assert session.scalars(select(Order)).one().contact_id == phone.id
