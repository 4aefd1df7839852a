"""The campaign pages through Flask's test client: list, builder (estimate, preview, refusals), a campaign's page."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import timedelta

import pytest
from dashboard_testing import csrf_from
from sqlalchemy import func, select

from database_models import (
    DIRECTION_OUT,
    Broadcast,
    Contact,
    ContactTag,
    ReceivedMessageLog,
    ScheduledMessage,
    utcnow,
)

BUILDER = "/dashboard/campaigns/new"


@pytest.fixture
def shop(db):
    """Five contacts: two inside the 24-hour window, two outside (one a BSUID-only customer), one opted out."""
    now = utcnow()
    people = [("989120000001", None, "Sara Karimi", timedelta(hours=2), False, ("vip",)),
              ("989120000002", None, "رضا احمدی", timedelta(hours=5), False, ("vip", "tehran")),
              ("989120000003", None, "Neda", timedelta(days=3), False, ("tehran",)),
              (None, "US.13491208655302741918", "Kian", None, False, ("vip",)),
              ("989120000005", None, "Omid", timedelta(hours=1), True, ("vip",))]
    contacts = []
    for wa_id, user_id, name, ago, opted_out, tags in people:
        contact = Contact(wa_id=wa_id, user_id=user_id, name=name, attributes={"city": "Tehran"},
                          opted_out=opted_out, last_inbound_at=now - ago if ago else None)
        contact.tags = [ContactTag(tag=tag) for tag in tags]
        db.add(contact)
        contacts.append(contact)
    db.commit()
    return contacts


def build(client, page: str = BUILDER, **fields):
    data = {"name": "Yalda sale", "audience": "all", "when": "now", "action": "estimate", "language": "fa", **fields}
    return client.post(BUILDER, data={"csrf_token": csrf_from(client, page), **data})


def text_of(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def figure(page: str, route: str) -> str:
    return re.search(rf'data-route="{route}"><dt>[^<]*</dt><dd>([^<]*)</dd>', page).group(1)


def test_the_builder_estimates_text_template_and_skips_and_previews_real_recipients(logged_in, shop, db):
    response = build(logged_in, body="Hi {first_name|friend}, 30% off in {city}", template_name="yalda_sale",
                     params="name|customer")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert figure(page, "text") == "2" and figure(page, "template") == "2" and figure(page, "skipped") == "1"
    assert 'data-skip="opted_out"' in page
    assert "Hi Sara, 30% off in Tehran" in page  # inside the window: the personalised text
    assert "Neda" in text_of(response) and 'data-route="template"' in page
    assert db.scalar(select(func.count()).select_from(Broadcast)) == 0, "an estimate writes nothing"


def test_text_only_outside_the_window_is_skipped_and_said_why(logged_in, shop):
    page = build(logged_in, body="Hello").get_data(as_text=True)
    assert figure(page, "text") == "2" and figure(page, "template") == "0" and figure(page, "skipped") == "3"
    assert 'data-skip="no_template"' in page


def test_an_unknown_placeholder_is_refused_with_the_reason_and_nothing_is_written(logged_in, shop, db):
    for action in ("estimate", "schedule"):
        response = build(logged_in, body="Hi {nmae}", action=action)
        assert response.status_code == 400
        assert "Unknown placeholder: {nmae}" in text_of(response)
    assert db.scalar(select(func.count()).select_from(Broadcast)) == 0


def test_persian_refusals_and_labels(persian, shop):
    response = build(persian, body="سلام {نام}", action="schedule")
    assert response.status_code == 400 and "{نام}" in text_of(response)
    assert "Unknown placeholder" not in text_of(response)
    page = build(persian, body="سلام {name}", template_name="t").get_data(as_text=True)
    assert 'data-route="text"><dt>' in page and "<dd>۲</dd>" in page


@pytest.mark.parametrize("fields, reason", [
    ({"name": "", "body": "x"}, "needs a name"),
    ({"body": ""}, "Write a text, or give an approved template"),
    ({"body": "x", "template_name": "t", "language": ""}, "needs its language code"),
    ({"body": "x", "template_name": "t", "language": "Persian"}, "is not a language code"),
    ({"body": "x", "audience": "tags", "tags": " ; "}, "at least one tag"),
    ({"body": "x", "audience": "list", "numbers": ""}, "The list is empty"),
    ({"body": "x", "when": "at", "send_at": "1300/01/01 10:00"}, "in the past"),
    ({"body": "x", "when": "at", "send_at": "tomorrow"}, "1405/09/20 10:00"),
    ({"body": "x {", "action": "schedule"}, "A lone {"),
])
def test_the_builder_refuses_what_the_cli_refuses(logged_in, shop, db, fields, reason):
    response = build(logged_in, **{"action": "schedule", **fields})
    assert response.status_code == 400 and reason in text_of(response)
    assert db.scalar(select(func.count()).select_from(Broadcast)) == 0


def test_scheduling_at_a_jalali_time_writes_what_the_estimate_said(logged_in, shop, db):
    fields = {"body": "Hi {name}", "template_name": "yalda_sale", "audience": "tags", "tags": "vip",
              "when": "at", "send_at": "۱۴۹۰/۰۱/۰۱ ۱۰:۰۰"}
    estimate = build(logged_in, **fields).get_data(as_text=True)
    response = build(logged_in, **{**fields, "action": "schedule"})
    assert response.status_code == 302
    [campaign] = db.scalars(select(Broadcast)).all()
    assert campaign.scheduled_at.year == 2111 and campaign.scheduled_at.month == 3
    rows = db.scalar(select(func.count()).where(ScheduledMessage.broadcast_id == campaign.id))
    # vip: Sara and Reza inside the window (but the send is 2111: nobody is by then), Kian (BSUID), Omid opted out.
    assert figure(estimate, "text") == "0" and figure(estimate, "template") == "3" and rows == 3
    assert campaign.exclusions["opted_out"] == 1
    db.commit()  # SQLite: the test's read transaction holds the write lock the app's login check takes
    page = logged_in.get(response.headers["Location"])
    assert "Campaign scheduled for 3 recipients." in text_of(page)


def test_an_uploaded_windows_1256_list_keeps_bsuid_rows(logged_in, shop, db):
    upload = "شماره,نام\n09120000001,سارا\n,\nUS.13491208655302741918,کامران\nnot-a-number,x\n".encode("cp1256")
    data = {"csrf_token": csrf_from(logged_in, BUILDER), "name": "List", "audience": "list", "when": "now",
            "body": "Hi", "template_name": "t", "language": "fa", "action": "schedule",
            "numbers_file": (io.BytesIO(upload), "list.csv")}
    response = logged_in.post(BUILDER, data=data, content_type="multipart/form-data")
    assert response.status_code == 302, text_of(response)
    [campaign] = db.scalars(select(Broadcast)).all()
    assert campaign.recipient_count == 2 and campaign.exclusions["invalid_number"] == 1


def test_the_list_shows_lifecycle_and_progress_a_page_at_a_time(logged_in, shop, db):
    for number in range(25):
        campaign = Broadcast(name=f"Campaign {number}", body="x", audience={}, scheduled_at=utcnow(),
                             status="completed" if number % 2 else "scheduled", recipient_count=1)
        db.add(campaign)
        db.flush()
        db.add(ScheduledMessage(contact_id=shop[0].id, broadcast_id=campaign.id, kind="broadcast", body="x",
                                status="read" if number % 2 else "pending"))
    db.commit()
    first = logged_in.get("/dashboard/campaigns").get_data(as_text=True)
    assert "Campaign 24" in first and "Campaign 4<" not in first and 'rel="next"' in first
    assert 'data-status="completed"' in first and 'data-status="scheduled"' in first and "100%" in first
    second = logged_in.get("/dashboard/campaigns?page=2").get_data(as_text=True)
    assert "Campaign 0" in second and 'rel="next"' not in second
    assert logged_in.get("/dashboard/campaigns?page=abc").status_code == 200
    beyond = logged_in.get("/dashboard/campaigns?page=99").get_data(as_text=True)
    assert "No campaigns yet" not in beyond and "First page" in beyond


def _campaign_with_results(db, shop) -> Broadcast:
    now = utcnow()
    campaign = Broadcast(name="Results", body="x", audience={}, scheduled_at=now - timedelta(hours=1),
                         status="sending", recipient_count=4)
    db.add(campaign)
    db.flush()
    outcomes = [("read", None, None), ("failed", 131026, "Message Undeliverable"),
                ("skipped", None, "outside the 24-hour window and no template"), ("unknown", None, None)]
    for contact, (status, code, title) in zip(shop, outcomes, strict=False):
        sent = now - timedelta(minutes=30) if status == "read" else None
        db.add(ScheduledMessage(contact_id=contact.id, broadcast_id=campaign.id, kind="broadcast", body="x",
                                status=status, last_error_code=code, last_error_title=title, sent_at=sent,
                                read_at=sent))
    # Sara's own echo and imported history after the send are not replies; nobody else wrote back.
    for wamid, direction, imported in (("wamid.echo", DIRECTION_OUT, False), ("wamid.history", "in", True)):
        db.add(ReceivedMessageLog(wamid=wamid, contact_id=shop[0].id, message_type="text", text="=cmd()",
                                  payload={}, received_at=now - timedelta(minutes=10), direction=direction,
                                  imported=imported))
    db.commit()
    return campaign


def test_the_campaign_page_shows_the_funnel_failures_skips_and_recipients(logged_in, shop, db):
    campaign = _campaign_with_results(db, shop)
    page = logged_in.get(f"/dashboard/campaigns/{campaign.id}").get_data(as_text=True)
    counts = dict(re.findall(r'data-stage="(\w+)">.*?data-count="(\d+)"', page, re.S))
    assert counts == {"queued": "4", "sent": "1", "delivered": "1", "read": "1", "replied": "0", "failed": "1",
                      "skipped": "1"}
    assert 'data-code="131026"' in page and "Outside the 24-hour window, and there is no template" in page
    assert 'id="unconfirmed"' in page
    found = logged_in.get(f"/dashboard/campaigns/{campaign.id}?q=neda").get_data(as_text=True)
    assert found.count("data-contact=") == 1 and "Neda" in found
    failed = logged_in.get(f"/dashboard/campaigns/{campaign.id}?status=failed").get_data(as_text=True)
    assert failed.count("data-contact=") == 1 and 'data-status="failed"' in failed


def test_a_real_reply_counts_as_replied(logged_in, shop, db):
    campaign = _campaign_with_results(db, shop)
    db.add(ReceivedMessageLog(wamid="wamid.reply", contact_id=shop[0].id, message_type="text", text="thanks",
                              payload={}, received_at=utcnow()))
    db.commit()
    page = logged_in.get(f"/dashboard/campaigns/{campaign.id}").get_data(as_text=True)
    assert re.search(r'data-stage="replied">.*?data-count="1"', page, re.S)


def test_recipients_are_paged_by_keyset(logged_in, db):
    campaign = Broadcast(name="Big", body="x", audience={}, scheduled_at=utcnow(), recipient_count=120)
    db.add(campaign)
    db.flush()
    for number in range(120):
        contact = Contact(wa_id=f"98935{number:07d}", name=f"P{number}", attributes={})
        db.add(contact)
        db.flush()
        db.add(ScheduledMessage(contact_id=contact.id, broadcast_id=campaign.id, kind="broadcast", body="x"))
    db.commit()
    seen, path = [], f"/dashboard/campaigns/{campaign.id}"
    while path:
        page = logged_in.get(path).get_data(as_text=True)
        seen += re.findall(r'data-contact="(\d+)"', page)
        following = re.search(r'rel="next" href="([^"]+)"', page)
        path = following.group(1).replace("&amp;", "&") if following else None
    assert len(seen) == 120 == len(set(seen))


def test_pause_resume_cancel_and_resend_go_through_the_service(logged_in, shop, db):
    campaign = _campaign_with_results(db, shop)
    page = f"/dashboard/campaigns/{campaign.id}"

    def post(action: str, **extra):
        return logged_in.post(f"{page}/{action}", data={"csrf_token": csrf_from(logged_in, page), **extra},
                              follow_redirects=True)

    assert "Paused" in text_of(post("pause"))
    assert db.get(Broadcast, campaign.id, populate_existing=True).status == "paused"
    db.commit()
    assert "Tick the box" in text_of(post("resend-unknown"))
    assert "1 unconfirmed message is queued again." in text_of(post("resend-unknown", accept_duplicates="yes"))
    db.commit()
    assert "Resumed" in text_of(post("resume"))
    assert "Cancelled" in text_of(post("cancel"))
    refused = text_of(post("pause"))
    assert "This campaign's status is Cancelled: it can no longer change." in refused
    assert logged_in.post(f"{page}/pause", data={"csrf_token": "forged"}).status_code == 400
    assert logged_in.post("/dashboard/campaigns/999999/pause",
                          data={"csrf_token": csrf_from(logged_in, page)}).status_code == 404


def test_the_results_export_is_utf8_with_bom_and_formula_safe(logged_in, shop, db):
    campaign = _campaign_with_results(db, shop)
    db.execute(Contact.__table__.update().where(Contact.id == shop[1].id).values(name="=HYPERLINK(1)"))
    db.commit()
    response = logged_in.get(f"/dashboard/campaigns/{campaign.id}/results.csv")
    assert response.mimetype == "text/csv" and response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["contact", "name", "status"] and len(rows) == 5
    assert ["989120000002", "'=HYPERLINK(1)", "failed"] == rows[2][:3]
    assert "131026" in rows[2]


def test_unknown_campaigns_are_404_pages(logged_in):
    assert logged_in.get("/dashboard/campaigns/424242").status_code == 404
    assert logged_in.get("/dashboard/campaigns/99999999999").status_code == 404
    assert logged_in.get("/dashboard/campaigns/424242/results.csv").status_code == 404


def test_a_utf16_contacts_csv_keeps_a_row_with_only_a_bsuid(logged_in, shop, db):
    upload = "wa_id,user_id,name\n+98 912 000 0001,,Sara\n,US.13491208655302741918,Kian\n".encode("utf-16")
    data = {"csrf_token": csrf_from(logged_in, BUILDER), "name": "List", "audience": "list", "when": "now",
            "body": "Hi {name}", "template_name": "t", "language": "fa", "action": "estimate",
            "numbers_file": (io.BytesIO(upload), "contacts.csv")}
    page = logged_in.post(BUILDER, data=data, content_type="multipart/form-data").get_data(as_text=True)
    assert figure(page, "text") == "1" and figure(page, "template") == "1" and figure(page, "skipped") == "0"
    assert "US.13491208655302741918" in page  # carried in the list field, so Schedule sends the same list
    bad = {**data, "numbers_file": (io.BytesIO(b"PK\x03\x04\x00\x00binary"), "book.xlsx")}
    refused = logged_in.post(BUILDER, data=bad, content_type="multipart/form-data")
    assert refused.status_code == 400 and "save it as CSV UTF-8" in text_of(refused)
