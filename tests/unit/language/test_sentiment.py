"""Tests for language/sentiment.py: each linguistic rule on its own cases, then labelled sets.

The cases below are written for these tests, not copied from the evaluation sets. The
held-out file has three parts written in order: 78 rows before the lexicon existed
(but read while it was designed), then two blind rounds of 66 and 45 rows, each
scored once (macro-F1 0.805 both times) before the general fixes they suggested.
"""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest
from conftest import ROOT

from language.nlp import tokenize
from language.sentiment import LABELS, SentimentResult, analyze_sentiment, lexicon_entries, load_lexicon
from language.sentiment_evaluation import evaluate, format_evaluation, read_labelled_tsv

# Written and committed before language/sentiment.py was first scored on it (tests/data/README.md).
EVAL_SET = ROOT / "tests" / "data" / "sentiment_eval.tsv"
HELD_OUT_SET = ROOT / "tests" / "data" / "sentiment_heldout.tsv"
# Issue 14: frozen before the first score, never tuned on (tests/data/README.md).
FROZEN_SET = ROOT / "tests" / "data" / "sentiment_frozen.tsv"


def label(text: str) -> str:
    return analyze_sentiment(text).label


def score(text: str) -> float:
    return analyze_sentiment(text).score


def assert_labels(cases: list[tuple[str, str]]) -> None:
    wrong = [(text, expected, label(text)) for text, expected in cases if label(text) != expected]
    assert not wrong, wrong


def test_persian_formal_and_colloquial() -> None:
    assert_labels(
        [
            ("از خدمات شما بسیار سپاسگزارم", "positive"),
            ("محصول دریافتی معیوب بود", "negative"),
            ("جنسش محشره", "positive"),
            ("گوشیه داغونه", "negative"),
            ("پارچه‌اش افتضاحه", "negative"),
            ("سایزش گنده", "negative"),
            ("بسته خرابه", "negative"),
            ("پیک دیر رسید", "negative"),
        ]
    )


def test_finglish() -> None:
    assert_labels(
        [
            ("mersi, rangesh aalie", "positive"),
            ("mamnoonam az shoma", "positive"),
            ("kheili khoob bood", "positive"),
            ("gooshi kharab bood", "negative"),
            ("kheili aftezah bood", "negative"),
            ("afzahe in jens", "negative"),
            ("razi nistam", "negative"),
            ("sefaresh naresid", "negative"),
        ]
    )


def test_english() -> None:
    assert_labels(
        [
            ("amazing quality, thanks", "positive"),
            ("the delivery was awful", "negative"),
            ("the screen is cracked", "negative"),
            ("what sizes do you have", "neutral"),
        ]
    )


def test_phrase_table_idioms_keep_their_polarity() -> None:
    # These contain نکنه / نباشید, which would otherwise look like negation.
    assert_labels(
        [
            ("دست شما درد نکنه", "positive"),
            ("دمتون گرم بابت پیگیری", "positive"),
            ("خسته نباشید، عالی بود", "positive"),
            ("دست مریزاد", "positive"),
            ("با این ساعت حال کردم", "positive"),
            ("حرف نداره این کفش", "positive"),
            ("پشیمونم از این خرید", "negative"),
            ("این کالا به درد نمیخوره", "negative"),
        ]
    )


def test_thanks_are_positive() -> None:
    assert_labels(
        [
            ("ممنون", "positive"),
            ("مرسی از شما", "positive"),
            ("thanks", "positive"),
            ("merci", "positive"),
            ("متشکرم", "positive"),
        ]
    )


def test_intensifiers_strengthen_and_diminishers_weaken() -> None:
    assert score("خیلی خوبه") > score("خوبه") > 0
    assert score("واقعا بد بود") < score("بد بود") < 0
    assert score("really good") > score("good")
    assert score("kheili khoobe") > score("khoobe")
    assert 0 > score("یکم دیر رسید") > score("دیر رسید")


def test_persian_negated_copula_after_the_adjective() -> None:
    assert_labels(
        [
            ("رنگش خوب نبود", "negative"),
            ("از پیک راضی نیستم", "negative"),
            ("کیفیتش خوب نیست", "negative"),
            ("قشنگ هم نبود", "negative"),
            ("khoob nabood", "negative"),
        ]
    )
    assert score("اصلا راضی نبودم") < score("راضی نبودم") < 0


def test_negated_negative_is_only_mildly_positive() -> None:
    assert label("کیفیتش بد نبود") == "positive"
    assert 0 < score("کیفیتش بد نبود") < score("کیفیتش خوب بود")
    assert 0 < score("not bad") < score("good")


def test_verb_negation_only_on_known_verbs() -> None:
    assert_labels(
        [
            ("بسته‌ام نرسید", "negative"),
            ("شارژر کار نمیکنه", "negative"),
            ("شارژر کار نمی کنه", "negative"),
            ("پشتیبانی جواب نمیده", "negative"),
            ("هیچ پاسخی ندادید", "negative"),
            ("سفارش ارسال نشد", "negative"),
            ("خوشم نیومد", "negative"),
            ("این مدل رو دوست ندارم", "negative"),
            ("kar nemikone", "negative"),
            ("javab nadadin", "negative"),
        ]
    )
    # Words that merely start with ن, and negated verbs with no complaint in them.
    assert_labels(
        [
            ("نظرتون درباره این مدل چیه", "neutral"),
            ("نمیدونم کدوم رنگ رو بردارم", "neutral"),
            ("نشانی فروشگاه رو بفرستید", "neutral"),
            ("ندیدم پیامتون رو", "neutral"),
        ]
    )


def test_english_negation() -> None:
    assert_labels(
        [
            ("not good at all", "negative"),
            ("the charger isn't working", "negative"),
            ("it doesnt work", "negative"),
            ("I don't like this jacket", "negative"),
            ("never arrived", "negative"),
            ("no reply from support", "negative"),
            ("not happy", "negative"),
            ("no problem, thank you", "positive"),
        ]
    )


def test_contrast_gives_the_later_clause_more_weight() -> None:
    assert_labels(
        [
            ("مرسی ولی رنگش اشتباه بود", "negative"),
            ("دیر رسید اما کیفیتش عالیه", "positive"),
            ("thanks but it arrived broken", "negative"),
            ("the box was damaged, however the phone is perfect", "positive"),
            ("merci vali kharab bood", "negative"),
            ("although it was late, the quality is excellent", "positive"),
        ]
    )


def test_emoji() -> None:
    assert_labels(
        [
            ("😍", "positive"),
            ("❤️❤️", "positive"),
            ("👍🏻", "positive"),
            ("🙏", "positive"),
            ("😊 رسید", "positive"),
            ("😡", "negative"),
            ("👎", "negative"),
            ("😢😢", "negative"),
            ("بسته رسید 😠", "negative"),
        ]
    )
    assert 0 <= score("😂") < score("😍")
    assert label("😂") == "neutral"


def test_exclamation_strengthens_and_question_damps_praise() -> None:
    assert score("خوب بود!!") > score("خوب بود") > 0
    assert score("bad!") < score("bad") < 0
    assert label("کدوم مدل خوبه؟") == "neutral"
    assert label("is the blue one better?") == "neutral"
    assert label("چرا اینقدر دیر؟") == "negative"  # complaints stay complaints as questions


def test_delay_and_breakage_complaints() -> None:
    assert_labels(
        [
            ("هنوز بسته‌ام نرسیده", "negative"),
            ("هنوز هیچ خبری نیست", "negative"),
            ("ده روزه منتظرم", "negative"),
            ("still waiting for the refund", "negative"),
            ("still not delivered", "negative"),
            ("the lid is broken", "negative"),
            ("خراب رسید", "negative"),
            ("hanooz naresideh", "negative"),
        ]
    )
    # The same markers without a complaint are neutral.
    assert_labels([("هنوز موجوده؟", "neutral"), ("is it still available?", "neutral"), ("۳ روزه میرسه؟", "neutral")])


def test_plain_questions_and_greetings_are_neutral() -> None:
    assert_labels(
        [
            ("سلام", "neutral"),
            ("سلام وقتتون بخیر", "neutral"),
            ("good morning", "neutral"),
            ("حالتون خوبه؟", "neutral"),
            ("قیمت کاپشن مشکی چنده؟", "neutral"),
            ("بسته من کجاست؟", "neutral"),
            ("salam, ersal darid?", "neutral"),
            ("I would like to order the red one", "neutral"),
            ("I'd like two", "neutral"),
            ("کد پیگیری 77812", "neutral"),
            ("", "neutral"),
        ]
    )


def test_give_imperative_is_not_bad() -> None:
    assert label("لطفا پسش بده") == "neutral"
    assert label("کیفیتش بده") == "negative"


def test_result_shape() -> None:
    result = analyze_sentiment("خیلی ممنون، عالی بود 😍 ولی دیر رسید")
    assert isinstance(result, SentimentResult)
    assert result.label in LABELS
    assert -1.0 <= result.score <= 1.0
    assert any(cue.startswith("عالی") for cue in result.matched)
    with pytest.raises(FrozenInstanceError):
        result.label = "negative"  # type: ignore[misc]
    assert analyze_sentiment("ممنون") == analyze_sentiment("ممنون")
    extreme = analyze_sentiment("عالی عالی عالی محشر بی‌نظیر!!! 😍😍😍😍")
    assert extreme.score <= 1.0 and extreme.label == "positive"
    assert "not(" in " ".join(analyze_sentiment("خوب نبود").matched)


def test_arabic_letters_and_zwnj_spellings_match() -> None:
    assert label("عالي بود، ممنونم") == "positive"  # Arabic ي
    assert label("فوق‌العاده") == label("فوق العاده") == label("فوقالعاده") == "positive"
    assert label("کار نمی‌کنه") == "negative"


def test_evaluation_set_macro_f1() -> None:
    result = evaluate(read_labelled_tsv(EVAL_SET))
    assert result["count"] == 60
    # Measured 0.967 on first scoring, 0.983 after issue 14's general fixes.
    assert result["macro_f1"] >= 0.98, format_evaluation(result, max_errors=0)


def test_held_out_macro_f1() -> None:
    rows = read_labelled_tsv(HELD_OUT_SET)
    assert len(rows) >= 60
    assert {gold for _, gold in rows} == set(LABELS)
    result = evaluate(rows)
    assert result["macro_f1"] >= 0.98, format_evaluation(result, max_errors=0)  # measured 0.984, then 0.989


def test_frozen_set_macro_f1() -> None:
    rows = read_labelled_tsv(FROZEN_SET)
    assert len(rows) >= 120 and {gold for _, gold in rows} == set(LABELS)
    result = evaluate(rows)
    # Measured 0.807 before issue 14, 0.879 after passes one to three, 0.909 after the fourth (measured once),
    # 0.939 after the sentiment pass of 2026-12-07 (a model for statements with no lexicon cue).
    assert result["macro_f1"] >= 0.92, format_evaluation(result, max_errors=0)


@pytest.mark.parametrize(("text", "expected"), [
    # Sarcasm: thanks or praise next to a long wait or a new mistake.
    ("مرسی واقعا که بعد دو ماه رسید", "negative"),
    ("thanks a lot for the three week wait", "negative"),
    ("دمتون گرم، این دفعه هم اشتباه فرستادین", "negative"),
    ("ممنون بابت پیام، هنوز هیچ خبری نشده 🙄", "negative"),
    # Contrast with a negative final clause; praise then complaint.
    ("پارچه‌اش خوبه، فقط دوختش از هم باز شد و پاره شده", "negative"),
    ("واای چه ناز! ولی دو سایز کوچیکتر اومد و خراب بود", "negative"),
    ("lovely colour, but it fell apart and the zip is broken", "negative"),
    # Regret.
    ("ای کاش اصلا سفارش نداده بودم", "negative"),
    ("I really regret this purchase", "negative"),
    # Finglish praise, and a problem solved.
    ("kheyli aali bood, damet garm", "positive"),
    ("ashegh rangesh shodam", "positive"),
    ("ممنون، مشکلم حل شد", "positive"),
    # Not a complaint: a duration in a question, a positive contrast.
    ("دو هفته طول میکشه تا برسه؟", "neutral"),
    ("یه کم دیر رسید ولی کیفیتش عالیه", "positive"),
    # A question about a case or a procedure asks, it does not complain (third pass).
    ("اگه کفش خراب برسه عوضش میکنید؟", "neutral"),
    ("if my parcel gets lost, do I get a refund?", "neutral"),
    ("شرایط پس دادن جنس معیوب چطوره؟", "neutral"),
    ("چرا جنس خراب فرستادید؟", "negative"),
    ("خراب رسید، اگه میشه عوضش کنید", "negative"),
    # Regret and a wasted purchase.
    ("پولم واقعا حروم شد", "negative"),
    ("I should never have ordered it", "negative"),
])
def test_issue_14_categories(text: str, expected: str) -> None:
    assert label(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    # An expectation not met; "better than expected" praises.
    ("توقع بهتری ازتون داشتم", "negative"),
    ("I expected a lot better from this brand", "negative"),
    ("بهتر از انتظارم بود", "positive"),
    ("even better than expected", "positive"),
    # A phrase's verb with the colloquial ending; vowel-less Finglish; بی + a Finglish noun.
    ("سنگ تموم گذاشتین", "positive"),
    ("mrc, harf ndsht", "positive"),
    ("jensesh bi keyfiat bud", "negative"),
    ("rastesh kheili khoob bood", "positive"),  # rastesh ("honestly") is no cue
    # Days before an arrival: fast, or a question; days of waiting complain.
    ("دو روزه رسید، ممنون", "positive"),
    ("چند روزه میرسه مشهد", "neutral"),
    ("دو هفته است منتظرم", "negative"),
    # A device that does not connect or charge.
    ("شارژر وصل نمیشه", "negative"),
    ("the cable does not charge", "negative"),
    # A smell described, and a smell alone.
    ("the candle smells so good", "positive"),
    ("the box smells", "negative"),
    # The customer's own mistake, a polite refusal, praise reported from others.
    ("آدرس رو اشتباه زدم، میشه عوضش کنید؟", "neutral"),
    ("نه مرسی، فعلا لازم ندارم", "neutral"),
    ("همکارام خیلی تعریف کردن از عطرتون", "positive"),
    # Spoiled, stale, not natural; worth its price; "what a state".
    ("بیسکوییت ها بیات بودن", "negative"),
    ("the bread was stale", "negative"),
    ("برنج کپک زده بود", "negative"),
    ("رنگش اصلا طبیعی نیست", "negative"),
    ("گرون بود ولی میارزید", "positive"),
    ("این چه وضع بسته بندیه", "negative"),
    # A time of use is no wait; "neither … nor" a fault is praise.
    ("دو هفته است ازش استفاده میکنم، عالیه", "positive"),
    ("using it for a month now, works great", "positive"),
    ("نه رنگش رفت نه خراب شد", "positive"),
    # "except", "despite"; a silent ه before a pronoun; one number ordered, another delivered.
    ("همه چی خوب بود جز اینکه جعبه نداشت", "negative"),
    ("علیرغم قیمت مناسب، جنسش خراب بود", "negative"),
    ("کفش اندازم نیست", "negative"),
    ("سایز ۴۲ سفارش دادم ۴۰ اومد", "negative"),
    ("ordered 2 kg, got 1 kg", "negative"),
    ("سفارش ۲ تا دادم، ۲ تا رسید", "neutral"),
    # Thanks beside weeks on the way; worry, then relief; a device that freezes.
    ("خیلی ممنون، سه هفتس تو راهه", "negative"),
    ("نگران بودم ولی سالم رسید و خیالم راحت شد", "positive"),
    ("گوشی مدام هنگ میکنه", "negative"),
    # A problem solved, in the same clause or a later one; one not solved yet still complains.
    ("یه مشکلی با پرداخت داشتم، پشتیبانی زود حلش کرد", "positive"),
    ("was worried it would break on the way but it came fine, problem resolved", "positive"),
    ("مشکلم هنوز حل نشده", "negative"),
    ("سفارشم خراب بود، گفتن حل میشه ولی هنوز خبری نیست", "negative"),
    # Months of wear or work are no wait.
    ("سه ماهه پا میکنه و هنوز سالمه", "positive"),
    ("دو هفته است کار میکنم باهاش، عالیه", "positive"),
])
def test_sentiment_pass_of_2026_12_07(text: str, expected: str) -> None:
    assert label(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    # The evening pass (tests/data/README.md, "A third sentiment pass"): complaints stated as facts in other words.
    ("پول سفارشمو دو بار کسر کردن", "negative"),
    ("عسل تاریخ انقضاش گذشته بود", "negative"),
    ("دسته ماهیتابه کنده شد", "negative"),
    ("the mug came chipped", "negative"),
    ("honestly I expected better for this price", "negative"),
    ("انتظار بیشتری داشتم از این برند", "negative"),
    ("قبلیا بهتر بودن", "negative"),
    # Formal regret and protest; "ندارم" and "نکردین" negate what comes before them.
    ("با کمال تاسف باید بگم جنس خراب بود", "negative"),
    ("بدینوسیله مراتب اعتراض خود را اعلام میکنم", "negative"),
    ("اینجانب به هیچ وجه از خرید رضایت ندارم", "negative"),
    ("تا حالا هیچوقت ناامیدم نکردین", "positive"),
    # No problem on the way to a question, thanks ahead of a request: no feeling.
    ("مشکلی ندارم، فقط میخواستم بپرسم کی میرسه", "neutral"),
    ("ممنون میشم کاتالوگ رو بفرستید", "neutral"),
    ("the blender was worth every toman", "positive"),
    # A claim in quotation marks beside a complaint is irony; praise quoted with no complaint is praise.
    ('Loved the "premium" packaging, it arrived crushed', "negative"),
    ('my son said "awesome" when he opened it 😍', "positive"),
])
def test_sentiment_pass_of_2026_12_07_evening(text: str, expected: str) -> None:
    assert label(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    # The fourth pass: the last purchase, a report threatened, something foreign in the food, food cold or tasteless.
    ("این دفعه آخره که ازتون میخرم", "negative"),
    ("I'll report this to consumer protection", "negative"),
    ("کشمشا پر از سنگریزه بود", "negative"),
    ("غذا کاملا سرد رسید", "negative"),
    ("بسته بندی عالی،غذا بی مزه", "negative"),
    ("khyli chsbid", "positive"),
    # A pickle is food, "broken" tea a kind of tea, not knowing which one a question.
    ("torshi bademjoon darid?", "neutral"),
    ("فرق چای کله مورچه با چای شکسته چیه", "neutral"),
    ("نمیدونم کدوم سایز رو بردارم", "neutral"),
])
def test_sentiment_fourth_pass(text: str, expected: str) -> None:
    assert label(text) == expected


@pytest.mark.parametrize("path", [EVAL_SET, HELD_OUT_SET], ids=["evaluation", "held-out"])
def test_no_lexicon_entry_is_a_whole_labelled_sentence(path: Path) -> None:
    entries = lexicon_entries()
    leaked = [text for text, _ in read_labelled_tsv(path) if tuple(tokenize(text)) in entries]
    assert not leaked


def test_no_lexicon_entry_added_for_issue_14_is_a_frozen_sentence() -> None:
    # These three were lexicon entries before the frozen corpus was written; customers
    # send them as whole messages, so the corpus has them too.
    older = {("کارتون", "درسته"), ("عالی",), ("به", "درد", "نمیخوره")}
    leaked = {tuple(tokenize(text)) for text, _ in read_labelled_tsv(FROZEN_SET)} & lexicon_entries()
    assert leaked - older == set()


def test_lexicon_rejects_yaml_booleans(tmp_path: Path) -> None:
    source = ROOT / "rules" / "sentiment_lexicon.yaml"
    broken = tmp_path / "lexicon.yaml"
    broken.write_text(source.read_text(encoding="utf-8").replace('  "no thanks": 0', "  no: 0"), encoding="utf-8")
    with pytest.raises(ValueError, match="phrases"):
        load_lexicon(broken)
