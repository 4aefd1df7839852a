"""Persian and English text normalisation, tokens, stopwords, lemmas, keywords, language.

Pure, stdlib-only functions shared by the chatbot (intent matching) and analytics
(keywords, sentiment). Importing this module only builds small tables.

Canonical normal form produced by `normalize` (what every other function expects):
- Unicode NFKC first (Arabic presentation forms become plain letters, آ stays آ);
  Arabic ي ى ك ة ۀ أ إ ٱ ؤ become Persian ی ک ه ه ا ا ا و; ئ and ء are kept.
- Persian and Arabic-Indic digits become ASCII digits (order numbers stay ASCII).
- Diacritics, tatweel, bidi marks, zero-width characters, variation selectors and
  emoji skin-tone modifiers are dropped (so 👍🏻 counts as 👍; a ZWJ emoji family
  splits into its members).
- ZWNJ is a word-internal joiner, so the joined spelling is canonical: the ZWNJ is
  removed and the two parts are written together. The verb prefixes می/نمی followed
  by a space, plural/suffix parts after a space (ها، های، ترین …) and the copula
  and ezafe endings ام/ای/ایم/اید/اند/ی after a word ending in ه are joined the same way:
  `می خوام`, `می‌خوام` and `میخوام` all become `میخوام`; `سفارش‌ها` → `سفارشها`.
- Letters repeated three or more times are squeezed to one (سلاااام → سلام,
  hellooo → hello); doubled letters stay (good, see, ممنون). Digits are never squeezed.
- Latin is lower-cased; ، ؛ ؟ « » ٪ ٫ ٬ and curly quotes become ASCII; whitespace
  collapses to single spaces.

`detect_language` tells Persian script ("fa"), Finglish ("fa_latin") and English ("en")
apart, so replies can be written in the customer's language.

Negation: `lemma` never removes the ن/نمی negation prefix, but callers that care
about polarity (sentiment) should still test `is_negated_verb` on the token before
lemmatising, because lemmas of a negated and a plain verb may be looked up together.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Sequence
from functools import lru_cache

from language import finglish

_ARABIC_LETTER = "\u0621-\u06cc"

_CHARACTER_MAP: dict[int, str | None] = {
    0x064A: "ی", 0x0649: "ی", 0x06D0: "ی",
    0x0643: "ک", 0x06AA: "ک",
    0x0629: "ه", 0x06C0: "ه", 0x06C1: "ه", 0x06C2: "ه", 0x06D5: "ه", 0x06BE: "ه",
    0x0623: "ا", 0x0625: "ا", 0x0671: "ا", 0x0624: "و",
    0x060C: ",", 0x061B: ";", 0x061F: "?", 0x00AB: '"', 0x00BB: '"', 0x066A: "%",
    0x066B: ".", 0x066C: ",", 0x06D4: ".", 0x066D: "*",
    0x2018: "'", 0x2019: "'", 0x201C: '"', 0x201D: '"',
}
_CHARACTER_MAP.update({0x06F0 + digit: str(digit) for digit in range(10)})
_CHARACTER_MAP.update({0x0660 + digit: str(digit) for digit in range(10)})
_DROPPED_RANGES = (
    (0x064B, 0x065F),  # harakat, tanwin, shadda, sukun, hamza/madda marks
    (0x0670, 0x0670),  # superscript alef
    (0x06D6, 0x06ED),  # Quranic annotation marks
    (0x0640, 0x0640),  # tatweel
    (0x200B, 0x200F),  # zero-width space, ZWNJ, ZWJ, LRM, RLM
    (0x202A, 0x202E), (0x2066, 0x2069), (0x061C, 0x061C),  # bidi controls
    (0x2060, 0x2060), (0xFEFF, 0xFEFF), (0x00AD, 0x00AD),
    (0xFE00, 0xFE0F), (0x20E3, 0x20E3),  # variation selectors, keycap
    (0x1F3FB, 0x1F3FF), (0xE0020, 0xE007F),  # skin tones, emoji tag characters
)
for _first, _last in _DROPPED_RANGES:
    _CHARACTER_MAP.update(dict.fromkeys(range(_first, _last + 1)))

# www. is the one common Latin triple that must survive squeezing.
_STRETCHED_LETTER = re.compile(r"(?!www\.)([^\W\d_])\1{2,}")
_VERB_PREFIX_SPACE = re.compile(rf"(?<!\w)(ن?می) +(?=[{_ARABIC_LETTER}])")
_SUFFIX_SPACE = re.compile(
    rf"(?<=[{_ARABIC_LETTER}]) +(های|هایی|هایم|هایت|هایش|هایمان|هایتان|هایشان|ها"
    r"|هامون|هاتون|هاشون|ترین)(?!\w)"
)
_COPULA_SPACE = re.compile(r"(?<=ه) +(ام|ای|ایم|اید|اند|ی)(?!\w)")

_EMOJI_RANGES = (
    (0x1F000, 0x1FAFF), (0x2600, 0x27BF), (0x2300, 0x23FF), (0x2B00, 0x2BFF),
    (0x2194, 0x21AA), (0x25AA, 0x25FE), (0x2934, 0x2935), (0x3030, 0x3030),
    (0x303D, 0x303D), (0x3297, 0x3299), (0x00A9, 0x00A9), (0x00AE, 0x00AE),
    (0x203C, 0x203C), (0x2049, 0x2049),
)
_EMOJI_CLASS = "".join(f"{chr(first)}-{chr(last)}" for first, last in _EMOJI_RANGES)
_EMOJI_MODIFIERS = frozenset(
    [0x200D, 0x20E3, *range(0xFE00, 0xFE10), *range(0x1F3FB, 0x1F400)]
)

_TOKEN_PATTERN = re.compile(
    r"(?P<url>(?:https?://|www\.)[^\s<>\"]*[^\s<>\".,!?;:)\]}']"
    r"|(?:[a-z0-9-]+\.)+(?:com|ir|org|net|io|me|co|app|shop|info|biz|dev)(?![\w-])(?:/[^\s<>\"]*)?"
    r"|[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,})"
    r"|(?P<number>\+?(?>\d+(?:[.,:/-]\d+)*)(?![^\W_]))"
    r"|(?P<word>[^\W_]+(?:['-][^\W_]+)*)"
    rf"|(?P<emoji>[\U0001F1E6-\U0001F1FF]{{2}}|[{_EMOJI_CLASS}])"
    r"|(?P<emoticon>(?<!\w)[:;=]'?-?[()\[\]dpo/\\|*](?!\w)|<3)"
)


@lru_cache(maxsize=1024)  # one message is normalised by several checks (intent, opt-out, opt-in, clauses)
def normalize(text: str) -> str:
    """Return the canonical matching form of `text` (see the module docstring)."""
    text = unicodedata.normalize("NFKC", text).translate(_CHARACTER_MAP).lower()
    text = _STRETCHED_LETTER.sub(r"\1", text)
    text = _VERB_PREFIX_SPACE.sub(r"\1", text)
    text = _SUFFIX_SPACE.sub(r"\1", text)
    text = _COPULA_SPACE.sub(r"\1", text)
    return " ".join(text.split())


def classified_tokens(text: str) -> list[tuple[str, str]]:
    """Return (kind, token) pairs; kind is url, number, word, emoji or emoticon."""
    return list(_classified_tokens(text))


@lru_cache(maxsize=1024)  # the intent, opt-out, opt-in and clause checks each tokenize the same message
def _classified_tokens(text: str) -> tuple[tuple[str, str], ...]:
    return tuple((match.lastgroup or "word", match.group()) for match in _TOKEN_PATTERN.finditer(normalize(text)))


def tokenize(text: str) -> list[str]:
    """Return the tokens of the normalised text: words, numbers, URLs, emoji."""
    return [token for _, token in classified_tokens(text)]


def is_emoji(token: str) -> bool:
    """Tell whether `token` consists only of emoji (modifiers allowed)."""
    has_emoji = False
    for character in token:
        code = ord(character)
        if code in _EMOJI_MODIFIERS:
            continue
        if not any(first <= code <= last for first, last in _EMOJI_RANGES):
            return False
        has_emoji = True
    return has_emoji


def extract_emoji(text: str) -> list[str]:
    """Return the emoji of `text` in order, repeats kept (flags are one item)."""
    return [token for kind, token in classified_tokens(text) if kind == "emoji"]


# Every word a language rule lists (`word_set`), so that a vowel-less Finglish spelling can be read as the word a
# rule knows (`intent_matcher.Matcher.respelled`: "hstin" → hastin, "frda" → farda).
LISTED_WORDS: set[str] = set()
WORD_LISTS: list[frozenset[str]] = []


def word_set(*texts: str) -> frozenset[str]:
    """The normalised words of `texts`, each split on whitespace: the word lists the language rules read."""
    words = frozenset(normalize(word) for text in texts for word in text.split())
    LISTED_WORDS.update(words)
    WORD_LISTS.append(words)
    return words


def has_pair(words: Sequence[str], pairs: Collection[tuple[str, str]]) -> bool:
    """Whether two neighbouring words form one of `pairs` ("از این به بعد", "for nothing")."""
    return any(pair in pairs for pair in zip(words, words[1:], strict=False))


# Formal words (hazm-like), the colloquial ones hazm lacks, English and common
# Finglish. Question words are included: analytics wants topics, not "where".
STOPWORDS: frozenset[str] = word_set("""
و در به از که این آن را با برای تا است بود شد هم یا اما ولی اگر نیز پس چون چه
چرا کجا کی چی چیه چیست کدام کدوم چطور چگونه چند چقدر چقد هر همه همین همینو همینه همان همون همونو همونه هیچ
یک یه یکی دو سه من تو شما ما او آنها ایشان اونها ایشون خود خودم خودت خودش خودمون
خودتون خودشون مرا تورا منو تورو شمارو مارو اونو اینو ازش بهش باهاش برام برات براش
برامون براتون براشون بهم بهت بهمون بهتون بهشون ازم ازت ازتون ازشون واسه واسم واست
رو دیگه دیگر میشه نمیشه بشه شده شود میشود می نمی هست هستش هستم هستی هستیم هستید
هستین هستن هستند نیست نیستم نیستید نیستن بودم بودیم بودید بودن بودند باشه باشد
باشید دارم داری داره دارد داریم دارید دارین دارن دارند کنم کنی کنه کند کنیم کنید
کنین کنن کنند کن بکن بکنید بکنین میکنم میکنید میکنه میکنن بدید بدین بده بگید بگین
بگو میخوام میخواهم میخواستم خواستم لطفا لطفاً خواهشا خواهشاً خب آره اره بله نه نخیر
اون این اینا اونا اینها آنجا اینجا اونجا الان هنوز فقط خیلی بسیار واقعا اصلا کمی
یکم یه‌کم بعد قبل روی زیر توی تو بین مثل مانند درباره بدون باید نباید شاید پیش
سر ای آی ها عزیز عزیزم جان جون کجاست کجاس کجان چنده چقدره چیا اینکه آنکه
چیزی چیز کسی همچنین ضمن طور جا وقتی زمانی حتی البته ام
the a an and or but if then of to in on at by for with from about as into over
under is are was were be been being am do does did doing have has had having i
me my mine we us our you your yours he him his she her it its they them their
this that these those there here what which who whom whose when where why how
all any both each few more most other some such no nor not only own same so than
too very can will just should would could may might must shall let lets please
im i'm you're it's don't doesn't didn't can't won't isn't aren't hi oh ok okay
also up down out off again still yet get got want wanna need really
man to ye ro az ba ke va ham mishe lotfan chi chie kojast kojas
""")

_MINIMUM_STEM_LENGTH = 3
# Known stems: a token is only cut to one of these, except for the unambiguous
# plural family (ها…) and colloquial possessives (مون تون شون). Single-letter
# suffixes (م ت ش) and ات/ام/مان/تان are too often part of the word itself
# (سفارش, قیمت, سلام, زمان) to cut blindly; that is how other stemmers turn
# سفارشم into سفار. The words here are also never stemmed themselves.
_KNOWN_STEMS = word_set("""
سفارش قیمت محصول کالا جنس بسته مرسوله ارسال پست پیک کد رهگیری پیگیری وضعیت پیام
تخفیف پرداخت فاکتور مشتری پشتیبانی شماره آدرس حساب پول هزینه تحویل ساعت روز هفته
ماه سال شعبه فروشگاه مغازه سایت برنامه اپلیکیشن اپراتور کارشناس مدیر همکار تلفن
موبایل گوشی لباس کفش کیف رنگ سایز اندازه کیفیت مدل برند موجودی انبار خرید فروش
مرجوعی تعویض گارانتی ضمانت کارت تراکنش بانک درگاه لینک عکس فیلم ویدیو فایل نظر
مشکل شکایت سوال جواب پاسخ خدمت عضویت اشتراک لغو دوست خانواده خانه خونه کار وقت
زمان دست اسم نام شهر خسته سلام تشکر ممنون مرسی پیشنهاد تبلیغ اطلاعات اطلاع کیف
زیتون ستون میمون آسمون پشیمون همون تنها انتها ملاقات دفتر دختر کبوتر کامپیوتر
فیلتر متر چتر بستر شتر دکتر لپتاپ تبلت گارانتی شارژ هدیه جایزه سبد کارتخوان
ساختمان سازمان داستان بیمارستان تابستان زمستان دبستان استان مهمان درمان گمان
پیمان ایمان فرمان سلامت امنیت ظرفیت فعالیت موفقیت اولویت فوریت عضو کاربر همکاری مدرسه
charger chargers charging شارژر شارژرش
""")
_IRREGULAR_LEMMAS = {
    normalize(plural): normalize(singular)
    for plural, singular in (
        ("خدمات", "خدمت"), ("ساعات", "ساعت"), ("اوقات", "وقت"), ("کلمات", "کلمه"),
        ("صفحات", "صفحه"), ("مقالات", "مقاله"), ("لحظات", "لحظه"),
        ("مسابقات", "مسابقه"), ("اطلاعات", "اطلاعات"), ("سوالات", "سوال"),
        # British doubled l, which the -ed/-ing rule keeps for call/fill/spell.
        ("cancelled", "cancel"), ("cancelling", "cancel"), ("travelled", "travel"), ("labelled", "label"),
    )
}


def _suffix_chains() -> tuple[frozenset[str], frozenset[str]]:
    plurals = ("", "ها", "های", "ا", "ات")
    endings = ("", "م", "ت", "ش", "مون", "تون", "شون", "مان", "تان", "شان",
               "ام", "ات", "اش", "یم", "یت", "یش", "ی", "یی", "ای", "تر", "ترین")
    objects = ("", "و", "رو")
    chains = {
        plural + ending + marker for plural in plurals for ending in endings
        for marker in objects
    } - {""}
    safe = {chain for chain in chains if chain.startswith("ها")}
    safe |= {"مون", "تون", "شون", "مونو", "تونو", "شونو", "ترین"}
    return frozenset(chains), frozenset(safe)


_SUFFIX_CHAINS, _SAFE_SUFFIX_CHAINS = _suffix_chains()
_LONGEST_CHAIN = max(len(chain) for chain in _SUFFIX_CHAINS)

_ENGLISH_UNSTEMMED = frozenset("""
news series species this his is was has does yes bus gas plus always class glass
business address less status process access success express analysis thanks
across perhaps minus bonus campus virus radius basis crisis lens chess dress
during morning evening nothing something anything everything thing king ring
sing bring spring string ceiling wedding pudding speed need feed seed hundred
""".split())
_ENGLISH_E_STEMS = frozenset("""
make take have come use give leave write arrive receive change charge purchase
close hope love like move place price provide save serve share type update
issue continue refuse cancel believe decide choose lose size include promise
""".split())
_ENGLISH_UNDOUBLED = frozenset("bdgmnprt")


def _english_lemma(token: str) -> str:
    if len(token) <= 3 or token in _ENGLISH_UNSTEMMED:
        return token
    if token.endswith("ies") and len(token) > 4:
        return token[:-3] + "y"
    if token.endswith(("sses", "ches", "shes", "xes", "zes")):
        return token[:-2]
    if token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    for ending in ("ing", "ed"):
        stem = token[: -len(ending)]
        if token.endswith(ending) and len(stem) >= 3:
            if stem + "e" in _ENGLISH_E_STEMS:
                return stem + "e"
            if stem[-1] == stem[-2] and stem[-1] in _ENGLISH_UNDOUBLED:
                return stem[:-1]
            return stem
    return token


def is_known_stem(token: str) -> bool:
    """Whether a normalised token is a word the lemmatiser knows whole (همکاری, not همکار + ی)."""
    return token in _KNOWN_STEMS


@lru_cache(maxsize=8192)  # customers reuse words, and a message's tokens are lemmatised by several checks
def lemma(token: str) -> str:
    """Return a light lemma of a normalised token: سفارشامو → سفارش, orders → order."""
    if not token or token in _KNOWN_STEMS:
        return token
    if token in _IRREGULAR_LEMMAS:
        return _IRREGULAR_LEMMAS[token]
    if token.isascii():
        return _english_lemma(token)
    # Longest known stem first, so کارتم stays with کارت rather than کار.
    for length in range(1, min(_LONGEST_CHAIN, len(token) - 2) + 1):
        stem = token[:-length]
        if token[-length:] in _SUFFIX_CHAINS and stem in _KNOWN_STEMS:
            return stem
    for length in range(min(_LONGEST_CHAIN, len(token) - _MINIMUM_STEM_LENGTH), 0, -1):
        if token[-length:] in _SAFE_SUFFIX_CHAINS:
            return token[:-length]
    return token


# Present and past stems of common verbs (formal and colloquial), used to tell a
# negated verb (ن + stem + ending) from a word that merely starts with ن.
_VERB_STEMS = word_set("""
بود باش یست دار داشت کرد کن شد شو رس رسید خواست خواه خوا دید بین گرفت گیر داد ده
اومد آمد یومد یا آ زد زن رفت ر گفت گو گفتن خرید خر فرستاد فرست تونست توان تون
دونست دون دان خورد خور پسندید پسند ارزید ارز ساخت ساز گذاشت ذار ذاشت آورد آور
یاورد یار پوشید پوش خوند خون خواند بست بند شکست شکن فهمید فهم موند مون ماند
پرداخت پرداز زنگ کار کشید کش نوشت نویس شنید شنو گشت گرد چسبید چسب
""")
_VERB_ENDINGS = ("", "م", "ی", "ه", "د", "یم", "ید", "ین", "ن", "ند", "ست", "ستم",
                 "ستی", "ستیم", "ستید", "ستن", "ستند", "یده")
_NOT_NEGATED = word_set("نمونه نشون نشان نزدیک نرم نگران ندا نوشابه نکته")


def is_negated_verb(token: str) -> bool:
    """Tell whether a normalised token is a verb with the ن/نمی negation prefix."""
    if token in _NOT_NEGATED or len(token) < 3 or not token.startswith("ن"):
        return False
    if token.startswith("نمی") and len(token) >= 5:
        return True
    rest = token[1:]
    return any(
        rest.endswith(ending) and rest[: len(rest) - len(ending)] in _VERB_STEMS
        for ending in _VERB_ENDINGS
    )


def keywords(text: str) -> list[str]:
    """Return lemmatised content words: no stopwords, URLs, numbers, phones, emoji."""
    found: list[str] = []
    for kind, token in classified_tokens(text):
        if kind != "word" or token in STOPWORDS or len(token) < 2:
            continue
        if sum(character.isdigit() for character in token) >= 3:
            continue  # order numbers and codes such as ord-12345 or a1234
        word_lemma = lemma(token)
        if len(word_lemma) >= 2 and word_lemma not in STOPWORDS:
            found.append(word_lemma)
    return found


_FINGLISH_SHAPE = re.compile(r"kh|gh(?!t\b)|zh|aa|ee|oo[nm]|^(?:mi|ne|be|na)[a-z]{3,}(?:am|id|in|e)$")


def detect_language(text: str) -> str:
    """Tell the language of a message: "fa" (Persian script), "fa_latin" (Finglish) or "en".

    Persian letters outnumbering Latin ones make it "fa". Otherwise each Latin word votes:
    a known English word for English, a known Finglish word or a Finglish spelling (kh, gh,
    zh, aa, mi-…-am verbs) for Finglish. A tie with some Finglish is Finglish (`bye felan`);
    Latin text with neither, and text without letters, is English.
    """
    persian = sum(1 for character in text if "\u0600" <= character <= "\u06ff"
                  or "\ufb50" <= character <= "\ufefc")
    latin = sum(1 for character in text if character.isascii() and character.isalpha())
    if persian and persian >= latin:
        return "fa"
    english = finglish_votes = 0
    for kind, token in classified_tokens(text):
        if kind != "word" or not token.isascii() or not token.isalpha():
            continue
        if token in finglish.ENGLISH_WORDS:
            english += 1
        elif token in finglish.FINGLISH_WORDS or _FINGLISH_SHAPE.search(token):
            finglish_votes += 1
    return "fa_latin" if finglish_votes and finglish_votes >= english else "en"
