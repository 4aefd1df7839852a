"""Persian/English normalisation, tokens, lemmas and keywords (language/nlp.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT

from language.finglish import skeleton
from language.nlp import (
    STOPWORDS,
    classified_tokens,
    detect_language,
    extract_emoji,
    is_emoji,
    is_negated_verb,
    keywords,
    lemma,
    normalize,
    tokenize,
)

ZWNJ = "\u200c"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("كيك علي", "کیک علی"),  # Arabic kaf and yeh
        ("آب", "آب"),  # آ is kept, not flattened to ا
        ("مدرسة أحمد إيران مؤمن", "مدرسه احمد ایران مومن"),
        ("۱۲۳۴۵ و ٦٧٨", "12345 و 678"),  # Persian and Arabic-Indic digits
        ("سَلامٌ عَلَيْكُمْ", "سلام علیکم"),  # harakat, tanwin, sukun
        ("محمّد", "محمد"),  # shadda
        ("ســــلام", "سلام"),  # tatweel
        ("\u200fسلام\u200e \u202bدنیا\u202c", "سلام دنیا"),  # bidi marks
        ("سل\u200bام\ufeff", "سلام"),  # zero-width space, BOM
        ("سلاااااام", "سلام"),
        ("خیلیییی خوبه", "خیلی خوبه"),
        ("hellooooo", "hello"),
        ("good see ممنون", "good see ممنون"),  # doubled letters stay
        ("www.shop.ir", "www.shop.ir"),
        ("HeLLo World", "hello world"),
        ("  سلام \n\t دنیا  ", "سلام دنیا"),
        ("خوبی؟ «آره»، باشه؛ ۵٪", 'خوبی? "آره", باشه; 5%'),
        ("1000000", "1000000"),  # digits are never squeezed
        ("ﺳﻼﻡ", "سلام"),  # presentation forms
        ("👍🏻 ❤️", "👍 ❤"),  # skin tone and variation selector dropped
    ],
)
def test_normalize(raw, expected):
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    "forms",
    [
        ("می خوام", f"می{ZWNJ}خوام", "میخوام"),
        ("نمی خوام", f"نمی{ZWNJ}خوام", "نمیخوام"),
        ("سفارش ها", f"سفارش{ZWNJ}ها", "سفارشها"),
        ("کتاب های", f"کتاب{ZWNJ}های", "کتابهای"),
        ("خسته ام", f"خسته{ZWNJ}ام", "خستهام"),
        ("بزرگ ترین", f"بزرگ{ZWNJ}ترین", "بزرگترین"),
    ],
)
def test_space_zwnj_and_joined_forms_normalise_alike(forms):
    assert len({normalize(form) for form in forms}) == 1
    assert ZWNJ not in normalize(forms[1])


def test_normalize_is_idempotent():
    text = "سلاااام  می‌خوام سفارش‌هامو ببینم، ۱۲۳ ؟ HTTPS://Example.com 😂😂"
    assert normalize(normalize(text)) == normalize(text)


def test_standalone_mi_before_digits_is_not_joined():
    assert normalize("می 5") == "می 5"


def test_tokenize_keeps_urls_numbers_and_emoji_whole():
    text = "سفارش ۱۲۳۴۵ رو ببین https://shop.example.com/a?b=1. www.site.ir 😂😂 🇮🇷 ali@mail.com :)"
    assert tokenize(text) == [
        "سفارش",
        "12345",
        "رو",
        "ببین",
        "https://shop.example.com/a?b=1",
        "www.site.ir",
        "😂",
        "😂",
        "🇮🇷",
        "ali@mail.com",
        ":)",
    ]


def test_tokenize_numbers_dates_and_phones():
    kinds = dict((token, kind) for kind, token in classified_tokens("12,000 1402/05/12 +98 0912-345-6789 ord-77"))
    assert kinds == {
        "12,000": "number",
        "1402/05/12": "number",
        "+98": "number",
        "0912-345-6789": "number",
        "ord-77": "word",
    }


def test_tokenize_splits_punctuation_from_words():
    assert tokenize("سلام!خوبی؟(ممنون)") == ["سلام", "خوبی", "ممنون"]


@pytest.mark.parametrize(
    "word",
    [
        "سفارش",
        "سفارشم",
        f"سفارش{ZWNJ}ها",
        "سفارش ها",
        "سفارشات",
        "سفارشمو",
        "سفارشامو",
        "سفارشهام",
        "سفارشتون",
        "سفارشاتمون",
        "سفارشها",
    ],
)
def test_order_family_collapses_to_one_keyword(word):
    assert keywords(word) == ["سفارش"]


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("سفارشم", "سفارش"),  # hazm 0.10 cuts this to سفار
        ("سفارش", "سفارش"),
        ("قیمتش", "قیمت"),
        ("قیمتها", "قیمت"),
        ("کیفیتش", "کیفیت"),
        ("محصولتون", "محصول"),
        ("کتابهامو", "کتاب"),
        ("مهمترین", "مهم"),
        ("کارتم", "کارت"),  # longest known stem wins over کار
        ("خدمات", "خدمت"),
        # words that only look suffixed stay whole
        ("زمان", "زمان"),
        ("سلام", "سلام"),
        ("تنها", "تنها"),
        ("پیام", "پیام"),
        ("قیمت", "قیمت"),
        ("بهترین", "بهترین"),
        ("داستان", "داستان"),
        ("ستون", "ستون"),
        ("کم", "کم"),
        ("ما", "ما"),
        # English
        ("orders", "order"),
        ("tracking", "track"),
        ("shipped", "ship"),
        ("deliveries", "delivery"),
        ("boxes", "box"),
        ("making", "make"),
        ("status", "status"),
        ("business", "business"),
        ("need", "need"),
        ("bus", "bus"),
    ],
)
def test_lemma(token, expected):
    assert lemma(normalize(token)) == expected


def test_lemma_keeps_negation_prefix():
    assert lemma("نرسید") == "نرسید"
    assert lemma("نخریدم") != lemma("خریدم")


@pytest.mark.parametrize(
    "token",
    ["نمیخوام", "نخواستم", "نرسید", "نرسیده", "نیست", "نیستم", "نبود", "نداره", "نکردم", "نشد", "نمیدونم"],
)
def test_negated_verbs_are_detected(token):
    assert is_negated_verb(token)


@pytest.mark.parametrize(
    "token",
    ["نمونه", "نزدیک", "نرم", "نام", "نظر", "نوشت", "نگاه", "نشون", "میخوام", "رسید", "ن"],
)
def test_words_starting_with_noon_are_not_negations(token):
    assert not is_negated_verb(token)


def test_keywords_drop_urls_numbers_phones_emoji_and_stopwords():
    text = (
        "سلام! سفارش ۱۲۳۴۵ من کجاست؟ https://example.com/track www.shop.ir "
        "+98 912 345 6789 09123456789 ORD-12345 😡😡 :( یه ربع دیگه رو میشه اینو ببینم"
    )
    assert keywords(text) == ["سلام", "سفارش", "ربع", "ببینم"]


def test_keywords_english_and_single_letters():
    assert keywords("I want to track my orders, a b c - the shipping is late!") == ["track", "order", "ship", "late"]


def test_keywords_keep_short_but_real_words():
    assert "کد" in keywords("کد رهگیری")


def test_stopwords_cover_formal_colloquial_and_english():
    for word in ("از", "است", "رو", "دیگه", "میشه", "یه", "اینو", "واسه", "the", "and", "is"):
        assert word in STOPWORDS
    assert "سفارش" not in STOPWORDS and "order" not in STOPWORDS


def test_stopwords_are_in_normal_form():
    assert all(normalize(word) == word for word in STOPWORDS)


def test_emoji_helpers():
    assert is_emoji("😂") and is_emoji("👍🏻") and is_emoji("❤️") and is_emoji("🇮🇷")
    assert not is_emoji("a") and not is_emoji("😂a") and not is_emoji("") and not is_emoji(":)")
    assert extract_emoji("عالی بود 😍😍 👍🏻 ولی 😡 🇮🇷") == ["😍", "😍", "👍", "😡", "🇮🇷"]
    assert extract_emoji("بدون ایموجی") == []


def test_import_is_cheap_and_stdlib_only():
    root = ROOT
    code = (
        "import sys; from language import nlp; heavy = {'yaml', 'hazm', 'numpy', 'sqlalchemy', 'flask'}; "
        "print(sorted(name for name in sys.modules if name.split('.')[0] in heavy))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_british_doubled_l_keeps_its_stem():
    assert keywords("orders cancelled, called twice") == ["order", "cancel", "call", "twice"]


@pytest.mark.parametrize(("text", "language"), [
    ("سلام، سفارشم کجاست؟", "fa"),
    ("سلام وقت بخير، قيمت اين چنده؟", "fa"),  # Arabic ي and ك
    ("order من کی میرسه", "fa"),  # Persian with an English word
    ("۱۲۳۴۵ رسید؟", "fa"),
    ("salam, sefaresham kojast?", "fa_latin"),
    ("ghymt chnd", "fa_latin"),
    ("mrc", "fa_latin"),
    ("sobhetun bekheyr", "fa_latin"),
    ("dastet dard nakone", "fa_latin"),
    ("emshab bazin?", "fa_latin"),
    ("bye felan", "fa_latin"),
    ("where is my order?", "en"),
    ("Thanks a lot!", "en"),
    ("are you open on friday", "en"),
    ("hi", "en"),
    ("👍", "en"),
    ("", "en"),
])
def test_detect_language(text, language):
    assert detect_language(text) == language


@pytest.mark.parametrize(("persian", "finglish"), [
    ("قیمت", "ghymt"), ("قیمت", "gheymat"), ("قیمت", "qeymat"), ("چنده", "chande"),
    ("چند", "chnd"), ("مرسی", "mrc"), ("مرسی", "mersi"), ("سفارش", "sefaresh"),
    ("سفارش", "sfrsh"), ("خداحافظ", "khodahafez"), ("خدافظ", "khdfz"), ("ممنون", "mamnoon"),
    ("وقت", "vaght"), ("عضویت", "ozviat"), ("لغو", "laghv"), ("صبح", "sobh"),
])
def test_skeleton_joins_persian_and_finglish_spellings(persian, finglish):
    assert skeleton(normalize(persian)) == skeleton(finglish) != ""


def test_skeleton_keeps_different_words_apart():
    assert len({skeleton(word) for word in ("قیمت", "سفارش", "ساعت", "پیام", "لغو")}) == 5
