"""The dashboard's templates: the templates page and its sync, the thread's template picker and file sends, the builder.

Real pieces throughout: the app sends through pywa to the fake Graph API, which serves the
account's templates (three pages) and takes uploads; every send is checked where it lands.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from conftest import clean_tables
from dashboard_testing import csrf_from, log_in
from sqlalchemy import select
from template_testing import BUSINESS_ACCOUNT_ID, DEFAULT_TEMPLATE_COUNT, add_contact, graph_sender, synced

from database_models import AuditEvent, MessageTemplate, ScheduledMessage
from models.base import utcnow
from webhook_handler import create_app

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
PDF = b"%PDF-1.4\n" + b"x" * 500


@pytest.fixture
def graph_app(test_config, fake_graph, engine):
    """A logged-in client (English) of an app sending to the fake Graph API, with a business account id."""
    app = create_app(test_config.replace(whatsapp_business_account_id=BUSINESS_ACCOUNT_ID),
                     sender=graph_sender(fake_graph))
    client = app.test_client()
    client.set_cookie("lang", "en")
    assert log_in(client).status_code == 302
    yield client
    app.extensions["whatsapp_platform"].close()
    clean_tables(engine)


def post(client, path: str, data: dict, page: str = "/dashboard/templates", **options):
    return client.post(path, data={"csrf_token": csrf_from(client, page), **data}, **options)


def audit(db, action: str) -> list[AuditEvent]:
    rows = list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)))
    db.commit()
    return rows


# --- the templates page ------------------------------------------------------------------------

def test_the_sync_button_fetches_every_page_lists_them_and_is_recorded(graph_app, fake_graph, db):
    empty = graph_app.get("/dashboard/templates").get_data(as_text=True)
    assert 'id="no-templates"' in empty and 'id="sync-templates"' in empty
    answer = post(graph_app, "/dashboard/templates/sync", {})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/dashboard/templates")
    assert len(fake_graph.template_requests()) == 3
    page = graph_app.get("/dashboard/templates").get_data(as_text=True)
    assert f"{DEFAULT_TEMPLATE_COUNT} templates synced: {DEFAULT_TEMPLATE_COUNT} new, 0 updated." in page
    assert page.count("<tr data-template=") == DEFAULT_TEMPLATE_COUNT
    assert 'data-template="spring_sale" data-language="fa" data-status="APPROVED"' in page
    assert 'data-needs="1/2/0"' in page and "Header: 1" in page and "Body: 2" in page
    assert "Button 1: 1" in page and "Pending review" in page
    [event] = audit(db, "templates.synced")
    assert event.detail == {"fetched": DEFAULT_TEMPLATE_COUNT, "added": DEFAULT_TEMPLATE_COUNT, "updated": 0}


def test_a_graph_error_during_the_sync_is_explained_and_changes_nothing(graph_app, fake_graph, db):
    synced(db, "order_shipped", "fa", "{{1}}")
    fake_graph.set_templates([{"name": "order_shipped", "language": "fa", "status": "REJECTED", "components": []},
                              {"name": "new_one", "language": "fa", "status": "APPROVED", "components": []}],
                             page_size=1, failing_page=2, failure_code=131000)
    answer = post(graph_app, "/dashboard/templates/sync", {})
    page = graph_app.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Meta did not give the template list: Something went wrong (code 131000, HTTP 500). Nothing was changed." \
        in page
    assert [(t.name, t.status) for t in db.scalars(select(MessageTemplate))] == [("order_shipped", "APPROVED")]
    assert audit(db, "templates.synced") == []


def test_without_a_business_account_id_the_page_says_which_setting_to_set(logged_in):
    page = logged_in.get("/dashboard/templates").get_data(as_text=True)
    assert "WHATSAPP_BUSINESS_ACCOUNT_ID is not set" in page
    answer = post(logged_in, "/dashboard/templates/sync", {})
    assert "Set WHATSAPP_BUSINESS_ACCOUNT_ID" in logged_in.get(answer.headers["Location"]).get_data(as_text=True)


def test_the_templates_page_reads_persian(persian, db):
    synced(db, "order_shipped", "fa", "سلام {{1}}، سفارش {{2}} ارسال شد.")
    page = persian.get("/dashboard/templates").get_data(as_text=True)
    assert 'dir="rtl"' in page and "همگام‌سازی قالب‌ها" in page and "متن: ۲" in page


# --- the thread: a synced template --------------------------------------------------------------

def test_the_thread_asks_for_exactly_the_parameters_of_each_approved_template(graph_app, db):
    contact = add_contact(db, "989120000101", wrote_ago=timedelta(hours=30))
    synced(db, "order_shipped", "fa", "سلام {{1}}، سفارش {{2}} ارسال شد.")
    synced(db, "spring_sale", "fa", "{{1}} عزیز", header="حراج {{1}}", url="https://shop.example/{{1}}")
    synced(db, "welcome_back", "fa", "خوش برگشتید", status="PENDING")
    page = graph_app.get(f"/dashboard/inbox/{contact.id}").get_data(as_text=True)
    assert 'data-template="order_shipped"' in page and 'data-template="spring_sale"' in page
    assert 'data-template="welcome_back"' not in page  # only approved templates are offered
    assert 'name="template_name"' not in page  # the free-typed form gives way to the picker
    shipped = page.split('data-template="order_shipped"')[1].split("</details>")[0]
    assert shipped.count('name="param_') == 2 and 'name="header_' not in shipped
    sale = page.split('data-template="spring_sale"')[1].split("</details>")[0]
    assert 'name="header_1"' in sale and 'name="param_1"' in sale and 'name="button_0_1"' in sale


def test_a_synced_template_is_previewed_then_reaches_the_graph_api_once(graph_app, fake_graph, db):
    contact = add_contact(db, "989120000102", wrote_ago=timedelta(hours=30))
    synced(db, "spring_sale", "fa", "{{1}} عزیز، {{2}} درصد تخفیف!", header="حراج {{1}}",
           url="https://shop.example/{{1}}")
    values = {"template": "spring_sale|fa", "header_1": "نوروز", "param_1": "سارا", "param_2": "۳۰",
              "button_0_1": "spring-30"}
    thread = f"/dashboard/inbox/{contact.id}"
    preview = post(graph_app, f"{thread}/template", {**values, "action": "preview"}, page=thread)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "سارا عزیز، ۳۰ درصد تخفیف!" in html and "حراج نوروز" in html
    assert fake_graph.messages() == [] and db.scalars(select(ScheduledMessage)).all() == []
    db.commit()
    answer = post(graph_app, f"{thread}/template", {**values, "action": "send"}, page=thread)
    assert answer.status_code == 302
    [sent] = fake_graph.messages()
    assert (sent["to"], sent["type"]) == (contact.wa_id, "template")
    assert sent["template"]["name"] == "spring_sale" and sent["template"]["body_parameters"] == ["سارا", "۳۰"]
    components = {c["type"]: c for c in sent["template_components"]}
    assert components["header"]["parameters"] == [{"type": "text", "text": "نوروز"}]
    assert components["button"]["parameters"] == [{"type": "text", "text": "spring-30"}]
    [row] = db.scalars(select(ScheduledMessage)).all()
    assert (row.kind, row.status, row.template_params) == ("operator", "sent", ["سارا", "۳۰"])
    [event] = audit(db, "template.sent")
    assert event.subject_id == str(contact.id) and event.detail["template"] == "spring_sale"
    assert "Template sent." in graph_app.get(answer.headers["Location"]).get_data(as_text=True)


def test_the_thread_shows_a_sent_template_as_the_customer_read_it(graph_app, db):
    contact = add_contact(db, "989120000104", wrote_ago=timedelta(hours=30))
    synced(db, "order_shipped", "fa", "سلام {{1}}، سفارش {{2}} ارسال شد.")
    now = utcnow()
    db.add_all([ScheduledMessage(contact_id=contact.id, kind="operator", status="sent", scheduled_at=now,
                                 sent_at=now, template_name=name, template_language=language,
                                 template_params=["سارا", "۱۰۲۱"])
                for name, language in (("order_shipped", "fa"), ("order_shipped", "en_US"), ("gone_sale", "fa"))])
    db.commit()
    page = graph_app.get(f"/dashboard/inbox/{contact.id}").get_data(as_text=True)
    # The synced Persian template reads as its filled text, its name a label beside it.
    assert page.count('data-template-text>سلام سارا، سفارش ۱۰۲۱ ارسال شد.</p>') == 1
    assert "order_shipped (fa)</bdi>" in page
    # A language or a template never synced: its name and values, as before.
    assert "order_shipped (en_US): سارا, ۱۰۲۱</bdi>" in page and "gone_sale (fa): سارا, ۱۰۲۱</bdi>" in page
    assert page.count("data-template-text") == 1


def test_a_missing_parameter_is_refused_clearly_and_nothing_is_sent(graph_app, fake_graph, db):
    contact = add_contact(db, "989120000103", wrote_ago=timedelta(hours=30))
    synced(db, "order_shipped", "fa", "سلام {{1}}، سفارش {{2}} ارسال شد.")
    thread = f"/dashboard/inbox/{contact.id}"
    answer = post(graph_app, f"{thread}/template", {"template": "order_shipped|fa", "param_1": "سارا",
                                                    "param_2": "  "}, page=thread)
    page = graph_app.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Fill every parameter of order_shipped: it needs 2." in page
    assert fake_graph.messages() == [] and db.scalars(select(ScheduledMessage)).all() == []
    db.commit()
    unknown = post(graph_app, f"{thread}/template", {"template": "nope|fa"}, page=thread)
    assert "Choose one of the synced, approved templates." in graph_app.get(unknown.headers["Location"]).get_data(
        as_text=True)


def test_a_typed_template_that_is_synced_is_checked_too(graph_app, fake_graph, db):
    contact = add_contact(db, "989120000104", wrote_ago=timedelta(hours=30))
    synced(db, "order_shipped", "fa", "سلام {{1}}، سفارش {{2}} ارسال شد.")
    thread = f"/dashboard/inbox/{contact.id}"
    answer = post(graph_app, f"{thread}/template", {"template_name": "order_shipped", "language": "fa",
                                                    "params": "only one"}, page=thread)
    assert "it needs 2" in graph_app.get(answer.headers["Location"]).get_data(as_text=True)
    assert fake_graph.messages() == []


# --- the thread: files -----------------------------------------------------------------------------

def test_an_image_is_uploaded_then_sent_by_its_media_id_once(graph_app, fake_graph, db):
    contact = add_contact(db, "989120000105")
    thread = f"/dashboard/inbox/{contact.id}"
    page = graph_app.get(thread).get_data(as_text=True)
    assert 'id="attach"' in page and 'enctype="multipart/form-data"' in page
    answer = post(graph_app, f"{thread}/attachment", {"file": (io.BytesIO(PNG), "receipt.png",
                                                                "image/png"), "caption": "رسید شما"},
                  page=thread, content_type="multipart/form-data")
    assert answer.status_code == 302
    [upload] = fake_graph.uploads()
    assert (upload["mime_type"], upload["size"], upload["filename"]) == ("image/png", len(PNG), "receipt.png")
    [sent] = fake_graph.messages()
    assert (sent["to"], sent["type"], sent["media"]) == (contact.wa_id, "image",
                                                         {"id": upload["id"], "caption": "رسید شما"})
    [row] = db.scalars(select(ScheduledMessage)).all()
    assert (row.kind, row.status, row.body) == ("operator", "sent", "رسید شما")
    assert row.content == {"media": {"type": "image", "id": upload["id"], "caption": "رسید شما"}}
    [event] = audit(db, "attachment.sent")
    assert event.detail["media_type"] == "image" and event.detail["size"] == len(PNG)
    assert "File sent." in graph_app.get(answer.headers["Location"]).get_data(as_text=True)


def test_a_document_keeps_its_file_name(graph_app, fake_graph, db):
    contact = add_contact(db, "989120000106")
    thread = f"/dashboard/inbox/{contact.id}"
    post(graph_app, f"{thread}/attachment", {"file": (io.BytesIO(PDF), "فاکتور.pdf",
                                                      "application/pdf")}, page=thread,
         content_type="multipart/form-data")
    [sent] = fake_graph.messages()
    assert sent["type"] == "document" and sent["media"]["filename"] == "فاکتور.pdf"


@pytest.mark.parametrize("upload, message", [
    ((b"MZ\x90\x00", "setup.exe", "application/x-msdownload"), "WhatsApp takes JPEG or PNG images"),
    ((b"not really a png", "photo.png", "image/png"), "not a real JPEG or PNG image"),
    ((b"", "empty.pdf", "application/pdf"), "The file is empty."),
    ((b"\xff\xd8\xff" + b"0" * (3 * 1024 * 1024), "huge.jpg", "image/jpeg"), "The file is larger than"),
    (None, "Choose a file to send."),
])
def test_a_file_that_whatsapp_would_refuse_is_refused_before_anything_leaves(graph_app, fake_graph, db, upload,
                                                                             message):
    contact = add_contact(db, "989120000107")
    thread = f"/dashboard/inbox/{contact.id}"
    data = {"file": (io.BytesIO(upload[0]), upload[1], upload[2])} if upload else {}
    answer = post(graph_app, f"{thread}/attachment", data, page=thread, content_type="multipart/form-data")
    if answer.status_code == 413:  # past the app's request limit: Flask's own refusal, before the view
        assert upload and len(upload[0]) > 3 * 1024 * 1024
    else:
        assert message in graph_app.get(answer.headers["Location"]).get_data(as_text=True)
    assert fake_graph.uploads() == [] and fake_graph.messages() == []
    assert db.scalars(select(ScheduledMessage)).all() == []


def test_no_file_goes_out_after_the_window_closed(graph_app, fake_graph, db):
    contact = add_contact(db, "989120000108", wrote_ago=timedelta(hours=25))
    thread = f"/dashboard/inbox/{contact.id}"
    assert 'name="file"' not in graph_app.get(thread).get_data(as_text=True)
    answer = post(graph_app, f"{thread}/attachment", {"file": (io.BytesIO(PNG), "a.png", "image/png")},
                  page=thread, content_type="multipart/form-data")
    assert "24-hour window is closed" in graph_app.get(answer.headers["Location"]).get_data(as_text=True)
    assert fake_graph.uploads() == [] and fake_graph.messages() == []


def test_a_refused_upload_sends_nothing_and_says_why(graph_app, fake_graph, db):
    contact = add_contact(db, "989120000109")
    thread = f"/dashboard/inbox/{contact.id}"
    fake_graph.fail_next(1, status=400, code=100)
    answer = post(graph_app, f"{thread}/attachment", {"file": (io.BytesIO(PNG), "a.png", "image/png")},
                  page=thread, content_type="multipart/form-data")
    assert "WhatsApp did not take the file: Invalid parameter. Nothing was sent." in graph_app.get(
        answer.headers["Location"]).get_data(as_text=True)
    assert fake_graph.messages() == [] and db.scalars(select(ScheduledMessage)).all() == []


# --- the campaign builder ------------------------------------------------------------------------------

def test_the_builder_picks_a_synced_template_and_asks_for_exactly_its_parameters(graph_app, fake_graph, db):
    add_contact(db, "989120000110", wrote_ago=timedelta(days=3), name="Sara")
    synced(db, "order_shipped", "fa", "سلام {{1}}، سفارش {{2}} ارسال شد.")
    synced(db, "spring_sale", "fa", "{{1}}", header="حراج {{1}}")
    builder = "/dashboard/campaigns/new"
    page = graph_app.get(builder).get_data(as_text=True)
    assert 'id="template-picker"' in page and 'value="order_shipped|fa"' in page and 'name="template_name"' not in page
    base = {"name": "shipped", "audience": "all", "when": "now", "template": "order_shipped|fa"}
    chosen = post(graph_app, builder, {**base, "action": "estimate"}, page=builder)
    html = chosen.get_data(as_text=True)
    assert chosen.status_code == 400 and "order_shipped needs 2 parameters, 0 given." in html
    assert html.count('name="param_') == 2 and "سلام {{1}}، سفارش {{2}} ارسال شد." in html
    # A campaign's parameters are contact fields, as in the typed form: each recipient gets their own values.
    estimate = post(graph_app, builder, {**base, "action": "estimate", "param_1": "name|مشتری",
                                         "param_2": "wa_id"}, page=builder)
    assert estimate.status_code == 200
    assert "سلام Sara، سفارش 989120000110 ارسال شد." in estimate.get_data(as_text=True)
    header = post(graph_app, builder, {**base, "template": "spring_sale|fa", "param_1": "x", "action": "schedule"},
                  page=builder)
    assert header.status_code == 400 and "has header or button parameters" in header.get_data(as_text=True)
    scheduled = post(graph_app, builder, {**base, "action": "schedule", "param_1": "name|مشتری",
                                          "param_2": "wa_id"}, page=builder)
    assert scheduled.status_code == 302
    [row] = db.scalars(select(ScheduledMessage)).all()
    assert (row.template_name, row.template_language) == ("order_shipped", "fa")


def test_without_synced_templates_the_builder_still_takes_a_typed_template(logged_in, db):
    page = logged_in.get("/dashboard/campaigns/new").get_data(as_text=True)
    assert 'name="template_name"' in page and 'id="template-picker"' not in page
