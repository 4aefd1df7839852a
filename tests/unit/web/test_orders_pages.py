"""The orders pages: the list (search, status filter, Jalali dates), the CSV upload with its preview and
commit (the CLI's import, rolled back for the preview), and a contact's orders beside their conversation."""

from __future__ import annotations

import io

import pytest
from dashboard_testing import csrf_from, log_in
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from database_models import AuditEvent, Contact, Order, OrderNotification, OrderUpload, ScheduledMessage
from orders.records import upsert_order
from orders.rules import load_order_rules

RULES = load_order_rules("rules/orders.yaml")
# As Excel on a Persian Windows saves it: Windows-1256, Arabic ي/ك; line 3 has a status the rules do not know.
ORDERS_CSV = ("number,wa_id,status,tracking_code,carrier,expected_at,items\n"
              "1001,09121110001,shipped,RR123456789IR,iran_post,1405/09/20,2 ليوان\n"
              "1002,09121110002,lost,,,,\n"
              "1003,+98 912 111 0003,paid,,,,کتاب\n")


def count(engine, model) -> int:
    with Session(engine) as check:
        return check.scalar(select(func.count()).select_from(model))


def counted(preview: str, what: str) -> str:
    """The figure the preview shows for `what` (created, updated, unchanged, notified, rejected)."""
    return preview.split(f'data-count="{what}"><strong>')[1].split("<")[0]


def post(client, path: str, data: dict | None = None, page: str = "/dashboard/orders", **kwargs):
    return client.post(path, data={"csrf_token": csrf_from(client, page), **(data or {})}, **kwargs)


def upload(client, content: bytes, filename: str = "orders.csv"):
    return post(client, "/dashboard/orders/import", {"file": (io.BytesIO(content), filename)},
                page="/dashboard/orders/import", content_type="multipart/form-data")


def add(app, **values) -> None:
    platform = app.extensions["whatsapp_platform"]
    with platform.session_factory() as session:
        upsert_order(session, values, RULES, platform.config.zone)
        session.commit()


def listed(client, **params) -> list[str]:
    page = client.get("/dashboard/orders", query_string=params).get_data(as_text=True)
    return [line.split('data-order="')[1].split('"')[0] for line in page.splitlines() if "<tr data-order=" in line]


def test_the_orders_pages_need_a_login(client):
    for path in ("/dashboard/orders", "/dashboard/orders/import"):
        assert client.get(path).status_code == 302


def test_a_windows_1256_upload_is_previewed_in_persian_then_imported_once(app, persian, engine):
    answer = upload(persian, ORDERS_CSV.replace("ی", "ي").encode("cp1256"))
    assert answer.status_code == 302
    location = answer.headers["Location"]
    preview = persian.get(location).get_data(as_text=True)
    assert "Windows-1256" in preview and "2 لیوان" in preview  # read, and stored with the Persian ی
    assert counted(preview, "created") == "۲" and counted(preview, "notified") == "۱"
    assert "سطر ۳" in preview and "وضعیت ناشناخته lost" in preview  # the rejected line, said in Persian
    assert "۲۰ آذر ۱۴۰۵" in preview and "ارسال شده" in preview  # Jalali date, the status as the rules name it
    for model in (Order, Contact, ScheduledMessage, OrderNotification):
        assert count(engine, model) == 0, model  # a preview writes nothing, not even the notification

    done = post(persian, location, page=location)
    assert done.status_code == 302 and done.headers["Location"].endswith("/dashboard/orders")
    listing = persian.get(done.headers["Location"]).get_data(as_text=True)
    assert "۲ سفارش تازه" in listing and "۱ رد شد" in listing and "۱ مشتری باخبر شد" in listing
    assert count(engine, Order) == 2 and count(engine, OrderUpload) == 0
    with Session(engine) as check:
        notice = check.scalars(select(ScheduledMessage)).one()
        assert notice.kind == "order_update" and "RR123456789IR" in notice.body
        audit = check.scalars(select(AuditEvent).where(AuditEvent.action == "orders.imported")).one()
        assert audit.detail == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 1, "notified": 1}

    again = upload(persian, ORDERS_CSV.encode("utf-8-sig")).headers["Location"]
    preview = persian.get(again).get_data(as_text=True)
    assert counted(preview, "unchanged") == "۲" and counted(preview, "notified") == "۰"
    post(persian, again, page=again)
    assert count(engine, ScheduledMessage) == 1  # the same file again tells nobody twice


@pytest.mark.parametrize(("content", "message"), [
    (b"", "Choose a CSV file"),
    (b"number,wa_id\n1001,09121110001\n", "missing: status"),
    (b"number,wa_id,status\n1," + b"x" * 200_000 + b",paid\n", "is not a CSV that can be read"),  # csv's field limit
    (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xb5U\x9e", "is not a CSV that can be read"),
    (b"number,wa_id,status\n" + b"1001,989120000000,paid\n" * 60_000, "larger than 1 MB"),
    (b"number,wa_id,status\n" + b"1001,989120000000,paid\n" * 2001, "has 2,001 orders; at most 2,000"),
])
def test_an_unusable_upload_is_refused_with_the_reason_and_nothing_stored(logged_in, engine, content, message):
    answer = upload(logged_in, content)
    assert answer.status_code in (400, 413) and message in answer.get_data(as_text=True)
    assert count(engine, OrderUpload) == 0 and count(engine, Order) == 0


def test_an_upload_belongs_to_its_login_and_discarding_it_imports_nothing(app, logged_in, engine):
    location = upload(logged_in, ORDERS_CSV.encode()).headers["Location"]
    other = app.test_client()
    other.set_cookie("lang", "en")
    log_in(other)
    assert other.get(location).status_code == 404
    assert post(other, location).status_code == 404
    assert post(logged_in, f"{location}/discard", page=location).status_code == 302
    assert count(engine, OrderUpload) == 0 and count(engine, Order) == 0


def test_the_list_searches_by_number_tracking_code_and_customer_and_filters_by_status(app, logged_in, db):
    add(app, number="1001", wa_id="09121110001", status="shipped", tracking_code="RR123456789IR", carrier="iran_post")
    add(app, number="A-2002", wa_id="09121110002", status="paid")
    add(app, number="3003", wa_id="09121110001", status="delivered")
    sara = db.scalars(select(Contact).where(Contact.wa_id == "989121110002")).one()
    sara.name = "Sara Ahmadi"
    db.commit()
    assert listed(logged_in) == ["3003", "A-2002", "1001"]  # the most recently updated first
    assert listed(logged_in, q="۱۰۰۱") == ["1001"]  # Persian digits
    assert listed(logged_in, q="rr1234") == ["1001"]
    assert listed(logged_in, q="sara") == ["A-2002"]
    assert listed(logged_in, q="0912 111 0001") == ["3003", "1001"]
    assert listed(logged_in, q="100%") == []  # LIKE's wildcards are taken literally
    assert listed(logged_in, status="delivered") == ["3003"]
    assert listed(logged_in, status="no-such-status") == ["3003", "A-2002", "1001"]  # ignored, not an error
    page = logged_in.get("/dashboard/orders", query_string={"q": "1001"}).get_data(as_text=True)
    assert 'href="https://tracking.post.ir/?id=RR123456789IR"' in page and "Iran Post" in page


def test_the_persian_list_reads_right_to_left_with_jalali_dates(app, persian):
    add(app, number="1001", wa_id="09121110001", status="shipped", expected_at="1405/09/20")
    page = persian.get("/dashboard/orders").get_data(as_text=True)
    assert 'dir="rtl"' in page and "سفارش‌ها" in page and "۲۰ آذر ۱۴۰۵" in page and "ارسال شده" in page
    assert "پست جمهوری اسلامی" not in page  # no carrier given: none shown


def test_a_contacts_orders_are_on_their_page_and_beside_their_conversation(app, logged_in, db):
    add(app, number="1001", wa_id="09121110001", status="shipped", tracking_code="TPX-1", carrier="tipax")
    add(app, number="1002", wa_id="09121110001", status="returned")
    add(app, number="2001", wa_id="09121110002", status="paid")
    ali = db.scalars(select(Contact).where(Contact.wa_id == "989121110001")).one()
    nobody = Contact(wa_id="989121110009")
    db.add(nobody)
    db.commit()
    for path in (f"/dashboard/contacts/{ali.id}", f"/dashboard/inbox/{ali.id}"):
        page = logged_in.get(path).get_data(as_text=True)
        assert 'data-orders="2"' in page and 'data-order="1001"' in page and 'data-order="1002"' in page, path
        assert 'data-order="2001"' not in page and "TPX-1" in page and "Tipax" in page
        assert 'data-status="returned"' in page
    for path in (f"/dashboard/contacts/{nobody.id}", f"/dashboard/inbox/{nobody.id}"):
        assert "data-orders=" not in logged_in.get(path).get_data(as_text=True)  # no orders: no panel
