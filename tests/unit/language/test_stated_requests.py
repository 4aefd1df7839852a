"""Requests made without asking and small talk that only looks like one (language/stated_requests.py).

The phrasings are written for this test, by the categories of tests/data/README.md ("The eighth pass"),
not copied from any labelled set.
"""

from __future__ import annotations

import pytest
from conftest import ROOT

from language import stated_requests
from language.intent_matcher import word_tokens
from language.intent_rules import RuleSet
from language.rules_loader import load_rules


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules(ROOT / "rules" / "chatbot_rules.yaml")


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # a wait stated with nothing asked is a question about the order
        ("دو هفته شد هنوز هیچی نیومده", "order_status"),
        ("۱۰ روزه منتظرم", "order_status"),
        ("ye mahe montazeram", "order_status"),
        ("it has been two weeks since I ordered", "order_status"),
        ("I never received my package", "order_status"),
        ("گفتین سه‌شنبه میرسه، امروز جمعه‌ست", "order_status"),
        # ... never a return window, a product's age or a reply that has not come
        ("از خرید ۵ روز گذشته میتونم پس بدم؟", "none"),
        ("پولم هنوز برنگشته", "none"),
        ("گارانتی ۶ ماهه داره؟", "none"),
        ("جوابمو ندادین هنوز، سه روز گذشته", "none"),
        ("a week has passed and nothing", "order_status"),
        # what came, stated with nothing asked, is no status question
        ("گرفتمش", "none"),
        ("the parcel arrived today", "none"),
        ("سفارشم رسید، ممنون", "thanks"),
        # how the shop delivers, or how to order, is no status question
        ("do you send by courier or by post?", "none"),
        ("how can I order from you?", "none"),
        ("سفارشمو با تیپاکس فرستادین؟", "order_status"),
        ("did you ship it by post?", "order_status"),
        # a price set against another's is a price question
        ("is the blue one cheaper than the black one?", "pricing"),
        ("قیمت این دو تا فرق داره؟", "pricing"),
        ("کدوم رنگش قشنگتره؟", "none"),
        # "are you there?" with nothing else is a greeting, "when do you answer?" opening hours
        ("hello? anyone there?", "greeting"),
        ("سلام، کسی هست؟", "greeting"),
        ("هستید الان؟ تا کی باز هستید؟", "business_hours"),
        # a decision put off or a laugh takes no leave
        ("فعلا نه مرسی", "none"),
        ("hahaha ok", "none"),
        ("فعلا خداحافظ", "goodbye"),
        ("ok bye, maybe I'll come back", "goodbye"),
        # a wish for the day ahead with no greeting word takes leave
        ("عصر خوبی داشته باشید", "goodbye"),
        ("سلام، روز خوبی داشته باشید", "greeting"),
        # a greeting that goes on to say something no intent answers is that something
        ("سلام، من سه هفته پیش ازتون کفش خریدم", "none"),
        # who the writer is, and nothing else, is a greeting (the thirty-fifth pass; none before it)
        ("hello, I am a student writing a thesis on online shops", "greeting"),
        ("hi everyone, hope you are having a lovely day", "greeting"),
        ("درود بر شما و همکاران پرتلاش", "greeting"),
        # small talk, a turn, then the request
        ("mersi faghat kei mirese dastam", "order_status"),
        ("thanks but I'm just looking", "thanks"),
        ("merci az peygiri vali in rang ro nadarid?", "none"),  # thanks for a follow-up, then a question
        ("thanks for the update, but when does it arrive?", "order_status"),
        # a number to call on asks for a person; a judgement of the bot asks for nobody
        ("lotfan zang bezanid be man 09351112244", "human_agent"),
        ("nice bot lol", "none"),
        ("ربات خوبی هستی ولی میخوام با آدم حرف بزنم", "human_agent"),
        ("robote khoobi hasti", "none"),
        # when the shop can be called is its opening hours (issue 14)
        ("what time can i call you", "business_hours"),
        ("kei mitunam zang bezanam", "business_hours"),
        ("when will you call me?", "human_agent"),
        # thanks ahead of the answer wrap the request
        ("ممنون میشم قیمتشو بگید", "pricing"),
        ("thanks in advance for your help", "thanks"),
        # Finglish and no punctuation
        ("goftin 3 roze mirese alan 1 haftas", "order_status"),
        ("se rooze montazeram", "order_status"),
        ("slm mn ye soal dashtam dar mored jens parche", "none"),
        ("maybe tomorrow", "none"),
        ("ba post mifrestid ya peyk", "none"),
        ("chetori sefaresh bedam", "none"),
        # a keyword's one-letter slip keeps its first letter
        ("how long do I boil the rice?", "none"),
        # Finglish "sale" after a number counts years
        ("in lebas baraye 3 salegi andaze ast?", "none"),
        ("sale darin?", "pricing"),
    ],
)
def test_requests_stated_and_small_talk_that_looks_like_one(rules, text, intent):
    assert rules.recognize_intent(text).intent == intent


def test_a_number_without_a_word_of_calling_asks_for_no_call():
    text = "شماره من 09121234567 هست"
    assert not stated_requests.asks_to_be_called_on_a_number(text, word_tokens(text))
