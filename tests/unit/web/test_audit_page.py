"""The audit page: every recorded action with its operator, newest first, linked, in Jalali, paged."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from dashboard_testing import operator_id, post_form
from sqlalchemy import select

from database_models import AuditEvent, Contact
from web.dashboard.audit_page import PAGE_SIZE


def test_contact_edits_and_opt_outs_are_recorded_and_shown_with_the_operator(logged_in, app, db):
    contact = Contact(wa_id="989121234567", name="Sara", attributes={})
    db.add(contact)
    db.commit()
    page = f"/dashboard/contacts/{contact.id}"
    assert post_form(logged_in, page, {"name": "Sara Karimi", "tags": "vip"}, page=page).status_code == 302
    assert post_form(logged_in, f"{page}/opt-out", {"opted_out": "yes", "reason": "asked by phone"},
                     page=page).status_code == 302
    assert post_form(logged_in, f"{page}/opt-out", {"opted_out": "yes"}, page=page).status_code == 302  # no change
    admin = operator_id(app, "admin")
    events = db.scalars(select(AuditEvent).where(AuditEvent.subject_type == "contact").order_by(AuditEvent.id)).all()
    db.commit()
    assert [(event.action, event.operator_id) for event in events] == [("contact.edited", admin),
                                                                       ("contact.opted_out", admin)]
    assert events[1].detail == {"reason": "asked by phone"}
    html = logged_in.get("/dashboard/audit").get_data(as_text=True)
    assert html.index("Opted a contact out") < html.index("Edited a contact") < html.index("Logged in")
    assert f'href="/dashboard/contacts/{contact.id}"' in html and "<bdi>admin</bdi>" in html


def test_campaign_and_webhook_actions_are_recorded(logged_in, db):
    answer = post_form(logged_in, "/dashboard/webhooks", {"url": "https://shop.example/hook",
                                                          "events": "message.received"}, page="/dashboard/webhooks")
    assert answer.status_code == 201
    created = db.scalars(select(AuditEvent).where(AuditEvent.action == "webhook.created")).one()
    db.commit()
    assert post_form(logged_in, f"/dashboard/webhooks/{created.subject_id}/delete",
                     page="/dashboard/webhooks").status_code == 302
    assert post_form(logged_in, "/dashboard/campaigns/new", {
        "name": "Yalda", "content": "text", "body": "Hello", "audience": "all", "when": "now", "action": "schedule",
    }, page="/dashboard/campaigns/new").status_code in (302, 400)
    actions = list(db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    db.commit()
    assert actions[:3] == ["login.succeeded", "webhook.created", "webhook.deleted"]


def test_the_audit_page_is_paged_newest_first_in_jalali_and_persian(persian, db):
    db.add_all([AuditEvent(at=datetime(2026, 12, 6, 8, 0, tzinfo=UTC), action="contact.edited",
                           subject_type="contact", subject_id=str(number)) for number in range(PAGE_SIZE + 5)])
    db.commit()
    first = persian.get("/dashboard/audit").get_data(as_text=True)
    assert first.count('data-action="') == PAGE_SIZE and "وارد شد" not in first  # the login is the oldest row
    assert "مخاطب را ویرایش کرد" in first and "۱۵ آذر" in first and "خط فرمان یا سامانه" in first
    assert 'href="/dashboard/contacts/54"' in first and "مخاطب #۵۴" in first
    older = persian.get("/dashboard/audit?before=" + first.split("/dashboard/audit?before=")[1].split('"')[0])
    assert older.get_data(as_text=True).count('data-action="') == 6 and "وارد شد" in older.get_data(as_text=True)
    assert persian.get("/dashboard/audit?before=x").status_code == 200


def test_a_contacts_import_is_recorded_with_its_counts(logged_in, db):
    csv = b"phone,name\n989121110001,Ali\n989121110002,Neda\nnot a number,Bad\n"
    uploaded = post_form(logged_in, "/dashboard/contacts/import", {"file": (io.BytesIO(csv), "contacts.csv")},
                         page="/dashboard/contacts/import")
    location = uploaded.headers["Location"]
    assert post_form(logged_in, location, page=location).status_code == 302
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "contacts.imported")).one()
    db.commit()
    assert event.detail == {"created": 2, "updated": 0, "rejected": 1}
    assert "Imported contacts" in logged_in.get("/dashboard/audit").get_data(as_text=True)


def test_every_action_the_code_records_has_a_label_on_the_audit_page(app):
    """A new record_action("…") without a label would show its raw name to a Persian operator."""
    import re

    from conftest import ROOT

    from web.dashboard.audit_page import action_labels

    recorded = {name for path in ROOT.glob("**/*.py") if ".venv" not in path.parts and "tests" not in path.parts
                for name in re.findall(r'record_action\(\s*\w+,\s*"([a-z_.]+)"', path.read_text(encoding="utf-8"))}
    assert len(recorded) > 20
    with app.test_request_context():
        assert recorded - set(action_labels()) == set()
