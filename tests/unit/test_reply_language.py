"""Replies in the customer's language: Persian to Persian and Finglish writers, English to English ones.

Through the real webhook path (a signed webhook, the chatbot, the fake Graph API), for every
intent of the shipped rules file, plus the validation of per-language replies in the loader.
"""

from __future__ import annotations

import json
import re

import pytest
from conftest import APP_SECRET, GRAPH_TOKEN, PHONE_NUMBER_ID, clean_tables
from sqlalchemy import select

from config import parse_business_hours
from database_models import ReceivedMessageLog, ScheduledMessage
from inbound.sample_payloads import envelope, inbound_message, messages_change, text_message_envelope
from inbound.signatures import sign_payload
from language.intent_rules import RulesError
from language.nlp import detect_language
from language.rules_loader import load_rules, parse_rules
from webhook_handler import create_app
from whatsapp_service import WhatsAppService

RULES = load_rules("rules/chatbot_rules.yaml")
LATIN = re.compile(r"[A-Za-z]")
PERSIAN = re.compile(r"[\u0600-\u06ff]")
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def example_in(intent: str, language: str) -> str:
    """The first example of `intent` written in `language` that the rules recognise as `intent`."""
    for example in RULES.intents[intent].examples:
        if detect_language(example) == language and RULES.recognize_intent(example).intent == intent:
            return example
    raise AssertionError(f"{intent} has no {language} example recognised as itself")


@pytest.fixture
def graph_app(test_config, fake_graph, engine):
    """The app sending to the fake Graph API, open all week (human_agent gets its own reply, not `away`)."""
    sender = WhatsAppService(GRAPH_TOKEN, PHONE_NUMBER_ID, base_url=fake_graph.url, read_timeout=2.0)
    app = create_app(test_config.replace(business_hours=parse_business_hours("sat-thu 09:00-18:00")),
                     sender=sender)
    yield app
    app.extensions["whatsapp_platform"].close()
    clean_tables(engine)


def reply_to(app, customer: str, text: str, name: str) -> tuple[str | None, str]:
    """Post `text` from `customer` as a signed webhook; (the stored intent, the reply's body)."""
    body = json.dumps(text_message_envelope(customer, text, name=name), ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign_payload(body, APP_SECRET)}
    assert app.test_client().post("/webhook", data=body, headers=headers).status_code == 200
    with app.extensions["whatsapp_platform"].session_factory() as session:
        message = session.scalars(select(ReceivedMessageLog).order_by(ReceivedMessageLog.id.desc())).first()
        reply = session.scalars(select(ScheduledMessage).where(ScheduledMessage.in_reply_to_id == message.id)).one()
        return message.intent, reply.body


@pytest.mark.parametrize("intent", sorted(RULES.intents))
def test_every_intent_answers_persian_in_persian_and_english_in_english(graph_app, intent):
    number = 989120000000 + 10 * sorted(RULES.intents).index(intent)
    got, body = reply_to(graph_app, str(number), example_in(intent, "fa"), "سارا")
    assert got == intent
    assert not LATIN.search(body), body
    got, body = reply_to(graph_app, str(number + 1), example_in(intent, "en"), "Sara")
    assert got == intent
    assert not PERSIAN.search(body), body


def test_finglish_writers_get_persian(graph_app):
    got, body = reply_to(graph_app, "989121110000", "salam", "سارا")
    assert got == "greeting" and not LATIN.search(body) and PERSIAN.search(body), body


def test_commands_and_hours_are_in_the_customers_language(graph_app):
    _, body = reply_to(graph_app, "989121110001", "لغو", "سارا")
    assert "عضویت" in body and "START" not in body
    _, body = reply_to(graph_app, "989121110002", "STOP", "Sara")
    assert "START" in body
    _, body = reply_to(graph_app, "989121110003", "ساعت کاری شما چنده؟", "سارا")
    assert "۰۹:۰۰" in body and not re.search(r"\d", body.translate(str.maketrans("", "", "۰۱۲۳۴۵۶۷۸۹")))
    _, body = reply_to(graph_app, "989121110004", "what are your opening hours?", "Sara")
    assert "09:00-18:00" in body and "Sat" in body


def test_fallback_is_in_the_customers_language(graph_app):
    intent, body = reply_to(graph_app, "989121110005", "the quick brown fox jumps over the lazy dog", "Sara")
    assert intent == "none" and not PERSIAN.search(body), body


@pytest.mark.parametrize("key", [*RULES.intents, "fallback", "away", "media"])
def test_every_shipped_variant_is_in_one_language(key):
    for template in RULES.localized_responses(key, "fa"):
        assert not LATIN.search(PLACEHOLDER.sub("", template)), template
    for template in RULES.localized_responses(key, "en"):
        assert not PERSIAN.search(PLACEHOLDER.sub("", template)), template


MINIMAL = """\
fallback:
  fa: ["نفهمیدم"]
  en: ["Sorry?"]
intents:
  greeting:
    examples: [سلام, hello]
    responses: {responses}
"""


def test_a_plain_list_serves_both_languages():
    rules = parse_rules(MINIMAL.format(responses='["درود"]'))
    assert rules.localized_responses("greeting", "fa") == rules.localized_responses("greeting", "en") == ("درود",)
    assert rules.localized_responses("unknown", "en") == ("Sorry?",)


def test_english_falls_back_to_persian_when_missing():
    rules = parse_rules(MINIMAL.format(responses='{fa: ["درود"]}'))
    assert rules.localized_responses("greeting", "en") == ("درود",)
    assert rules.intents["greeting"].responses == ("درود",)


@pytest.mark.parametrize(("responses", "reason"), [
    ('{fa: ["درود"], de: ["Hallo"]}', "unknown key 'de' in greeting.responses (expected one of: fa, en)"),
    ('{en: ["Hello"]}', "greeting.responses is missing the required key 'fa'"),
    ('{fa: [], en: ["Hello"]}', "greeting.responses.fa must be a non-empty list"),
    ('{fa: ["{nam}"]}', "unknown placeholder {nam}"),
])
def test_bad_language_sections_are_rejected_with_the_line(responses, reason):
    with pytest.raises(RulesError) as error:
        parse_rules(MINIMAL.format(responses=responses), source="rules.yaml")
    assert str(error.value).startswith("rules.yaml:7: ") and reason in str(error.value), str(error.value)


# Tone and names through the webhook (issue 14): the apologetic variants and the offer of a person
# are in the customer's language too, and a profile name in the other script never breaks that.
ISOLATED = re.compile("\u2068[^\u2069]*\u2069")  # a name in FSI…PDI: a placeholder's value

COMPLAINTS = [  # (text, its intent, strongly negative)
    ("قیمتش خیلی گرونه، ناراحت شدم", "pricing", False),
    ("ساعت کاری شما چنده؟ دیروز هیچکس جواب نداد، خیلی بده", "business_hours", True),
    # Sarcastic thanks, then a month of waiting: the wait asks where the order is (the corpus's
    # convention, "ده روزه منتظرم ..." is order_status); the apology is what this test checks.
    ("مرسی واقعا، یک ماهه منتظرم 🙄", "order_status", False),
    ("خدافظ، دیگه ازتون خرید نمیکنم", "goodbye", False),
    ("سلام، خیلی ناراحتم", "greeting", False),
    ("افتضاحه، دیگه پیام تبلیغاتی نفرستید", "opt_out", True),
    ("افتضاح بود", "none", False),
    ("خیلی بدید، سفارشم هنوز نرسیده 😡", "order_status", True),
    ("what are your opening hours? nobody answered yesterday, awful", "business_hours", True),
    # Its English twin follows the same convention since the model learns from the development sets
    # (tests/data/README.md, "The tenth pass"); it was thanks before.
    ("thanks for nothing, a month of waiting 🙄", "order_status", True),
    ("stop sending me this spam, it is awful", "opt_out", False),
    ("this robot understands nothing, terrible, someone answer", "human_agent", False),
    ("it's terrible, my order still hasn't arrived 😡", "order_status", True),
    ("my order is late, not happy", "order_status", False),
]


@pytest.mark.parametrize(("text", "intent", "strong"), COMPLAINTS)
def test_apologies_and_the_offer_of_a_person_are_in_the_customers_language(graph_app, text, intent, strong):
    number = str(989122220000 + COMPLAINTS.index((text, intent, strong)))
    english = detect_language(text) == "en"
    # The profile name is in the other script: it must not leak into the reply.
    got, body = reply_to(graph_app, number, text, "سارا" if english else "Sara")
    assert got == intent
    if english:
        assert not PERSIAN.search(body), body
        assert body.startswith(("We're", "Sorry", "Hello, and we're", "Hi there, we're")), body
    else:
        assert not LATIN.search(ISOLATED.sub("", body)), body
        assert any(word in body for word in ("متأسف", "عذرخواهی")), body
    offers = RULES.tone_responses("handoff_offer", "en" if english else "fa")
    offered = any(body.endswith("\n" + offer) for offer in offers)
    assert offered == (strong and intent not in ("opt_out", "human_agent")), body


def test_the_second_complaint_in_a_row_is_offered_a_person_by_the_next_request(graph_app):
    offers = RULES.tone_responses("handoff_offer", "fa")
    _, first = reply_to(graph_app, "989122230000", "سفارشم نرسیده", "سارا")
    _, second = reply_to(graph_app, "989122230000", "چرا سفارشم دیر شد", "سارا")
    assert not first.endswith(offers) and second.endswith(offers) and not LATIN.search(second), second
    _, calm = reply_to(graph_app, "989122230000", "سفارشم کی میرسه؟", "سارا")
    assert not calm.endswith(offers) and "متأسف" not in calm


@pytest.mark.parametrize("intent", sorted(RULES.intents))
def test_a_name_in_the_other_script_never_leaks_into_the_reply(graph_app, intent):
    number = 989122240000 + 10 * sorted(RULES.intents).index(intent)
    _, body = reply_to(graph_app, str(number), example_in(intent, "fa"), "Sara Ahmadi")
    assert not LATIN.search(ISOLATED.sub("", body)) and not LATIN.search(body.lstrip()[:1]), body
    _, body = reply_to(graph_app, str(number + 1), example_in(intent, "en"), "سارا احمدی")
    assert not PERSIAN.search(body), body


def post(app, envelope_: dict) -> str:
    """Post a signed webhook; the body of the reply to its newest message."""
    body = json.dumps(envelope_, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign_payload(body, APP_SECRET)}
    assert app.test_client().post("/webhook", data=body, headers=headers).status_code == 200
    with app.extensions["whatsapp_platform"].session_factory() as session:
        message = session.scalars(select(ReceivedMessageLog).order_by(ReceivedMessageLog.id.desc())).first()
        return session.scalars(select(ScheduledMessage).where(ScheduledMessage.in_reply_to_id == message.id)).one().body


def order_envelope(customer: str, name: str, note: str | None = None) -> dict:
    order = {"catalog_id": "771122334455", "product_items": [
        {"product_retailer_id": "bag-black-m", "quantity": 2, "item_price": 1250000, "currency": "IRR"}]}
    order |= {"text": note} if note else {}
    return envelope(messages_change([inbound_message(customer, "order", order)],
                                    [{"profile": {"name": name}, "wa_id": customer}]))


def test_an_order_is_acknowledged_in_the_customers_language(graph_app):
    reply_to(graph_app, "989122250000", "hello, I'd like to buy the black bag", "سارا")
    english = post(graph_app, order_envelope("989122250000", "سارا"))
    assert "2 item(s), 2,500,000 IRR" in english and not PERSIAN.search(english), english
    persian = post(graph_app, order_envelope("989122250001", "Sara"))  # no text before: the shop's Persian
    assert "۲٬۵۰۰٬۰۰۰ ریال" in persian and not LATIN.search(ISOLATED.sub("", persian)), persian
    noted = post(graph_app, order_envelope("989122250002", "Sara", note="please gift-wrap it"))
    assert not PERSIAN.search(noted), noted
