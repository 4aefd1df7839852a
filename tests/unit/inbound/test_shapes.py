"""Webhook shapes beyond a customer's live text: every item stored, replays inert, the bot quiet where it must be.

The bodies are tests/data/webhooks/shapes/*.json (written from Meta's webhook reference), posted
signed through /webhook on SQLite and PostgreSQL. Covered: edits and revokes, coexistence echoes,
history sync, group messages, flow / call-permission / payment-method / unsupported events,
orders, marketing preferences and profile names.
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from conftest import ROOT, clean_tables
from dashboard_testing import log_in
from sqlalchemy import func, select, update

from analytics_service import AnalyticsService
from database_models import (
    DIRECTION_OUT,
    Contact,
    ConversationState,
    MarketingPreference,
    MessageRevision,
    OrderItem,
    ReceivedMessageLog,
    ScheduledMessage,
)
from inbound.signatures import sign_payload
from language.enrichment import enrich_pending
from language.intent_rules import RulesError
from language.rules_loader import parse_rules
from web.dashboard import inbox
from webhook_handler import create_app

SHAPES = ROOT / "tests" / "data" / "webhooks" / "shapes"
RELATIVE_TIME = re.compile(r"^NOW([+-]\d+)?(:int)?$")
MESSAGE_FIXTURES = sorted(path.name for path in SHAPES.glob("*.json") if not path.name.startswith("preference_"))


def load(name: str, now: int | None = None) -> dict[str, Any]:
    """A fixture envelope with its relative times ("NOW-300", "NOW-300:int") made absolute."""
    now = int(now or time.time())

    def resolve(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: resolve(child) for key, child in value.items()}
        if isinstance(value, list):
            return [resolve(child) for child in value]
        match = RELATIVE_TIME.match(value) if isinstance(value, str) else None
        if match:
            stamp = now + int(match.group(1) or 0)
            return stamp if match.group(2) else str(stamp)
        return value

    return resolve(json.loads((SHAPES / name).read_text(encoding="utf-8")))


def item_ids(envelope: dict[str, Any]) -> list[str]:
    """The wamid of every message item of an envelope: messages, echoes, history."""
    ids = []
    for entry in envelope["entry"]:
        for change in entry["changes"]:
            value = change["value"]
            ids += [item["id"] for item in value.get("messages", []) + value.get("message_echoes", [])]
            for chunk in value.get("history", []):
                for thread in chunk.get("threads", []):
                    ids += [item["id"] for item in thread["messages"]]
    return ids


def db(app):
    """A session on the app's database."""
    return app.extensions["whatsapp_platform"].session_factory()


def post_ok(post_webhook, *names: str, now: int | None = None) -> None:
    for name in names:
        response = post_webhook(load(name, now))
        assert response.status_code == 200, (name, response.get_data(as_text=True))


def message(session, wamid: str) -> ReceivedMessageLog:
    return session.scalars(select(ReceivedMessageLog).where(ReceivedMessageLog.wamid == wamid)).one()


def replies(session) -> list[ScheduledMessage]:
    return session.scalars(select(ScheduledMessage).order_by(ScheduledMessage.id)).all()


def snapshot(session) -> dict[str, list[tuple]]:
    """What a replay must not change: every stored row, less the columns a send or an upsert touches."""
    volatile = {"updated_at", "status", "attempts", "claimed_by", "lease_expires_at", "wamid_sent", "sent_at",
                "delivered_at", "read_at", "failed_at", "last_error_code", "last_error_title", "dry_run"}
    tables = {"contacts": Contact, "received_messages": ReceivedMessageLog, "message_revisions": MessageRevision,
              "order_items": OrderItem, "marketing_preferences": MarketingPreference,
              "scheduled_messages": ScheduledMessage, "conversation_states": ConversationState}
    result = {}
    for name, model in tables.items():
        table = model.__table__
        columns = [column for column in table.c if column.name not in volatile
                   and not (name == "scheduled_messages" and column.name == "wamid")]
        result[name] = [tuple(row) for row in session.execute(select(*columns).order_by(*table.primary_key))]
    return result


# --- Every item is a row; a replay changes nothing ------------------------------------------------

@pytest.mark.parametrize("name", MESSAGE_FIXTURES)
def test_every_message_item_of_every_shape_is_a_stored_row(app, post_webhook, name):
    envelope = load(name)
    assert post_webhook(envelope).status_code == 200
    with db(app) as session:
        stored = set(session.scalars(select(ReceivedMessageLog.wamid))) | set(
            session.scalars(select(MessageRevision.wamid)))
    assert set(item_ids(envelope)) <= stored
    assert item_ids(envelope) or name == "history_declined.json"


def test_replaying_every_shape_changes_nothing(app, post_webhook):
    now = int(time.time())
    names = [*MESSAGE_FIXTURES, "preference_stop.json", "preference_resume_earlier.json", "preference_signup.json"]
    post_ok(post_webhook, *names, now=now)
    with db(app) as session:
        before = snapshot(session)
    post_ok(post_webhook, *reversed(names), now=now)
    post_ok(post_webhook, *names, now=now)
    with db(app) as session:
        assert snapshot(session) == before
    assert sum(len(rows) for rows in before.values()) > 40


# --- Edits and revokes ------------------------------------------------------------------------------

def test_an_edit_replaces_the_text_and_keeps_every_earlier_version(app, post_webhook):
    post_ok(post_webhook, "original_text.json", "edit.json", "edit_second.json")
    with db(app) as session:
        original = message(session, "wamid.SHAPES.ORIGINAL.1")
        revisions = session.scalars(select(MessageRevision).order_by(MessageRevision.wa_timestamp)).all()
        rows = session.scalar(select(func.count()).select_from(ReceivedMessageLog))
    assert original.text == "سلام، چهار تا از کیف مشکی می‌خوام"
    assert original.edited_at is not None and original.deleted_at is None
    assert [(r.kind, r.previous_text, r.new_text) for r in revisions] == [
        ("edit", "سلام، دو تا از کیف مشکی می‌خوام", "سلام، سه تا از کیف مشکی می‌خوام"),
        ("edit", "سلام، سه تا از کیف مشکی می‌خوام", "سلام، چهار تا از کیف مشکی می‌خوام"),
    ]
    assert all(r.message_id == original.id for r in revisions)
    assert rows == 1  # an edit is not a new message in the thread


def test_edits_out_of_order_and_before_their_original_end_at_the_newest_text(app, post_webhook):
    post_ok(post_webhook, "edit_second.json", "edit.json")
    with db(app) as session:
        assert session.scalars(select(MessageRevision.message_id)).all() == [None, None]  # waiting
    post_ok(post_webhook, "original_text.json")
    with db(app) as session:
        original = message(session, "wamid.SHAPES.ORIGINAL.1")
        applied = session.scalars(select(MessageRevision.message_id)).all()
        queued = replies(session)
    assert original.text == "سلام، چهار تا از کیف مشکی می‌خوام"
    assert applied == [original.id, original.id]
    assert len(queued) <= 1  # the original is answered at most once; edits never are


def test_a_revoked_message_is_kept_and_marked_deleted_in_the_thread(app, post_webhook, client):
    post_ok(post_webhook, "original_text.json", "edit.json", "revoke.json")
    with db(app) as session:
        original = message(session, "wamid.SHAPES.ORIGINAL.1")
        items = inbox.thread(session, original.contact_id)
    assert original.deleted_at is not None and original.text == "سلام، سه تا از کیف مشکی می‌خوام"
    customer = [item for item in items if item.direction == "in"]
    assert [(item.deleted, item.edited) for item in customer] == [(True, True)]
    page = logged_in_page(client, f"/dashboard/inbox/{original.contact_id}")
    assert "<del>سلام، سه تا از کیف مشکی می‌خوام</del>" in page
    assert 'data-flag="deleted"' in page and 'data-flag="edited"' in page


def logged_in_page(client, path: str) -> str:
    assert log_in(client).status_code == 302
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


# --- Coexistence echoes and history -----------------------------------------------------------------

def test_echoes_are_outbound_messages_of_the_customers_thread_and_never_answered(app, post_webhook, client):
    post_ok(post_webhook, "echoes.json")
    with db(app) as session:
        contact = session.scalars(select(Contact).where(Contact.wa_id == "989121110002")).one()
        rows = session.scalars(select(ReceivedMessageLog).order_by(ReceivedMessageLog.wa_timestamp)).all()
        items = inbox.thread(session, contact.id)
        queued = replies(session)
    assert [(row.wamid, row.direction, row.imported) for row in rows] == [
        ("wamid.SHAPES.ECHO.1", DIRECTION_OUT, False), ("wamid.SHAPES.ECHO.2", DIRECTION_OUT, False)]
    assert rows[0].text == "سلام، سفارشتون فردا صبح ارسال می‌شه" and rows[0].edited_at is not None
    assert queued == []
    assert contact.last_inbound_at is None  # the business writing opens no customer-service window
    assert [(item.direction, item.kind) for item in items] == [("out", "app"), ("out", "app")]
    assert "WhatsApp Business app" in logged_in_page(client, f"/dashboard/inbox/{contact.id}")


def test_history_is_stored_as_imported_past_messages_with_no_reply_and_no_live_traffic(app, post_webhook):
    post_ok(post_webhook, "history.json", "history_declined.json")
    with db(app) as session:
        rows = session.scalars(select(ReceivedMessageLog).order_by(ReceivedMessageLog.wa_timestamp)).all()
        owners = {row.contact.wa_id for row in rows}
        contacts = session.scalars(select(Contact).order_by(Contact.wa_id)).all()
        queued = replies(session)
        analytics = AnalyticsService(session, "UTC").summary()
    assert [(row.wamid[-9:], row.direction, row.imported) for row in rows] == [
        ("HISTORY.1", "in", True), ("HISTORY.2", "out", True), ("HISTORY.3", "in", True), ("HISTORY.4", "in", True)]
    assert owners == {"989121110003", "989121110004"}
    assert queued == []
    assert [(c.wa_id, c.first_inbound_at, c.last_inbound_at) for c in contacts] == [
        ("989121110003", None, None), ("989121110004", None, None)]
    assert analytics["messages_by_type"] == [] and analytics["contacts"]["total_active"] == 0
    assert sum(day["inbound"] for day in analytics["messages_per_day"]) == 0


def test_live_messages_count_once_even_when_history_repeats_them(app, post_webhook):
    post_ok(post_webhook, "original_text.json", "history.json")
    live = load("original_text.json")["entry"][0]["changes"][0]["value"]["messages"][0]
    repeated = load("history.json")
    repeated["entry"][0]["changes"][0]["value"]["history"][0]["threads"][0]["messages"].append(live)
    assert post_webhook(repeated).status_code == 200
    with db(app) as session:
        original = message(session, "wamid.SHAPES.ORIGINAL.1")
        analytics = AnalyticsService(session, "UTC")
        by_type = analytics.messages_by_type()
        contacts = analytics.contacts()
    assert original.imported is False
    assert by_type == [{"message_type": "text", "count": 1}]
    assert contacts["total_active"] == 1


# --- Groups -------------------------------------------------------------------------------------------

def test_group_messages_are_stored_with_their_group_and_never_answered(app, post_webhook):
    post_ok(post_webhook, "group.json")
    with db(app) as session:
        rows = session.scalars(select(ReceivedMessageLog).order_by(ReceivedMessageLog.wamid)).all()
        senders = [row.contact.wa_id for row in rows]
        queued = replies(session)
        participants = session.scalars(select(Contact.wa_id).order_by(Contact.wa_id)).all()
    assert {row.group_id for row in rows} == {"Y2FwaV9ncm91cDpzaGFwZXMtZml4dHVyZS1ncm91cA"}
    assert senders == ["989121110005", "989121110006"]
    assert participants == ["989121110005", "989121110006"]
    assert queued == []


# --- Non-text events and orders -----------------------------------------------------------------------

def test_a_flow_submission_keeps_its_answers_and_gets_the_rules_files_reply(app, post_webhook):
    post_ok(post_webhook, "flow_reply.json")
    with db(app) as session:
        row = message(session, "wamid.SHAPES.FLOW.1")
        queued = replies(session)
    assert row.event_data["kind"] == "flow_reply"
    assert row.event_data["response"] == {"flow_token": "survey-42", "size": "38", "colour": "مشکی",
                                          "delivery_city": "شیراز"}
    # The Latin profile name does not open the Persian reply (issue 14): the placeholder's fallback does.
    assert [q.body for q in queued] == ["مشتری عزیز، اطلاعات فرم شما ثبت شد ✅ ممنون از وقتی که گذاشتید."]


@pytest.mark.parametrize("name, data", [
    ("call_permission_reply.json", {"kind": "call_permission_reply", "decision": "accept", "permanent": False,
                                    "source": "user_action"}),
    ("payment_method.json", {"kind": "payment_method", "status": "submitted", "payment_method": "offsite_card_pay",
                             "reference_id": "shapes-order-77", "credential_id": "4432178",
                             "last_four_digits": "5235"}),
])
def test_events_the_rules_file_does_not_answer_are_stored_with_no_fallback(app, post_webhook, name, data):
    envelope = load(name)
    assert post_webhook(envelope).status_code == 200
    with db(app) as session:
        row = message(session, item_ids(envelope)[0])
        queued = replies(session)
    assert {key: row.event_data.get(key) for key in data} == data
    assert queued == []  # before: "I did not understand"


def test_unsupported_and_errored_interactive_messages_are_stored_with_their_errors(app, post_webhook):
    post_ok(post_webhook, "unsupported.json")
    with db(app) as session:
        rows = session.scalars(select(ReceivedMessageLog).order_by(ReceivedMessageLog.wamid)).all()
        queued = replies(session)
    assert [(row.message_type, row.event_data["kind"], row.event_data["errors"][0]["code"]) for row in rows] == [
        ("unsupported", "unsupported", 131051), ("interactive", "unsupported", 131051)]
    assert queued == []


def test_events_are_answered_where_the_rules_file_says_so(test_config, engine, tmp_path):
    rules = (ROOT / "rules" / "chatbot_rules.yaml").read_text(encoding="utf-8")
    rules = rules.replace("  # call_permission_accept:\n  #   fa:\n  #     - ",
                          "  call_permission_accept:\n    fa:\n      - ")
    rules = rules.replace("  #   en:\n  #     - ", "    en:\n      - ")
    path = tmp_path / "rules.yaml"
    path.write_text(rules, encoding="utf-8")
    app = create_app(test_config.replace(chatbot_rules_path=str(path)))
    try:
        for name in ("call_permission_reply.json", "payment_method.json"):
            body = json.dumps(load(name)).encode()
            response = app.test_client().post("/webhook", data=body, headers={
                "Content-Type": "application/json",
                "X-Hub-Signature-256": sign_payload(body, test_config.whatsapp_app_secret)})
            assert response.status_code == 200
        with db(app) as session:
            queued = [(q.contact.wa_id, q.body) for q in replies(session)]
    finally:
        app.extensions["whatsapp_platform"].close()
        clean_tables(engine)
    assert queued == [("989121110008", "ممنون 🙏 همکاران ما در ساعت کاری با شما تماس می‌گیرند.")]


def test_an_order_is_acknowledged_with_its_item_count_and_total_and_its_lines_are_stored(app, post_webhook):
    post_ok(post_webhook, "order.json")
    post_ok(post_webhook, "order.json")
    with db(app) as session:
        row = message(session, "wamid.SHAPES.ORDER.1")
        lines = session.scalars(select(OrderItem).order_by(OrderItem.id)).all()
        queued = replies(session)
    assert [(line.product_retailer_id, line.quantity, line.item_price, line.currency) for line in lines] == [
        ("bag-black-m", 2, Decimal("1250000"), "IRR"), ("scarf-silk-blue", 1, Decimal("480000"), "IRR")]
    assert all(line.message_id == row.id for line in lines)
    assert row.event_data == {"kind": "order", "catalog_id": "771122334455", "item_count": 3,
                              "total": "2980000.0000", "currency": "IRR"}
    # A Persian reply never opens with a Latin name (issue 14): the placeholder's fallback does.
    assert [q.body for q in queued] == [
        "مشتری عزیز، سفارش شما با ۳ قلم کالا به مبلغ ۲٬۹۸۰٬۰۰۰ ریال دریافت شد ✅ "
        "همکاران ما به‌زودی برای تأیید و ارسال با شما هماهنگ می‌کنند."]


def test_an_order_gets_the_built_in_persian_acknowledgement_when_the_rules_file_has_none(session):
    from chatbot_service import ChatbotService
    from config import Config

    rules = parse_rules("fallback: [نفهمیدم]\nintents:\n  greeting:\n    examples: [سلام]\n    responses: [سلام]\n")
    service = ChatbotService(session, rules, Config())
    contact = Contact(wa_id="989121110011", name=None)
    session.add(contact)
    session.flush()
    data = {"kind": "order", "item_count": 2, "total": "150000.5000", "currency": "IRR"}
    order = ReceivedMessageLog(id=1, wamid="w", message_type="order", event_data=data, group_id=None,
                               direction="in", imported=False, received_at=datetime.now(UTC), wa_timestamp=None)
    decision = service.decide(contact, order)
    assert decision.reply == ("مشتری عزیز، سفارش شما با ۲ قلم کالا به مبلغ ۱۵۰٬۰۰۰٫۵۰ ریال دریافت شد ✅ "
                              "همکاران ما به‌زودی برای هماهنگی با شما تماس می‌گیرند.")


def test_the_rules_files_events_section_is_validated_with_line_numbers():
    base = "fallback: [x]\nintents:\n  greeting:\n    examples: [سلام]\n    responses: [سلام]\n"
    with pytest.raises(RulesError, match=r"<rules>:7: unknown key 'refund'"):
        parse_rules(base + "events:\n  refund: [x]\n")
    with pytest.raises(RulesError, match=r"<rules>:8: events.flow_reply: unknown placeholder \{total\}"):
        parse_rules(base + "events:\n  flow_reply:\n    - 'جمع {total}'\n")
    rules = parse_rules(base + "events:\n  order:\n    - '{item_count} قلم، {total} {currency}'\n")
    assert rules.event_responses == {"order": ("{item_count} قلم، {total} {currency}",)}


# --- Marketing preferences and profile names ----------------------------------------------------------

def opted_out(app, wa_id: str) -> bool:
    with db(app) as session:
        return session.scalars(select(Contact.opted_out).where(Contact.wa_id == wa_id)).one()


def test_a_late_resume_does_not_resubscribe_someone_who_stopped_later(app, post_webhook):
    now = int(time.time())
    post_ok(post_webhook, "preference_stop.json", "preference_resume_earlier.json", now=now)
    assert opted_out(app, "989121110012") is True
    with db(app) as session:
        recorded = session.execute(select(MarketingPreference.value, MarketingPreference.applied)
                                   .order_by(MarketingPreference.wa_timestamp)).all()
    assert recorded == [("resume", False), ("stop", True)]
    post_ok(post_webhook, "preference_resume_later.json", now=now)
    assert opted_out(app, "989121110012") is False


def test_a_resume_older_than_a_stop_sent_in_the_chat_is_not_applied(app, post_webhook):
    from inbound.sample_payloads import text_message_envelope

    assert post_webhook(text_message_envelope("989121110012", "STOP")).status_code == 200
    assert opted_out(app, "989121110012") is True
    post_ok(post_webhook, "preference_resume_earlier.json")  # given an hour before the chat's STOP
    assert opted_out(app, "989121110012") is True


def test_a_signup_opts_the_contact_in_and_keeps_its_signup_id(app, post_webhook):
    post_ok(post_webhook, "preference_signup.json")
    with db(app) as session:
        contact = session.scalars(select(Contact).where(Contact.wa_id == "989121110013")).one()
        signup = session.scalars(select(MarketingPreference)).one()
    assert contact.opted_out is False
    assert (signup.value, signup.signup_id, signup.applied) == ("signup", "1122334455667788", True)


def test_an_older_delivery_never_overwrites_a_newer_profile_name(app, post_webhook):
    post_ok(post_webhook, "profile_name_newer.json", "profile_name_older.json")
    with db(app) as session:
        contact = session.scalars(select(Contact).where(Contact.wa_id == "989121110014")).one()
        newest = session.scalar(select(func.max(ReceivedMessageLog.wa_timestamp)))
    assert contact.profile_name == "Mahsa Karimi"
    assert contact.profile_name_updated_at == newest == contact.last_inbound_at


def test_a_newer_delivery_updates_the_profile_name(app, post_webhook):
    post_ok(post_webhook, "profile_name_older.json", "profile_name_newer.json")
    with db(app) as session:
        name = session.scalars(select(Contact.profile_name).where(Contact.wa_id == "989121110014")).one()
    assert name == "Mahsa Karimi"



def test_events_are_not_counted_as_questions_the_bot_did_not_understand(app, post_webhook):
    post_ok(post_webhook, "flow_reply.json", "payment_method.json", "unsupported.json", "order.json")
    assert enrich_pending(app.extensions["whatsapp_platform"].session_factory) == 5
    with db(app) as session:
        assert session.scalar(select(func.count()).where(ReceivedMessageLog.event_data.is_(None))) == 0
        # Whatever the classifier made of the events' text, the report must not count them as not understood.
        session.execute(update(ReceivedMessageLog).values(intent="none"))
        intents = AnalyticsService(session, "UTC").intents()
    assert intents["fallback_rate"] == 0.0 and intents["fallback_examples"] == []
