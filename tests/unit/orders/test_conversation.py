"""The order conversation through the real webhook path: signed webhooks in, the chatbot, replies queued.

Orders are stored as the import and the API store them (`upsert_order`); every customer
message is a signed webhook to /webhook on SQLite and PostgreSQL, and the reply is read from
the outbound queue, as the customer would get it.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from conftest import APP_SECRET, GRAPH_TOKEN, PHONE_NUMBER_ID, clean_tables
from sqlalchemy import select

from database_models import Contact, ConversationState, OrderInquiry, ReceivedMessageLog, ScheduledMessage, utcnow
from inbound.sample_payloads import envelope, inbound_message, messages_change, text_message_envelope
from inbound.signatures import sign_payload
from orders.conversation import order_references
from orders.records import upsert_order
from orders.rules import OrderRulesError, load_order_rules
from webhook_handler import create_app
from whatsapp_service import WhatsAppService

RULES = load_order_rules("rules/orders.yaml")
ALI, SARA = "989121110001", "989121110002"
NOT_FOUND_FA = RULES.reply("not_found", "fa")


@pytest.fixture
def shop(test_config, fake_graph, engine):
    """The app sending its replies to the fake Graph API."""
    sender = WhatsAppService(GRAPH_TOKEN, PHONE_NUMBER_ID, base_url=fake_graph.url, read_timeout=2.0)
    app = create_app(test_config, sender=sender)
    yield app
    app.extensions["whatsapp_platform"].close()
    clean_tables(engine)


def add_order(app, **values) -> None:
    platform = app.extensions["whatsapp_platform"]
    with platform.session_factory() as session:
        upsert_order(session, values, RULES, platform.config.zone)
        session.commit()


def say(app, text: str, *, sender: str | None = ALI, user_id: str | None = None) -> str:
    """Post `text` as a signed webhook from `sender`; the body of the reply the bot queued."""
    body = json.dumps(text_message_envelope(sender, text, name="Ali", user_id=user_id), ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign_payload(body, APP_SECRET)}
    assert app.test_client().post("/webhook", data=body, headers=headers).status_code == 200
    with app.extensions["whatsapp_platform"].session_factory() as session:
        message = session.scalars(select(ReceivedMessageLog).order_by(ReceivedMessageLog.id.desc())).first()
        return session.scalars(select(ScheduledMessage).where(ScheduledMessage.in_reply_to_id == message.id)).one().body


def state_of(app, wa_id: str) -> str:
    with app.extensions["whatsapp_platform"].session_factory() as session:
        contact = session.scalars(select(Contact).where(Contact.wa_id == wa_id)).one()
        return session.get(ConversationState, contact.id).state


def test_ask_then_a_number_in_persian_digits_gets_status_tracking_code_and_link(shop):
    add_order(shop, number="12345", wa_id="09121110001", status="shipped", tracking_code="RR123456789IR",
              carrier="iran_post", expected_at="1405/09/20")
    asked = say(shop, "سفارشم کجاست؟")
    assert "شماره" in asked and "RR123456789IR" not in asked  # the bot asks for the number
    answer = say(shop, "شماره سفارشم ۱۲۳۴۵ هست")
    assert "ارسال شده" in answer
    assert "RR123456789IR" in answer and "https://tracking.post.ir/?id=RR123456789IR" in answer
    assert "۲۰ آذر ۱۴۰۵" in answer  # the expected date in Jalali, Persian digits
    assert state_of(shop, ALI) == "bot"


def test_a_bare_number_is_an_answer_only_while_the_question_is_open(shop):
    add_order(shop, number="12345", wa_id=ALI, status="packed")
    assert "بسته‌بندی" not in say(shop, "١٢٣٤٥")  # nobody asked: not taken as an order number
    say(shop, "سفارشم کجاست؟")
    assert "بسته‌بندی شده" in say(shop, "١٢٣٤٥")  # Arabic-Indic digits, alone, after the question
    with shop.extensions["whatsapp_platform"].session_factory() as session:
        assert session.scalars(select(OrderInquiry)).all() == []  # the question is closed by the answer


def test_an_expired_question_no_longer_takes_a_bare_number(shop):
    add_order(shop, number="12345", wa_id=ALI, status="packed")
    say(shop, "سفارشم کجاست؟")
    with shop.extensions["whatsapp_platform"].session_factory() as session:
        inquiry = session.scalars(select(OrderInquiry)).one()
        inquiry.awaiting_until = utcnow() - timedelta(minutes=1)
        session.commit()
    assert "بسته‌بندی" not in say(shop, "12345")


def test_number_and_question_in_one_message_are_answered_at_once(shop):
    add_order(shop, number="12345", wa_id=ALI, status="shipped", tracking_code="TPX-998877", carrier="tipax")
    answer = say(shop, "سفارش ۱۲۳۴۵ کی میرسه؟")
    assert "ارسال شده" in answer and "TPX-998877" in answer and "tipaxco.com" in answer
    english = say(shop, "where is my order 12345?")
    assert "shipped" in english and "Tipax" in english and "TPX-998877" in english


def test_someone_elses_order_tells_nothing_and_offers_a_person(shop):
    add_order(shop, number="12345", wa_id=SARA, status="shipped", tracking_code="RR123456789IR", carrier="iran_post")
    answer = say(shop, "سفارش ۱۲۳۴۵ کی میرسه؟", sender=ALI)
    assert answer == NOT_FOUND_FA  # word for word what an unknown number gets
    assert "RR123456789IR" not in answer and "ارسال" not in answer
    assert state_of(shop, ALI) == "handoff"
    # the tracking code does not open it either
    assert say(shop, "کد رهگیری RR123456789IR کجاست", sender="989121110003") == NOT_FOUND_FA


def test_unknown_number_gets_an_apology_and_a_person(shop):
    answer = say(shop, "سفارش 99999 من کجاست؟")
    assert answer == NOT_FOUND_FA
    assert state_of(shop, ALI) == "handoff"


def test_a_returned_order_goes_to_a_person(shop):
    add_order(shop, number="12345", wa_id=ALI, status="returned")
    answer = say(shop, "سفارش ۱۲۳۴۵ چی شد؟")
    assert "مرجوع" in answer and answer.startswith("متأسفیم")
    assert state_of(shop, ALI) == "handoff"


def test_several_recent_orders_are_listed_and_one_is_chosen(shop):
    add_order(shop, number="1001", wa_id=ALI, status="shipped", tracking_code="RR1", carrier="iran_post")
    add_order(shop, number="1002", wa_id=ALI, status="packed")
    add_order(shop, number="2001", wa_id=SARA, status="paid")
    listing = say(shop, "سفارشم کجاست؟")
    assert "۱۰۰۱" in listing and "۱۰۰۲" in listing and "۲۰۰۱" not in listing
    assert "بسته‌بندی شده" in listing
    assert "بسته‌بندی شده" in say(shop, "1002")


def test_the_order_of_a_bsuid_contact_is_told_to_that_contact(shop):
    add_order(shop, number="5555", wa_id="US.13491208655302741918", status="delivered")
    answer = say(shop, "my order 5555 status", sender=None, user_id="US.13491208655302741918")
    assert "delivered" in answer


@pytest.mark.parametrize(("text", "expected"), [
    ("سفارش ۱۲۳۴۵ کی میرسه؟", ["12345"]),
    ("order #A-1001 please", ["A-1001"]),
    ("کد rr123456789ir", ["rr123456789ir", "RR123456789IR"]),
    ("۲ تا خریدم", []),
])
def test_order_references(text, expected):
    assert order_references(text) == expected


def test_an_unusable_orders_file_stops_the_app_from_starting_naming_the_key(test_config, tmp_path):
    (tmp_path / "chatbot_rules.yaml").write_bytes(open("rules/chatbot_rules.yaml", "rb").read())
    (tmp_path / "orders.yaml").write_text("statuses: [Shipped!]\n", encoding="utf-8")
    with pytest.raises(OrderRulesError, match=r"orders.yaml: statuses: a list of lower-case names"):
        create_app(test_config.replace(chatbot_rules_path=str(tmp_path / "chatbot_rules.yaml")))


def test_without_an_orders_file_beside_its_rules_the_bot_answers_with_the_shipped_one(test_config, engine, tmp_path):
    (tmp_path / "chatbot_rules.yaml").write_bytes(open("rules/chatbot_rules.yaml", "rb").read())
    app = create_app(test_config.replace(chatbot_rules_path=str(tmp_path / "chatbot_rules.yaml")))
    try:
        add_order(app, number="12345", wa_id=ALI, status="shipped", tracking_code="RR123456789IR")
        assert "RR123456789IR" in say(app, "سفارش ۱۲۳۴۵ کی میرسه؟")
    finally:
        app.extensions["whatsapp_platform"].close()
        clean_tables(engine)


def test_question_and_number_in_one_envelope_are_answered_in_order(shop):
    add_order(shop, number="12345", wa_id=ALI, status="shipped", tracking_code="RR123456789IR", carrier="iran_post")
    question = inbound_message(ALI, "text", {"body": "سفارشم کجاست؟"}, timestamp=int(utcnow().timestamp()) - 5)
    number = inbound_message(ALI, "text", {"body": "۱۲۳۴۵"}, timestamp=int(utcnow().timestamp()))
    body = json.dumps(envelope(messages_change([question, number], [{"wa_id": ALI, "profile": {"name": "Ali"}}])),
                      ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign_payload(body, APP_SECRET)}
    assert shop.test_client().post("/webhook", data=body, headers=headers).status_code == 200
    with shop.extensions["whatsapp_platform"].session_factory() as session:
        replies = list(session.scalars(select(ScheduledMessage.body).where(ScheduledMessage.in_reply_to_id.is_not(None))
                                       .order_by(ScheduledMessage.in_reply_to_id)))
    assert len(replies) == 2 and "شماره" in replies[0] and "RR123456789IR" in replies[1]


def test_a_listed_order_can_be_picked_by_its_line(shop):
    add_order(shop, number="1001", wa_id=ALI, status="shipped", tracking_code="RR1001IR", carrier="iran_post")
    add_order(shop, number="1002", wa_id=ALI, status="packed")
    listing = say(shop, "سفارشم کجاست؟")
    assert "۱) سفارش ۱۰۰۲" in listing and "۲) سفارش ۱۰۰۱" in listing  # newest first
    assert "RR1001IR" in say(shop, "۲")
    assert "RR1001IR" not in say(shop, "2")  # the list was answered: "2" means nothing now
