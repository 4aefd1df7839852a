"""Rules file loading, intent recognition, reply rendering and evaluation (language/intent_rules.py)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from conftest import ROOT

from language.intent_evaluation import evaluate, format_report, read_labelled_messages
from language.intent_rules import (
    ALLOWED_PLACEHOLDERS,
    Intent,
    RulesError,
    RuleSet,
    choose_response,
    render_response,
    template_problem,
)
from language.nlp import tokenize
from language.rules_loader import load_rules, parse_rules

RULES_PATH = ROOT / "rules" / "chatbot_rules.yaml"
# Written and committed before the rules were first scored on it (tests/data/README.md).
EVAL_SET = ROOT / "tests" / "data" / "intents_heldout.tsv"

# New phrasings written without looking at the evaluation set (none equals one of its sentences after
# normalisation, see test_held_out_cases_are_not_evaluation_sentences). Measured first-try accuracy
# on later batches, before any rule change they prompted: 92%, 96%, 98%.
HELD_OUT: dict[str, list[str]] = {
    "greeting": [
        "سلاااام وقتتون بخیر 🌹",
        "سلام روز بخیر",
        "درود، وقت\u200cتون بخیر",
        "HEY",
        "salaam",
        "سلام صبح شما بخیر",
        "سلام، خسته نباشین",
        "hi!",
        "Good morning 🌞",
        "سلام آقای محترم",
        "سلام به شما",
        "سلام سلام",
        "Hi guys",
        "salam vaqt bekheyr",
        "ســلام عــرض شــد",
        "سلام وقت\u200cتون به خیر",
        "سلام دوست عزیز",
        "hello hello",
        "salam khoobin?",
        "سلام صبح\u200cبخیر ☀️",
    ],
    "order_status": [
        "سلام، سفارشم کجاست؟",
        "سفارش ۹۸۷۶ من کی ارسال میشه؟",
        "سفارشـــم هنوز نرسیده",
        "بسته\u200cام کجاست؟",
        "سفارشامو کی میفرستین",
        "where is my parcel??",
        "Has my order been shipped?",
        "sefaresham kojast",
        "سفرشم کی میرسه",
        "سفارش من رسید یا نه؟",
        "کد رهگیری پستم رو میدید؟",
        "سفارش\u200cهام کی ارسال میشن؟",
        "بستم هنوز نیومده",
        "I ordered last week, where is it?",
        "track order 55521",
        "پيگيري سفارش",
        "سلام. بسته\u200cی من کی می\u200cرسه؟",
        "چرا سفارشم دیر شده؟",
        "شماره پیگیری مرسوله رو ندادید",
        "Where is my order #A1234?",
        "my package hasn't arrived",
        "سفارش\u200cم ارسال شده؟",
        "وضعيت سفارشم چي شد؟",
        "سلام، کد پیگیری\u200cام رو می\u200cخواستم",
        "سفارشم کی به دستم می رسه",
        "هنوز سفارشمو تحویل ندادن",
        "بسته رو پست کردین؟",
        "order 78812 status?",
        "when does my package arrive",
        "sefareshe man ersal shode?",
    ],
    "pricing": [
        "قيمت اين كفش چنده؟",
        "قیمتــش چقدره",
        "هزینه\u200cی ارسال به شیراز چقدر میشه",
        "چند میدید این رو",
        "how much is the shipping?",
        "ghimat chande?",
        "قیمت گوشی سامسونگ چنده",
        "هزینه ی پست پیشتاز چقدره؟",
        "تخفیف ویژه دارین؟",
        "What's the cost of this bag?",
        "gheymatesh chanse",
        "قیمت\u200cها رو بفرست",
        "این مانتو چنده؟",
        "قیمت ارسال با پیک؟",
        "قيمتتون براي عمده چطوره",
        "How much does shipping cost to Tehran?",
        "قیمت لطفاً",
        "ghimat ersal chand?",
        "قیمت این کالا چقدر است؟",
        "هزینه ارسال به مشهد؟",
        "اين محصول چند تومان است",
        "what is the price of this shirt",
        "تخفیف هم میدید؟",
        "gheimatesh chand?",
    ],
    "business_hours": [
        "ساعت کاریتون چطوریه",
        "پنج\u200cشنبه\u200cها تا ساعت چند باز هستید؟",
        "الان باز هستین؟",
        "When do you open tomorrow?",
        "روز جمعه تعطیل هستید؟",
        "ساعت چند باز میکنین؟",
        "امروز جمعه بازید؟",
        "ساعات کاری\u200cتون رو بگید",
        "Are you open now?",
        "opening hours?",
        "فروشگاه تا کی بازه؟",
        "شبا تا ساعت چند بازید؟",
        "فردا صبح ساعت چند باز میکنید؟",
        "آیا روزهای تعطیل باز هستید؟",
        "what are your hours on saturday",
        "ساعت کاری؟",
        "ساعت کاری فروشگاهتون",
        "یکشنبه باز هستید",
        "تا ساعت ۸ شب بازید؟",
        "what time do you close on friday?",
        "are you closed today",
    ],
    "thanks": [
        "ممنونم از راهنمایی\u200cتون",
        "thank u so much",
        "merci az shoma",
        "سپاس از شما",
        "خیلی خیلی ممنون 🌹",
        "مرسی عزیزم",
        "تشکر",
        "Thanks!!",
        "mersiii",
        "دمتون گرم بابت جواب",
        "ممنون بابت پاسخ سریع 🙏",
        "مرسی، لطف کردین",
        "تشکر فراوان",
        "thank you very much!",
        "mamnoonam",
        "سپاسگزارم از شما",
        "خیلی لطف کردین ممنون",
        "thanks so much!",
        "merciii",
    ],
    "human_agent": [
        "میخوام با یه کارشناس صحبت کنم",
        "اوپراتور",
        "can I speak with a real person?",
        "وصل کنید به پشتیبانی لطفاً",
        "یه آدم واقعی جواب بده",
        "اپراتور میخوام",
        "talk to support",
        "Can I talk to a human agent?",
        "با پشتیبانی تماس بگیرید باهام",
        "لطفا منو به یک کارشناس وصل کنید",
        "میخوام با یک انسان صحبت کنم نه ربات",
        "پشتیبانی",
        "I need to speak with an operator",
        "agent",
        "با یکی از همکاراتون صحبت کنم",
        "یه اپراتور جواب بده",
        "support please",
        "connect me with a human",
    ],
    "opt_out": [
        "دیگه پیام تبلیغاتی نفرستید لطفا",
        "منو از لیست پیام\u200cها پاک کنید",
        "please unsubscribe me",
        "دیگه نمیخوام پیام بگیرم",
        "لغو اشتراک",
        "stop messaging me",
        "پیامک تبلیغاتی نفرستین",
        "دیگر پیام ارسال نکنید",
        "Stop sending messages",
        "لطفا عضویت منو لغو کنید",
        "پیام تبلیغی برام نفرستید",
        "unsubscribe please",
        "لغو عضويت لطفا",
        # Deleting beside a messaging word opts out when a list, the ads or the customer goes.
        "از لیست پیامکتون حذفم کنید",
        "پیامک های تبلیغاتی رو حذف کنید",
        "mano az list hazf konid",
    ],
    "opt_in": [
        "میخوام دوباره عضو بشم",
        "subscribe me again please",
        "میخوام پیامای تخفیف رو بگیرم",
        "sign me up please",
        "میخوام عضو خبرنامه بشم",
        "please subscribe me",
        "منو عضو کنید",
        "I want to subscribe again",
    ],
    "goodbye": [
        "خدافظ",
        "فعلا خداحافظ 👋",
        "بای",
        "Goodbye!",
        "شب خوبی داشته باشید",
        "خدانگهدار شما",
        "bye bye 👋",
        "فعلاً بای",
        "see ya",
        "شبتون خوش",
        "خداحافظ و ممنون",
        "بدرود دوستان",
        "bye for now",
        "شب خوش دوست من",
        "khodahafez shoma",
        "خداحافظ، روز خوش",
        "فعلا خدافظ",
        "good night everyone",
    ],
    "none": [
        "فوتبال امشب کی شروع میشه",
        "دیروز رفتم سینما",
        "I love cats",
        "zxcvbnm",
        "ماشین من قرمزه",
        "what's your favourite movie",
        "jjjjjj",
        "امروز چه روز قشنگیه",
        "پسرم مدرسه رفت",
        "the sky is blue",
        "lorem ipsum dolor",
        "کتاب\u200cخونه کجاست",
        "hmmmm",
        "آهنگ جدید گوش دادی؟",
        "پیتزا دوست داری؟",
        "فردا امتحان دارم",
        "my phone is broken",
        "aaaaaa",
        "هفته پیش رفتیم شمال",
        "I am learning Persian",
        "دیشب خواب بدی دیدم",
        "گربه\u200cها رو دوست دارم",
        "football is fun",
        "kjhgfd",
        "تولدم مبارک",
    ],
}

# One known message, rewritten the ways customers actually type it.
ROBUSTNESS = [
    ("سلام عليكم", "greeting"),  # Arabic yeh and kaf
    ("سَلامٌ", "greeting"),  # diacritics
    ("ســــلام", "greeting"),  # tatweel
    ("سلاااااام", "greeting"),  # stretched
    ("ﺳﻼﻡ", "greeting"),  # presentation forms
    ("\u200fسلام\u200e", "greeting"),  # bidi marks
    ("SaLaM!!", "greeting"),  # case, punctuation, Finglish
    ("Hello 👋👋", "greeting"),  # emoji
    ("می‌خوام با اپراتور صحبت کنم", "human_agent"),  # ZWNJ
    ("می خوام با اپراتور صحبت کنم", "human_agent"),  # space
    ("میخوام با اپراتور صحبت کنم", "human_agent"),  # joined
    ("وضعیت سفارش ۱۲۳۴۵۶ چیه", "order_status"),  # Persian digits
    ("وضعیت سفارش ١٢٣٤٥٦ چیه", "order_status"),  # Arabic-Indic digits
    ("قمیت این چنده", "pricing"),  # transposition typo
    ("ممنوم", "thanks"),  # substitution typo
    ("خدافس", "goodbye"),  # typo of a colloquial form
    ("thnaks", "thanks"),
    ("mersi", "thanks"),
    ("merci", "thanks"),
    ("ghimat", "pricing"),
    ("sefaresh", "order_status"),
    ("khodahafez", "goodbye"),
    ("salam", "greeting"),
    ("THANK YOU", "thanks"),
    ("ساعت کاری 🕘", "business_hours"),
]


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules(RULES_PATH)


def normal_words(text: str) -> str:
    return " ".join(token for token in tokenize(text) if any(character.isalpha() for character in token))


def test_evaluation_set_accuracy(rules):
    report = evaluate(rules, read_labelled_messages(EVAL_SET))
    assert report.total >= 100
    assert report.accuracy >= 0.94, format_report(report)  # measured 0.944 (102/108) on first scoring


def test_no_example_copies_an_evaluation_sentence(rules):
    evaluation_sentences = {normal_words(text) for text, _ in read_labelled_messages(EVAL_SET)}
    examples = [example for intent in rules.intents.values() for example in intent.examples]
    examples += list(rules.out_of_scope)
    copied = [example for example in examples if normal_words(example) in evaluation_sentences]
    assert copied == []


def test_held_out_cases_are_not_evaluation_sentences():
    evaluation_sentences = {normal_words(text) for text, _ in read_labelled_messages(EVAL_SET)}
    assert [text for texts in HELD_OUT.values() for text in texts if normal_words(text) in evaluation_sentences] == []


def test_held_out_accuracy(rules):
    rows = [(text, intent) for intent, texts in HELD_OUT.items() for text in texts]
    report = evaluate(rules, rows)
    assert len(rows) >= 150
    assert report.accuracy >= 0.95, format_report(report)


@pytest.mark.parametrize(("text", "intent"), ROBUSTNESS)
def test_robust_to_spelling_variants(rules, text, intent):
    assert rules.recognize_intent(text).intent == intent


@pytest.mark.parametrize(
    "text",
    [
        "😂😂",
        "👍",
        "۱۲۳۴۵",
        "0912 345 6789",
        "???",
        "",
        "   ",
        "asdfgh",
        "zxcvbnm",
        "jjjjjj",
        "امروز هوا خیلی گرمه",
        "the weather is nice",
        "فوتبال دیشب چی شد",
        "my cat is sleeping",
        "don't stop",
        "رنگ مورد علاقه زرافه‌ها چیست",
    ],
)
def test_unrelated_text_is_none(rules, text):
    assert rules.recognize_intent(text).intent == "none"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("STOP", "opt_out"),
        ("stop please", "opt_out"),
        ("لغو", "opt_out"),
        ("لغو عضویت", "opt_out"),
        ("Unsubscribe", "opt_out"),
        ("START", "opt_in"),
        ("عضویت", "opt_in"),
        ("subscribe", "opt_in"),
        ("اپراتور", "human_agent"),
    ],
)
def test_exact_rules_decide_with_full_confidence(rules, text, intent):
    assert rules.recognize_intent(text) == (intent, 1.0) or rules.recognize_intent(text).intent == intent
    assert rules.recognize_intent(text).confidence == 1.0


def test_cancelling_an_order_is_not_an_opt_out(rules):
    assert rules.recognize_intent("لغو سفارش").intent != "opt_out"
    assert rules.recognize_intent("میخوام سفارشمو لغو کنم").intent != "opt_out"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # Pricing and thanks need one of their words: a product question or a reaction near an
        # example is not a price question or thanks.
        ("این کتونی سایز ۴۴ هم دارین؟", "none"),
        ("do you have the linen shirt in white?", "none"),
        ("اکانت کاربریمو پاک کنید", "none"),
        ("اوکی فهمیدم", "none"),
        ("واقعا جدی میگی؟", "none"),
        ("برای دو تا ازش چقدر باید واریز کنم؟", "pricing"),
        ("ارسال به شیراز رایگانه؟", "pricing"),
        ("is there a sale on winter coats?", "pricing"),
        ("کدتخفیف برای خرید اول دارین؟", "pricing"),
        ("sepas az rahnamaei", "thanks"),
        ("دستتون طلا، خیلی کمک کردید", "thanks"),
    ],
)
def test_pricing_and_thanks_need_their_words(rules, text, intent):
    assert rules.recognize_intent(text).intent == intent


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # What it comes to, or what the customer owes, asked with "how much" and no price word.
        ("تعمیر گوشیم چقد درمیاد؟", "pricing"),
        ("پس با هزینه ارسالش چقدر میشه؟", "pricing"),
        ("الان کلا چقدر بدهکارم بهتون", "pricing"),
        ("faktor man chghad shod?", "pricing"),
        ("baraye do ta cheghadr bayad bedam", "pricing"),
        # "How much longer" and "how long has it been since" name no sum.
        ("چقدر دیگه طول میکشه تا بسته برسه؟", "order_status"),
        ("چقد شد که سفارش دادم، یه هفته؟", "order_status"),
    ],
)
def test_how_much_it_comes_to_is_a_price(rules, text, intent):
    assert rules.recognize_intent(text).intent == intent


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("r u a bot or a real human?", "none"),
        ("آیا شما ربات هستید؟", "none"),
        ("robati ya adam?", "none"),
        ("آدم واقعی میخوام نه ربات", "human_agent"),
        ("are you a bot? let me talk to a person", "human_agent"),
        ("ربات نمیخوام، یکی جواب بده", "human_agent"),
    ],
)
def test_asking_what_the_bot_is_is_no_request_for_a_person(rules, text, intent):
    assert rules.recognize_intent(text).intent == intent


def test_every_out_of_scope_example_is_none(rules):
    assert [text for text in rules.out_of_scope if rules.recognize_intent(text).intent != "none"] == []


def test_an_intent_that_needs_a_keyword_is_not_chosen_on_similarity_alone(tmp_path):
    text = VALID_RULES + (
        "  pricing:\n"
        "    examples: [تخفیف دارین, قیمت این چنده, کاتالوگ دارین]\n"
        "    keywords: [قیمت, تخفیف, کاتالوگ]\n"
        "    needs_keyword: true\n"
        "    responses: [price]\n")
    rules = load_rules(write_rules(tmp_path, text))
    assert rules.intents["pricing"].needs_keyword and not rules.intents["greeting"].needs_keyword
    assert rules.recognize_intent("سایز بزرگ دارین").intent == "none"
    assert rules.recognize_intent("قیمتش چنده").intent == "pricing"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("سلام، سفارشم کجاست؟", "order_status"),
        ("سلام وقت بخیر، قیمت این چنده؟", "pricing"),
        ("ممنون، ساعت کاریتون چیه؟", "business_hours"),
    ],
)
def test_a_greeting_in_front_of_a_request_yields_the_request(rules, text, intent):
    assert rules.recognize_intent(text).intent == intent


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # a statement near an out-of-scope example (paying), then the question that is the request
        ("I paid by card this morning, when will you ship it?", "order_status"),
        ("کارت به کارت کردم دیروز، پس کی میفرستین؟", "order_status"),
        # small talk in front of a question no intent answers is that question
        ("سلام، این کوله ضد آب هم هست؟", "none"),
        ("mersi, in lebas ro mishe ba ab dagh shost?", "none"),
        # ... but a request after the thanks still decides
        ("ممنون که جواب دادین، سفارشم کی میرسه؟", "order_status"),
    ],
)
def test_the_question_after_a_statement_or_small_talk_decides(rules, text, intent):
    assert rules.recognize_intent(text).intent == intent


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("شب بخیر دوست من", "goodbye"),  # a wish for the night with no greeting word takes leave
        ("سلام، شب بخیر", "greeting"),
        ("هر وقت کیف قهوه‌ای اومد بهم خبر بدید", "opt_in"),  # tell me when it is back is asking for messages
        ("we make leather belts and want to work with your shop, are you interested in همکاری؟", "none"),
        ("تولیدی جوراب داریم، همکاری میکنید؟", "none"),  # همکاری (working together) is no همکار (colleague)
        ("یکی از همکاراتون جواب بده", "human_agent"),
        ("the price was alright but the colour was not what I ordered", "none"),
        ("قیمتش چند بود؟", "pricing"),
        # whether you deliver to a place at all is no question about an order
        ("به اصفهان هم ارسال میکنید؟", "none"),
        ("do you ship to Italy?", "none"),
        ("سفارشم کی به اصفهان میرسه؟", "order_status"),
        # the clock asked is no question about opening hours
        ("الان ساعت چنده تو ایران؟", "none"),
        ("what time is it in Tokyo right now", "none"),
        ("ساعت چند بازید؟", "business_hours"),
        # the price of a currency or of coins is the market's, not the shop's
        ("قیمت یورو الان چنده؟", "none"),
        ("how much is one bitcoin today", "none"),
        ("قیمت این کیف به دلار چند میشه؟", "pricing"),
    ],
)
def test_words_in_another_sense(rules, text, intent):
    assert rules.recognize_intent(text).intent == intent


def test_confidence_is_between_zero_and_one(rules):
    for text in ("سلام", "قیمت", "hello there how are you", "asdf", "👍"):
        assert 0.0 <= rules.recognize_intent(text).confidence <= 1.0


def test_a_very_long_message_is_read_only_up_to_the_limit(rules):
    """A 32,000-character message costs what its first part does (bench/language_cost.py measures it)."""
    from language.intent_rules import _MAXIMUM_CHARACTERS

    long = "سلام قیمت سفارش " * 2000
    assert rules.recognize_intent(long) == rules.recognize_intent(long[:_MAXIMUM_CHARACTERS])
    assert rules.recognize_intent(long[:_MAXIMUM_CHARACTERS] + "لغو") == rules.recognize_intent(long)


def test_responses_for_intents_fallback_away_and_media(rules):
    assert rules.responses_for("greeting") == rules.intents["greeting"].responses
    assert rules.responses_for("none") == rules.fallback
    assert rules.responses_for("no_such_intent") == rules.fallback
    assert rules.responses_for("away") and rules.responses_for("media")
    assert rules.media_response == rules.responses_for("media")[0]


def test_every_shipped_reply_renders_cleanly(rules):
    templates = [response for intent in rules.intents.values() for response in intent.responses]
    templates += [*rules.fallback, *rules.away, *rules.media_responses]
    for values in ({}, {"name": "سارا", "first_name": "سارا", "wa_id": "989120000000", "business_hours": "۹ تا ۱۸"}):
        for template in templates:
            rendered = render_response(template, values)
            assert rendered and "{" not in rendered and "}" not in rendered and "None" not in rendered


def test_shipped_rules_have_enough_varied_examples(rules):
    expected = {
        "greeting",
        "order_status",
        "pricing",
        "business_hours",
        "thanks",
        "human_agent",
        "opt_out",
        "opt_in",
        "goodbye",
    }
    assert set(rules.intents) == expected
    for intent in rules.intents.values():
        assert len(intent.examples) >= 15, intent.name
        assert 2 <= len(intent.responses) <= 3, intent.name
    assert len(rules.out_of_scope) >= 15


# ---- loading errors ----------------------------------------------------------------

VALID_RULES = """\
threshold: 0.5
fallback:
  - "متوجه نشدم {name|دوست عزیز}"
intents:
  greeting:
    examples: [سلام خوبی, hello there]
    keywords: [سلام]
    responses:
      - "سلام {name|مشتری عزیز} 👋"
"""


def write_rules(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def load_error(tmp_path: Path, text: str) -> str:
    path = write_rules(tmp_path, text)
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    message = str(caught.value)
    assert message.startswith(str(path)), message
    return message


def test_minimal_rules_load(tmp_path):
    rules = load_rules(write_rules(tmp_path, VALID_RULES))
    assert rules.recognize_intent("سلام").intent == "greeting"
    assert rules.media_response is None and rules.away == ()


def test_media_response_attachment_loads(tmp_path):
    text = VALID_RULES + (
        "    media_response: {type: document, url: https://example.com/prices.pdf, caption: 'لیست قیمت {name|}'}\n"
    )
    attachment = load_rules(write_rules(tmp_path, text)).intents["greeting"].media_response
    assert (attachment.kind, attachment.url) == ("document", "https://example.com/prices.pdf")


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        (VALID_RULES.replace("examples: [سلام خوبی, hello there]", "examples: [سلام خوبی, hello"), 7, "invalid YAML"),
        (VALID_RULES + "  bad indentation\n", 11, "invalid YAML"),  # yaml marks the next line
        (VALID_RULES.replace("threshold: 0.5", "threshold: high"), 1, "between 0 and 1"),
        (VALID_RULES.replace("threshold: 0.5", "threshold: 1.5"), 1, "between 0 and 1"),
        (VALID_RULES.replace("threshold: 0.5", "treshold: 0.5"), 1, "unknown key 'treshold'"),
        (VALID_RULES.replace("    keywords:", "    keyword:"), 7, "unknown key 'keyword'"),
        (VALID_RULES.replace("    keywords: [سلام]\n", "    keywords: سلام\n"), 7, "must be a non-empty list"),
        (VALID_RULES.replace("    examples: [سلام خوبی, hello there]\n", ""), 6, "missing the required key 'examples'"),
        (
            VALID_RULES.replace('fallback:\n  - "متوجه نشدم {name|دوست عزیز}"\n', ""),
            1,
            "missing the required key 'fallback'",
        ),
        (VALID_RULES.replace("{name|مشتری عزیز}", "{nmae}"), 9, "unknown placeholder {nmae}"),
        (VALID_RULES.replace("{name|مشتری عزیز}", "{name"), 9, "unbalanced '{'"),
        (VALID_RULES.replace("{name|مشتری عزیز}", "{name.__class__}"), 9, "bad placeholder"),
        (VALID_RULES.replace("{name|دوست عزیز}", "{0}"), 3, "bad placeholder"),
        (VALID_RULES.replace("  greeting:", "  Greeting:"), 5, "bad intent name"),
        (VALID_RULES.replace("  greeting:", "  none:"), 5, "bad intent name"),
        (VALID_RULES.replace("examples: [سلام خوبی, hello there]", "examples: [سلام خوبی, ~]"), 6, "must be text"),
        (VALID_RULES.replace("examples: [سلام خوبی, hello there]", "examples: [سلام خوبی, '😂']"), 6, "has no words"),
        (VALID_RULES + "  greeting:\n    examples: [hi]\n    responses: [hi]\n", 10, "duplicate key 'greeting'"),
        (
            VALID_RULES
            + "  other:\n    examples: [hi]\n    responses: [hi]\n    exact: [سلام]\n"
            + "  third:\n    examples: [yo]\n    responses: [yo]\n    exact: [سلام]\n",
            17,
            "already an exact rule",
        ),
        ("intents: []\nfallback: [x]\n", 1, "must be a mapping"),
        ("- just\n- a list\n", 1, "must be a mapping"),
        ("", 1, "empty"),
        (VALID_RULES.replace("    keywords: [سلام]\n", "    needs_keyword: true\n"), 7, "has no keywords"),
        (VALID_RULES + "    needs_keyword: maybe\n", 10, "must be true or false"),
        (VALID_RULES + "    media_response: {type: gif, url: https://x.example}\n", 10, "type must be one of"),
        (VALID_RULES + "    media_response: {type: image, url: http://x.example}\n", 10, "must start with https://"),
    ],
)
def test_malformed_rules_name_file_line_and_reason(tmp_path, text, line, reason):
    message = load_error(tmp_path, text)
    assert f":{line}:" in message and reason in message, message


def test_missing_rules_file_names_the_file(tmp_path):
    with pytest.raises(RulesError, match="missing.yaml"):
        load_rules(tmp_path / "missing.yaml")


def test_parse_rules_names_its_source():
    with pytest.raises(RulesError, match=r"^inline:1: "):
        parse_rules("intents: {}\nfallback: [x]\n", source="inline")


# ---- rendering and choosing replies ------------------------------------------------


@pytest.mark.parametrize(
    ("template", "values", "expected"),
    [
        ("سلام {name|مشتری عزیز} 👋", {"name": "سارا"}, "سلام سارا 👋"),
        ("سلام {name|مشتری عزیز} 👋", {}, "سلام مشتری عزیز 👋"),
        ("سلام {name|مشتری عزیز} 👋", {"name": "   "}, "سلام مشتری عزیز 👋"),
        ("سلام {name|مشتری عزیز} 👋", {"name": None}, "سلام مشتری عزیز 👋"),
        ("سلام {name}!", {}, "سلام!"),
        ("{name}، خوش آمدید", {}, "خوش آمدید"),
        ("Hi {first_name|there}, id {wa_id}", {"first_name": "Ali", "wa_id": 98912}, "Hi Ali, id 98912"),
        ("ساعت کاری: {business_hours}", {"business_hours": "۹ تا ۱۸"}, "ساعت کاری: ۹ تا ۱۸"),
        ("{ name | دوست }", {}, "دوست"),
        ("{{literal}} {name}", {"name": "x"}, "{literal} x"),
        ("{unknown} stays", {}, "{unknown} stays"),
        ("{name.__class__} {0} {name!r}", {"name": "x"}, "{name.__class__} {0} {name!r}"),
        ("hi {name}", {"name": "{wa_id} {0.__dict__}"}, "hi {wa_id} {0.__dict__}"),
        ("hi {name}", {"name": "Sara\nAhmadi"}, "hi Sara Ahmadi"),
        ("خط اول\nخط دوم {name|}", {}, "خط اول\nخط دوم"),
    ],
)
def test_render_response(template, values, expected):
    assert render_response(template, values) == expected


def test_template_problem():
    assert template_problem("سلام {name|دوست} {{ok}}") is None
    assert "unknown placeholder" in template_problem("{price}")
    assert "unbalanced" in template_problem("oops }")
    assert set(ALLOWED_PLACEHOLDERS) == {"name", "first_name", "wa_id", "business_hours"}


def test_choose_response_is_seedable_and_uses_every_variant():
    variants = ["یک", "دو", "سه"]
    first = [choose_response(variants, random.Random(42)) for _ in range(5)]
    second = [choose_response(variants, random.Random(42)) for _ in range(5)]
    assert first == second
    rng = random.Random(3)
    assert {choose_response(variants, rng) for _ in range(60)} == set(variants)
    with pytest.raises(ValueError):
        choose_response([], random.Random(1))


# ---- evaluation --------------------------------------------------------------------


def test_evaluate_scores_and_confusions():
    rules = RuleSet(
        intents=[
            Intent("greeting", ("سلام خوبی", "hello there"), ("hi",), keywords=("سلام", "hello")),
            Intent("thanks", ("ممنون از شما", "thank you"), ("np",), keywords=("ممنون", "thanks")),
        ],
        fallback=("?",),
    )
    rows = [("سلام", "greeting"), ("hello", "greeting"), ("ممنون", "thanks"), ("سلام", "thanks"), ("asdf", "none")]
    report = evaluate(rules, rows)
    scores = {score.intent: score for score in report.scores}
    assert (report.correct, report.total, report.accuracy) == (4, 5, 0.8)
    assert (scores["greeting"].precision, scores["greeting"].recall, scores["greeting"].support) == (2 / 3, 1.0, 2)
    assert (scores["thanks"].precision, scores["thanks"].recall) == (1.0, 0.5)
    assert scores["thanks"].f1 == pytest.approx(2 / 3)
    [confusion] = report.confusions
    assert (confusion.expected, confusion.predicted, confusion.count, confusion.examples) == (
        "thanks",
        "greeting",
        1,
        ("سلام",),
    )
    table = format_report(report)
    assert "precision" in table and "recall" in table and "f1-score" in table and "support" in table
    assert "weighted avg" in table and "thanks → greeting (1): سلام" in table
    assert any(line.split()[:2] == ["accuracy", "0.800"] for line in table.splitlines())
    # For a held-out set (a failing floor's message) the confusions are counted, never quoted.
    counted = format_report(report, examples=False)
    assert "thanks → greeting (1)" in counted and "سلام" not in counted


def test_read_labelled_messages(tmp_path):
    path = tmp_path / "set.tsv"
    path.write_text("text\tintent\nسلام\tgreeting\n\n# comment\nhi\tthere\tgreeting\n", encoding="utf-8")
    assert read_labelled_messages(path) == [("سلام", "greeting"), ("hi\tthere", "greeting")]
    path.write_text("text\tintent\nno tab here\n", encoding="utf-8")
    with pytest.raises(ValueError, match=":2:"):
        read_labelled_messages(path)


@pytest.mark.parametrize("text", [
    "اشتباهی حذف شدم دوباره عضوم کنید",
    "I unsubscribed by mistake, turn it back on",
])
def test_undoing_a_removal_still_subscribes(rules, text):
    assert rules.recognize_intent(text).intent == "opt_in"


@pytest.mark.parametrize("text", [
    "میشه دیگه پیام تبلیغاتی نفرستید؟",
    "can you stop sending me the newsletter?",
    "سلام میشه منو از لیست پیامک حذف کنید؟",
    "please take this number out of your broadcast list",
])
def test_a_stop_request_put_politely_as_a_question_opts_out(rules, text):
    assert rules.recognize_intent(text).intent == "opt_out"


@pytest.mark.parametrize("text", [
    "unsubscribe from what? I never signed up",
    "لغو عضویت از چی؟ من که عضو نبودم",
    "منو از لیست انتظار کیف مشکی خارج کنید، خریدمش",
    "take me off the waiting list for size 40, I found one",
])
def test_a_question_about_unsubscribing_or_another_list_neither_opts_out_nor_in(rules, text):
    assert rules.recognize_intent(text).intent not in ("opt_out", "opt_in")



@pytest.mark.parametrize(("text", "intent"), [
    ("stop dige", "opt_out"),
    ("STOP now!", "opt_out"),
    ("لغو دیگه", "opt_out"),
    ("start dg", "opt_in"),
])
def test_a_command_said_impatiently_is_still_the_command(rules, text, intent):
    match = rules.recognize_intent(text)
    assert (match.intent, match.confidence) == (intent, 1.0)


@pytest.mark.parametrize(("text", "intent"), [
    # Older customers' formal farewells, thanks and blessings; a formal request to be told.
    ("با تشکر فراوان، خدا یار و نگهدارتان", "goodbye"),
    ("ممنون از همه‌چیز، در پناه حق باشید", "goodbye"),
    ("خدا عوضتان دهد، خیلی لطف کردید", "thanks"),
    ("دست همه عزیزان درد نکند", "thanks"),
    ("خواهشمند است هرگاه این کالا موجود گردید اینجانب را مطلع فرمایید", "opt_in"),
    ("روغن زیتون الان چند شده؟", "pricing"),
    ("پیشنهادهای ویژه این هفته‌تون چیه؟", "pricing"),
])
def test_formal_and_older_customers_phrasings(rules, text, intent):
    assert rules.recognize_intent(text).intent == intent
