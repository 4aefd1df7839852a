"""The chatbot's decisions: replies, silence, opt-out/in, handoff, business hours, queueing."""

from __future__ import annotations

import random
import re
import unicodedata
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from chatbot_service import Chatbot, ChatbotService, release_handoff
from config import Config, parse_business_hours
from database_models import ConversationState, ReceivedMessageLog, ScheduledMessage
from language.intent_rules import render_response
from language.reply_text import describe_hours_persian
from language.rules_loader import load_rules, parse_rules

# Wednesday 2026-11-25 10:00 in Tehran (UTC+3:30) is 06:30 UTC: inside the default hours.
OPEN_TIME = datetime(2026, 11, 25, 6, 30, tzinfo=UTC)
# Friday 2026-11-27 10:00 Tehran: closed all day by default.
CLOSED_TIME = datetime(2026, 11, 27, 6, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def rules():
    return load_rules(Config().chatbot_rules_path)


@pytest.fixture
def config(database_url):
    return Config(
        database_url=database_url, business_hours=parse_business_hours("sat-wed 09:00-18:00; thu 09:00-13:00")
    )


@pytest.fixture
def bot(session, rules, config):
    def make(now: datetime = OPEN_TIME) -> ChatbotService:
        return ChatbotService(session, rules, config, random.Random(7), clock=lambda: now)

    return make


@pytest.fixture
def inbound(session):
    counter = iter(range(10**6))

    def make(contact, text: str | None, kind: str = "text", at: datetime = OPEN_TIME) -> ReceivedMessageLog:
        message = ReceivedMessageLog(
            wamid=f"wamid.test{next(counter)}",
            contact_id=contact.id,
            message_type=kind,
            text=text,
            payload={},
            wa_timestamp=at - timedelta(seconds=2),
            received_at=at,
        )
        session.add(message)
        session.flush()
        return message

    return make


def queued(session) -> list[ScheduledMessage]:
    return list(session.scalars(select(ScheduledMessage).order_by(ScheduledMessage.id)))


def test_greeting_gets_a_personalised_reply_in_the_queue(session, bot, inbound, make_contact):
    contact = make_contact(name="Sara Ahmadi")
    message = inbound(contact, "سلااام")
    row_id = bot().process_message(contact, message)
    [row] = queued(session)
    assert row.id == row_id
    assert (row.kind, row.status, row.in_reply_to_id, row.contact_id) == ("reply", "pending", message.id, contact.id)
    assert row.body and "{" not in row.body
    assert message.intent == "greeting"


def test_name_placeholder_falls_back_without_a_name(session, bot, inbound, make_contact, rules):
    contact = make_contact(name=None)
    bot().process_message(contact, inbound(contact, "hello"))
    [row] = queued(session)
    assert "None" not in row.body and "{" not in row.body


def test_unknown_text_gets_the_fallback(session, bot, inbound, make_contact, rules):
    contact = make_contact(name="سارا")
    message = inbound(contact, "رنگ مورد علاقه زرافه‌ها چیست")
    bot().process_message(contact, message)
    assert message.intent == "none"
    values = {"name": "سارا", "first_name": "سارا", "wa_id": contact.wa_id, "business_hours": ""}
    assert queued(session)[0].body in {render_response(v, values) for v in rules.fallback}


@pytest.mark.parametrize("kind", ["reaction", "system", "unsupported", "location", "order", "contacts", "brand_new"])
def test_never_answers_non_conversational_types(session, bot, inbound, make_contact, kind):
    contact = make_contact()
    assert bot().process_message(contact, inbound(contact, "👍", kind=kind)) is None
    assert queued(session) == []


def test_media_gets_the_media_answer(session, bot, inbound, make_contact, rules):
    contact = make_contact(name="سارا")
    bot().process_message(contact, inbound(contact, None, kind="image"))
    [row] = queued(session)
    values = {"name": "سارا", "first_name": "سارا", "wa_id": contact.wa_id, "business_hours": ""}
    assert row.body in {render_response(v, values) for v in rules.responses_for("media")}


def test_old_messages_get_no_reply(session, bot, inbound, make_contact):
    contact = make_contact()
    message = inbound(contact, "سلام", at=OPEN_TIME - timedelta(hours=3))
    assert bot().process_message(contact, message) is None
    assert queued(session) == []


def test_opt_out_marks_contact_and_confirms_once(session, bot, inbound, make_contact):
    contact = make_contact()
    bot().process_message(contact, inbound(contact, "STOP"))
    assert contact.opted_out is True and contact.opted_out_at is not None
    bot().process_message(contact, inbound(contact, "لغو"))
    assert len(queued(session)) == 1


def test_opt_in_reverses_opt_out(session, bot, inbound, make_contact):
    contact = make_contact(opted_out=True)
    bot().process_message(contact, inbound(contact, "START"))
    assert contact.opted_out is False
    assert len(queued(session)) == 1


def test_human_agent_hands_off_and_bot_stays_silent(session, bot, inbound, make_contact, config):
    contact = make_contact()
    bot().process_message(contact, inbound(contact, "I want to talk to a real person please"))
    state = session.get(ConversationState, contact.id)
    assert state.state == "handoff"
    assert state.expires_at == OPEN_TIME + timedelta(hours=config.handoff_ttl_hours)
    assert bot().process_message(contact, inbound(contact, "سلام")) is None
    assert len(queued(session)) == 1


def test_handoff_expires_and_bot_answers_again(session, bot, inbound, make_contact, config):
    contact = make_contact()
    bot().process_message(contact, inbound(contact, "اپراتور"))
    later = OPEN_TIME + timedelta(hours=config.handoff_ttl_hours, minutes=1)
    assert bot(later).process_message(contact, inbound(contact, "سلام", at=later)) is not None
    assert session.get(ConversationState, contact.id).state == "bot"


def test_opt_out_still_works_during_handoff(session, bot, inbound, make_contact):
    contact = make_contact()
    bot().process_message(contact, inbound(contact, "اپراتور"))
    bot().process_message(contact, inbound(contact, "STOP"))
    assert contact.opted_out is True
    assert len(queued(session)) == 2


def test_release_hands_back_to_the_bot(session, bot, inbound, make_contact):
    contact = make_contact()
    bot().process_message(contact, inbound(contact, "اپراتور"))
    assert release_handoff(session, contact.id) is True
    assert release_handoff(session, contact.id) is False
    assert bot().process_message(contact, inbound(contact, "سلام")) is not None


def test_outside_business_hours_answers_with_away_message(session, bot, inbound, make_contact, rules):
    open_contact, closed_contact = make_contact(), make_contact()
    bot(OPEN_TIME).process_message(open_contact, inbound(open_contact, "اپراتور", at=OPEN_TIME))
    bot(CLOSED_TIME).process_message(closed_contact, inbound(closed_contact, "اپراتور", at=CLOSED_TIME))
    open_reply, closed_reply = (row.body for row in queued(session))
    assert open_reply != closed_reply
    away_variants = {v.split("{")[0][:10] for v in rules.responses_for("away")}
    assert any(closed_reply.startswith(prefix) for prefix in away_variants)
    assert session.get(ConversationState, closed_contact.id).state == "handoff"


def test_business_hours_are_read_in_the_configured_timezone(session, rules, config):
    service = ChatbotService(session, rules, config)
    # 05:00 UTC is 08:30 in Tehran (closed) but 09:00 in Dubai (UTC+4, open).
    wednesday_0500 = datetime(2026, 11, 25, 5, 0, tzinfo=UTC)
    assert service.is_open(wednesday_0500) is False
    assert ChatbotService(session, rules, config.replace(timezone="Asia/Dubai")).is_open(wednesday_0500) is True


def test_business_hours_described_in_persian(config):
    text = describe_hours_persian(config)
    # Persian digits (issue 14): a Persian reply carries no Latin digits.
    assert text.startswith("شنبه") and "۰۹:۰۰ تا ۱۸:۰۰" in text and "09" not in text


def test_reply_variants_are_seedable(session, rules, config, inbound, make_contact):
    contact = make_contact()
    first = ChatbotService(session, rules, config, random.Random(1), clock=lambda: OPEN_TIME)
    second = ChatbotService(session, rules, config, random.Random(1), clock=lambda: OPEN_TIME)
    assert (
        first.decide(contact, inbound(contact, "hello")).reply == second.decide(contact, inbound(contact, "hi")).reply
    )


def test_chatbot_handles_a_batch_and_returns_queued_ids(session, rules, config, inbound, make_contact):
    contact = make_contact()
    messages = [inbound(contact, "سلام"), inbound(contact, "👍", kind="reaction"), inbound(contact, "قیمت چنده")]
    with freeze_time(OPEN_TIME):
        ids = Chatbot(config, rules).handle_new_messages(session, [m.id for m in messages])
    assert len(ids) == 2
    assert {row.in_reply_to_id for row in queued(session)} == {messages[0].id, messages[2].id}


@pytest.mark.parametrize("shape, reason", [
    ({"group_id": "Y2FwaV9ncm91cDpzaGFwZXM"}, "group message: never answered automatically"),
    ({"direction": "out"}, "not a live customer message (echo or history)"),
    ({"imported": True}, "not a live customer message (echo or history)"),
])
def test_group_echo_and_history_messages_are_never_answered(session, bot, inbound, make_contact, shape, reason):
    contact = make_contact()
    message = inbound(contact, "سلام، قیمت این کیف چنده؟")
    for column, value in shape.items():
        setattr(message, column, value)
    decision = bot().decide(contact, message)
    assert (decision.reply, decision.reason) == (None, reason)


@pytest.mark.parametrize("event, answered", [
    ({"kind": "flow_reply", "name": "flow", "response": {"size": "38"}}, True),  # the rules file's events.flow_reply
    ({"kind": "call_permission_reply", "decision": "reject"}, False),
    ({"kind": "payment_method", "status": "submitted"}, False),
    ({"kind": "unsupported", "errors": [{"code": 131051, "title": "Message type unknown"}]}, False),
])
def test_events_get_their_rules_file_reply_or_none_never_the_fallback(session, bot, inbound, make_contact, rules,
                                                                       event, answered):
    contact = make_contact(name="Sara")
    message = inbound(contact, "Sent", kind="interactive")
    message.event_data = event
    decision = bot().decide(contact, message)
    assert decision.reply not in {render_response(text, {"name": "Sara"}) for text in rules.fallback}
    assert (decision.reply is not None) == answered
    assert decision.intent is None  # an event is not a question: no intent, no fallback in the analytics


# Tone (issue 14): a negative message gets an apologetic reply; a strongly negative one, or the
# second negative message in a row, is also offered a person.
PERSIAN_OFFER, ENGLISH_OFFER = "«اپراتور»", '"agent"'


def rendered(rules, key: str, language: str, name: str = "سارا") -> set[str]:
    values = {"name": name, "first_name": name, "business_hours": ""}
    return {render_response(template, values) for template in rules.tone_responses(key, language)}


def test_a_negative_message_gets_an_apologetic_reply_without_an_offer(session, bot, inbound, make_contact, rules):
    contact = make_contact(name="سارا")
    polite, upset = inbound(contact, "سفارشم کی میرسه؟"), inbound(contact, "سفارشم نرسیده")
    calm_reply, upset_reply = bot().decide(contact, polite).reply, bot().decide(contact, upset).reply
    assert upset.intent is None and calm_reply not in rendered(rules, "apologetic:order_status", "fa")
    assert upset_reply in rendered(rules, "apologetic:order_status", "fa")
    assert PERSIAN_OFFER not in upset_reply


def test_a_strongly_negative_message_is_offered_a_person(session, bot, inbound, make_contact, rules):
    contact = make_contact(name="سارا")
    reply = bot().decide(contact, inbound(contact, "خیلی بدید، سفارشم هنوز نرسیده 😡")).reply
    apology, offer = reply.split("\n")
    assert apology in rendered(rules, "apologetic:order_status", "fa")
    assert offer in rendered(rules, "handoff_offer", "fa") and PERSIAN_OFFER in offer
    assert session.get(ConversationState, contact.id).state == "bot"  # an offer, not a handoff


def test_the_second_negative_message_in_a_row_is_offered_a_person(session, bot, inbound, make_contact):
    contact = make_contact(name="Sara")
    first = bot().decide(contact, inbound(contact, "my order is late, not happy")).reply
    calm = bot().decide(contact, inbound(contact, "where is my order?")).reply
    again = bot().decide(contact, inbound(contact, "my order is late, not happy")).reply
    assert ENGLISH_OFFER not in first and ENGLISH_OFFER not in calm and ENGLISH_OFFER not in again
    second = bot().decide(contact, inbound(contact, "why is it so late? still nothing")).reply
    assert ENGLISH_OFFER in second and second.startswith(("We're", "Sorry"))
    assert session.get(ConversationState, contact.id).negative_in_a_row == 2


def test_an_upset_request_for_a_person_is_handed_over_with_an_apology_and_no_offer(session, bot, inbound,
                                                                                   make_contact, rules):
    contact = make_contact(name="Sara")
    reply = bot().decide(contact, inbound(contact, "this robot is useless, I want a real person")).reply
    assert reply in rendered(rules, "apologetic:human_agent", "en", "Sara") and ENGLISH_OFFER not in reply
    assert session.get(ConversationState, contact.id).state == "handoff"


def test_without_apologetic_variants_the_apology_goes_in_front_of_the_reply(session, bot, inbound, make_contact,
                                                                          rules):
    contact = make_contact(name=None)
    reply = bot().decide(contact, inbound(contact, "افتضاح بود")).reply  # no intent: the fallback
    assert any(reply.startswith(apology) for apology in rendered(rules, "apology", "fa", ""))


# Names (issue 14): a Persian bubble takes its direction from its first letter.
def first_strong_direction(text: str) -> str:
    return next(kind for kind in map(unicodedata.bidirectional, text) if kind in ("L", "R", "AL"))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("text", ["سلام", "رنگ مورد علاقه زرافه‌ها چیست", "سفارشم نرسیده", "قیمت چنده؟"])
def test_a_latin_name_never_opens_a_persian_reply_and_is_isolated_elsewhere(session, rules, config, inbound,
                                                                           make_contact, seed, text):
    contact = make_contact(name="Sara Ahmadi")
    reply = ChatbotService(session, rules, config, random.Random(seed), clock=lambda: OPEN_TIME).decide(
        contact, inbound(contact, text)).reply
    assert first_strong_direction(reply) in ("R", "AL"), reply
    assert not re.search("[A-Za-z]", re.sub("\u2068[^\u2069]*\u2069", "", reply)), reply
    assert "Sara" not in reply or "\u2068Sara" in reply


@pytest.mark.parametrize("seed", range(4))
def test_a_persian_name_is_left_out_of_an_english_reply(session, rules, config, inbound, make_contact, seed):
    contact = make_contact(name="سارا احمدی")
    service = ChatbotService(session, rules, config, random.Random(seed), clock=lambda: OPEN_TIME)
    for text in ("hi", "my order is late, not happy", "asdf qwerty zxcv"):
        reply = service.decide(contact, inbound(contact, text)).reply
        assert not re.search("[\u0600-\u06ff]", reply), reply


def test_the_operators_name_is_used(session, bot, inbound, make_contact):
    contact = make_contact(name="مریم")
    replies = {ChatbotService(session, bot().rules, bot().config, random.Random(seed), clock=lambda: OPEN_TIME)
               .decide(contact, inbound(contact, "سلام")).reply for seed in range(6)}
    assert any("مریم" in reply for reply in replies)


ORDER_EVENT = {"kind": "order", "catalog_id": "c1", "item_count": 2, "total": "1200000", "currency": "IRR"}


def test_an_order_is_acknowledged_in_the_language_of_the_contacts_last_text(session, bot, inbound, make_contact):
    persian, english = make_contact(name="سارا"), make_contact(name="Sara")
    bot().decide(english, inbound(english, "hello, I'd like to order"))
    replies = []
    for contact in (persian, english):
        order = inbound(contact, None, kind="order")  # no note: the contact's last text decides
        order.event_data = ORDER_EVENT
        replies.append(bot().decide(contact, order).reply)
    assert "۱٬۲۰۰٬۰۰۰ ریال" in replies[0] and "۲" in replies[0] and not re.search("[A-Za-z0-9]", replies[0])
    assert "2 item(s), 1,200,000 IRR" in replies[1] and not re.search("[\u0600-\u06ff]", replies[1])


def test_the_built_in_order_acknowledgement_has_an_english_variant(session, config, inbound, make_contact):
    rules = parse_rules('fallback: ["?"]\nintents:\n  greeting:\n    examples: [hello]\n    responses: ["Hi"]\n')
    contact = make_contact(name="Sara")
    service = ChatbotService(session, rules, config, clock=lambda: OPEN_TIME)
    service.decide(contact, inbound(contact, "hello"))
    order = inbound(contact, None, kind="order")
    order.event_data = ORDER_EVENT
    assert service.decide(contact, order).reply.startswith("Your order of 2 item(s), 1,200,000 IRR")


def test_a_flask_command_reads_the_rules_but_trains_the_chatbot_only_if_it_classifies(test_config, engine):
    """`flask … users create`, an import, a report: the rules are read and checked, the ~1.5 s of training is
    skipped until a message is classified; a web worker's app is trained before its first request."""
    import click

    from webhook_handler import create_app

    with click.Context(click.Command("users")):  # what a `flask` command's app is built in
        command_app = create_app(test_config)
    web_app = create_app(test_config)
    try:
        rules = command_app.extensions["whatsapp_platform"].chatbot.rules
        assert rules._parts is None
        assert rules.recognize_intent("ساعت کاری تا کیه؟").intent == "business_hours"
        assert rules._parts is not None
        assert web_app.extensions["whatsapp_platform"].chatbot.rules._parts is not None
    finally:
        command_app.extensions["whatsapp_platform"].close()
        web_app.extensions["whatsapp_platform"].close()
