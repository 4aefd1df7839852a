"""Order records: upsert by number, the contact found or created by number or BSUID, merges keep the orders."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from campaigns.identity import merge_contacts
from database_models import Contact, Order, ReceivedMessageLog, ScheduledMessage, utcnow
from orders.records import OrderError, import_orders_csv, upsert_order
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


def test_an_import_stores_what_one_order_at_a_time_would_and_writes_to_each_customer_in_their_language(
        session, make_contact):
    english, persian = make_contact("989121110001"), make_contact("989121110002")
    now = utcnow()
    for number, (contact, text) in enumerate([(english, "سلام"), (english, "where is my parcel?"),
                                              (persian, "hello"), (persian, "بسته‌ام کجاست؟")]):
        session.add(ReceivedMessageLog(wamid=f"wamid.ORDERS{number}", contact_id=contact.id, message_type="text",
                                       text=text, payload={}, received_at=now + timedelta(seconds=number)))
    csv_file = ("number,wa_id,status,tracking_code,carrier\n"
                "2001,0912 111 0001,shipped,RR1IR,iran_post\n"
                "2002,+98 912 111 0002,shipped,RR2IR,iran_post\n"
                "2003,989121110002,paid,,\n"
                "2004,0912 111 0009,shipped,RR4IR,tipax\n")  # a customer who never wrote: Persian
    report = import_orders_csv(session, csv_file.encode(), RULES, TEHRAN)
    assert (report.created, report.notified, report.errors) == (4, 3, [])
    assert [line for line, _, _ in report.lines] == [2, 3, 4, 5]
    orders = {order.number: order for order in session.scalars(select(Order))}
    assert orders["2002"].contact_id == orders["2003"].contact_id == persian.id
    assert orders["2001"].contact_id == english.id and orders["2004"].contact.wa_id == "989121110009"
    bodies = {row.contact_id: row.body for row in session.scalars(select(ScheduledMessage))}
    persian_letters = re.compile("[\u0600-\u06ff]")
    assert "RR1IR" in bodies[english.id] and not persian_letters.search(bodies[english.id])
    assert persian_letters.search(bodies[persian.id]) and persian_letters.search(bodies[orders["2004"].contact_id])

    # The same orders one at a time, as the API stores them, end the same way: nothing more to do.
    for number in ("2001", "2002", "2003", "2004"):
        order = orders[number]
        _, outcome, notified = upsert_order(session, {
            "number": number, "wa_id": order.contact.wa_id, "status": order.status,
            "tracking_code": order.tracking_code, "carrier": order.carrier}, RULES, TEHRAN)
        assert (outcome, notified) == ("unchanged", False)
    again = import_orders_csv(session, csv_file.replace("2003,989121110002,paid", "2003,989121110002,shipped")
                              .encode(), RULES, TEHRAN)
    assert (again.unchanged, again.updated, again.notified) == (3, 1, 1)
