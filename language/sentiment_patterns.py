"""Sentiment cues no single lexicon entry states: shapes of words and of whole clauses.

`sentiment` asks this module, for tokens the lexicon does not list as they are written:
- a Finglish word by its consonants (`khshgl`, `ghashange` meet خوشگل/قشنگ through
  `finglish.skeleton`; `mmnun` meets `mamnun` by consonant spelling), idioms too (`harf nadare`);
- بی + a noun (بی‌کیفیت, بی‌نقص, `bi javab`): lacking a good thing is bad, lacking a fault good;
- an indefinite ی on an adjective before a copula or after an intensifier (تجربه خوبی بود);
and, for a clause: a rating (۱۰ از ۱۰, 2/10), a count of weeks or days (a wait), and repeated
attempts to reach the shop (سه بار زنگ زدم, emailed twice), a missing part (تو جعبه نبود); for a
message: what came against what was expected (به جای ۳۸، ۴۰ اومده). Pure functions over the lexicon.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from language import nlp
from language.finglish import consonant_spelling, skeleton
from language.sentiment_lexicon import Key, Lexicon

# Finglish pronoun and copula endings a word may carry: kifiyatesh, rangesh, ghashange, aliye.
_LATIN_ENDINGS = ("eshoon", "eshun", "etoon", "etun", "esh", "et", "am", "e", "ye", "ast", "i")
_PERSIAN_INDEFINITE = ("ی", "ای")
_RATING = re.compile(r"\b(\d{1,3}) ?(?:از|az|out of|/) ?(5|10|20|100)\b")
RATING_WEIGHT = 1.3  # 9 از 10 or better, scaled down to a complaint at 4 of 10 or worse
# A count of weeks or months (یه هفته شد, two weeks), or of days, is a wait; "in 3 days"
# (۳ روز دیگه, 3 days later) is a promise, not a wait.
DURATION_WEIGHT = -0.8
_COUNT = (r"(?:\d+|یه|یک|دو|سه|چهار|پنج|شش|هفت|ده|پونزده|بیست|چند|ye|yek|do|se|chahar|panj|dah|"
          r"chand|a|one|two|three|four|five|ten|several)")
_DAYS = r"(?:\d+|سه|چهار|پنج|شش|هفت|ده|پونزده|بیست|چند|se|chahar|panj|dah|chand|three|four|five|ten|several)"
_LATER = r"(?! (?:دیگه|بعد|کاری|dige|kari|later|more))"
_DURATION = re.compile(
    rf"\b(?:{_COUNT} (?:هفته|هفتس|ماه|hafte|mah|weeks?|months?)|{_DAYS} (?:روزه?|roo?ze?|ruze?|days){_LATER}"
    r"|(?:2|دو|do) (?:روزه|rooze|roozeh|ruze))")
ATTEMPTS_WEIGHT = -0.8  # سه بار زنگ زدم, I've emailed twice, هر بار میپرسم: nobody dealt with it
_MANY = frozenset("2 3 4 5 6 7 8 9 10 20 100 دو سه چهار پنج چند چندین ده صد هزار هر do se chand dah sad "
                  "hezar har two three four five several ten hundred every many".split())
_JOINED_TIMES = re.compile(r"\d+(?:bar|bare|dafe)$")  # 3bar, 2bare (dobare is "again")
_TIMES = frozenset("بار باره دفعه دفه bar bare dafe daf'e times twice".split())


def fuzzy_latin(tokens: Sequence[str], start: int, lexicon: Lexicon) -> tuple[int, float] | None:
    """A Finglish idiom or word at `start` matched by consonants, as (length, weight)."""
    for length in (3, 2):
        run = tokens[start:start + length]
        if len(run) == length and all(token.isascii() and token.isalpha() for token in run):
            key = tuple(skeleton(token) for token in run)
            if key in lexicon.skeleton_phrases:
                return length, lexicon.skeleton_phrases[key]
    token = tokens[start]
    if not (token.isascii() and token.isalpha()):
        return None
    for form in [token] + [token[:-len(ending)] for ending in _LATIN_ENDINGS
                           if token.endswith(ending) and len(token) - len(ending) >= 3]:
        for table, key in ((lexicon.latin_spellings, consonant_spelling(form)),
                           (lexicon.skeleton_words, skeleton(form))):
            if key in table:
                return 1, table[key]
    return None


GOOD_PREFIX_WEIGHT = 0.9  # خوش + noun is a virtue: خوش‌سلیقه, خوش‌اخلاق, خوش‌حساب
_NOT_GOOD_PREFIX = ("خوشم", "خوشش", "خوشت", "خوشمون", "خوشتون", "خوششون", "خوشا")
_WELCOME = frozenset("اومدید اومدین آمدید آمدین اومدی آمدی".split())  # خوش آمدید greets
_WISHED = frozenset("شب شبتون شبت روز روزتون روزت وقت وقتتون".split())


def privative(tokens: Sequence[str], start: int, lexicon: Lexicon) -> tuple[int, float] | None:
    """بی + a noun of the privative table, joined (بیکیفیت) or apart (بی جواب, bi kifiyat); خوش + a noun."""
    token = tokens[start]
    if token == "خوش" and start + 1 < len(tokens) and tokens[start + 1] not in _WELCOME \
            and not tokens[start + 1].startswith("باش") and not (start and tokens[start - 1] in _WISHED):
        return 2, GOOD_PREFIX_WEIGHT  # not a wish: شب خوش, خوش باشید
    if token.startswith("خوش") and len(token) >= 6 and not token.startswith(_NOT_GOOD_PREFIX):
        return 1, GOOD_PREFIX_WEIGHT
    if token in ("بی", "bi", "bee") and start + 1 < len(tokens):
        noun, length = tokens[start + 1], 2
    elif token.startswith("بی") and len(token) > 3:
        noun, length = token[2:], 1
    else:
        return None
    forms = [noun] + [noun[:-len(end)] for end in ("ش", "شون", "ه", "ی", "e", "esh") if noun.endswith(end)]
    weight = next((lexicon.privative[form] for form in forms if form in lexicon.privative), None)
    if weight is None and noun.isascii() and length == 2:  # bi kefiat, bi keyfiat: by consonants
        weight = next((lexicon.privative_skeletons[skeleton(form)] for form in forms
                       if skeleton(form) in lexicon.privative_skeletons), None)
    return None if weight is None else (length, weight)


def indefinite(tokens: Sequence[str], start: int, lexicon: Lexicon, table: dict[Key, float]) -> float | None:
    """خوبی/بدی/khubi as an adjective: after an intensifier or before a copula (جنس خوبی بود)."""
    token = tokens[start]
    before = tokens[start - 1] if start else ""
    after = tokens[start + 1] if start + 1 < len(tokens) else ""
    if before not in lexicon.intensifiers and after not in lexicon.sets["copulas"]:
        return None
    for ending in (*_PERSIAN_INDEFINITE, "i"):
        if token.endswith(ending) and (token[:-len(ending)],) in table:
            return table[(token[:-len(ending)],)]
    return None


def rating(text: str) -> float | None:
    """The weight of a rating written as a fraction (۱۰ از ۱۰, 8/10, 5 out of 5), if any."""
    match = _RATING.search(text)
    if not match or int(match.group(1)) > int(match.group(2)):
        return None
    share = int(match.group(1)) / int(match.group(2))
    return RATING_WEIGHT if share >= 0.7 else -RATING_WEIGHT if share <= 0.4 else 0.0


def is_wait(text: str) -> bool:
    """Whether a clause counts weeks, months or days (a statement of waiting).

    Not when an arrival follows in the present ("چند روزه میرسه", a question or a promise), nor
    when a few days are followed by the arrival itself ("۲ روزه رسید": it came fast).
    """
    return any(not _ARRIVAL_AFTER.match(text, match.end()) and not (
        _FEW_DAYS.fullmatch(match.group()) and _ARRIVED_AFTER.match(text, match.end()))
        and not _WITHIN.search(text, 0, match.start())
        for match in _DURATION.finditer(text))


# "in 2 days", ظرف یه هفته, "in these two weeks it grew two leaves": how fast, or what happened meanwhile, not a wait.
_WITHIN = re.compile(r"(?:\b(?:in|in just|in only|in like)|ظرف|zarfe|طی|(?:تو|توی|tu|too) این) $")


_ARRIVAL_AFTER = re.compile(r" (?:میرسه|میرسد|میاد|میاید|می رسه|برسه|mirese|miresе|miad|berese|biad|arrives?)\b")
_ARRIVED_AFTER = re.compile(r" (?:رسید|اومد|رسیدن|اومدن|دستم رسید|resid|oomad|umad|arrived|came)\b")
_FEW_DAYS = re.compile(r"(?:1|2|3|یه|یک|دو|سه|ye|yek|do|se|one|two|three) (?:روزه?|roo?ze?|ruze?|days?)")
UNMET_EXPECTATION_WEIGHT = -1.0
_EXPECTED_LATIN = frozenset("expected expecting expect expectations entezar entezaram entezaresh tavaqo".split())
_MORE = frozenset("بیشتر بیشتری بهتر بهتری more better bishtar behtar".split())
_THAN = frozenset("از than az".split())


def _is_expectation(token: str) -> bool:
    return token.startswith(("انتظار", "توقع")) or token in _EXPECTED_LATIN


def unmet_expectation(tokens: Sequence[str]) -> set[int]:
    """Positions of "more"/"better" in a clause that expected more (انتظار بیشتری داشتم, expected much better).

    "better than expected" (بهتر از انتظارم بود) is praise: a comparative followed by "than" and
    the expectation is not counted.
    """
    if not any(_is_expectation(token) for token in tokens):
        return set()
    return {index for index, token in enumerate(tokens) if token in _MORE and not (
        index + 2 < len(tokens) and tokens[index + 1] in _THAN and _is_expectation(tokens[index + 2]))}


def is_repeated_attempt(tokens: Sequence[str], lexicon: Lexicon) -> bool:
    """"three times I called", "هر بار میپرسم": a count of times and a way of reaching the shop."""
    counted = any(token in _MANY and following in _TIMES for token, following in zip(tokens, tokens[1:], strict=False))
    counted = counted or "twice" in tokens or any(_JOINED_TIMES.match(token) for token in tokens)
    return counted and not lexicon.sets["attempt_words"].isdisjoint(tokens)


MISSING_WEIGHT = -0.8  # "the charger wasn't in the box", کفش راستش تو جعبه نیست
MISMATCH_WEIGHT = -0.9  # "instead of 38 a 40 came", تو عکس آبی بود، اومده سبز


def is_missing_part(tokens: Sequence[str], lexicon: Lexicon) -> bool:
    """A statement that something is not in the box or parcel."""
    return (not lexicon.sets["containers"].isdisjoint(tokens)
            and not lexicon.sets["negated_copulas"].isdisjoint(tokens))


def is_mismatch(tokens: Sequence[str], lexicon: Lexicon) -> bool:
    """A statement that what came differs from what was ordered or shown.

    "instead of", "in the photo" beside a delivery verb; or an order of one number and a
    delivery of another ("سایز ۳۰ سفارش دادم ۲۸ فرستادین", ordered 128, sent 64).
    """
    text = " ".join(tokens)
    delivered = [index for index, token in enumerate(tokens) if token in lexicon.sets["delivery_verbs"]]
    if not delivered:
        return False
    if any(marker in text for marker in lexicon.expectation_markers):
        return True
    ordered = next((index for index, token in enumerate(tokens) if token in _ORDERED), None)
    if ordered is None or ordered > delivered[-1]:
        return False
    numbers = {int(number) for number in _SMALL_NUMBER.findall(text)}
    named = {token for token in tokens if token in _KINDS}
    return len(numbers) >= 2 or len(named) >= 2 and len({_KINDS[token] for token in named}) == 1


_ORDERED = frozenset("سفارش سفارشم خریدم خواستم ordered order sefaresh kharidam khastam wanted".split())
# Colours and sizes: two of one kind beside an order and a delivery are what was ordered and what came
# ("رنگ مشکی سفارش دادم سفید اومد", "سایز لارج خواستم اسمال فرستادین").
_KINDS = dict.fromkeys(nlp.word_set("""مشکی سفید قرمز آبی سبز زرد صورتی بنفش نارنجی طوسی خاکستری قهوه‌ای کرم
سرمه‌ای black white red blue green yellow pink purple grey gray brown beige navy meshki sefid ghermez abi sabz zard
soorati banafsh narenji tusi khakestari"""), "colour") | dict.fromkeys(nlp.word_set("""اسمال مدیوم لارج ایکسلارج
small medium large xl xxl xs"""), "size")
_SMALL_NUMBER = re.compile(r"(?<!\d)\d{1,3}(?!\d)")  # sizes and capacities, not order numbers


def in_use(tokens: Sequence[str], lexicon: Lexicon) -> bool:
    """A duration of use, not of waiting: "using it for a week", "دو ماهه میپوشه", a warranty's months."""
    return any(tuple(tokens[index:index + len(marker)]) == marker
               for marker in lexicon.use_markers for index in range(len(tokens)) if tokens[index] == marker[0])


def neither_nor(tokens: Sequence[str]) -> int | None:
    """Where "نه X نه Y" (na … na, neither … nor) starts: the faults after it did not happen."""
    for word in ("نه", "na", "neither"):
        if tokens.count(word) >= 2 or (word == "neither" and word in tokens and "nor" in tokens):
            return tokens.index(word)
    return None


BROKEN_PROMISE_WEIGHT = -0.8  # "you said free shipping, then the courier charged me", گفتین موجوده، حالا میگین تموم شده
_SAID = frozenset("""گفتین گفتید گفتن گفت گفته gofti goftin goftid goftan goft gofte said told""".split())
_RELATIVE = frozenset("""که ke همونطور همانطور as like""".split())  # "the model you said", "as you said"
_TURNS = frozenset("""ولی اما but vali ama amma بعد حالا الان now then hala alan bad""".split())
_NOT_TURNS = {"بعد": "به", "bad": "be", "حالا": "تا", "hala": "ta"}  # از این به بعد, تا حالا: no turn


def is_broken_promise(tokens: Sequence[str]) -> bool:
    """A saying reported, then a turn: what was said did not happen ("گفتین ارسال رایگانه، بعد پیک ۸۰ تومن گرفت").

    Not a saying in a relative clause ("the model you said", "as you told me"), and not "so far" or "from now on".
    """
    said = next((index for index, token in enumerate(tokens)
                 if token in _SAID and not (index and tokens[index - 1] in _RELATIVE)), None)
    if said is None:
        return False
    return any(token in _TURNS and tokens[index - 1] != _NOT_TURNS.get(token)
               for index, token in enumerate(tokens[said + 1:], start=said + 1))


PROMISED_PURCHASE_WEIGHT = 0.9  # "حتما دوباره ازتون میخرم", "will definitely order the walnuts again"
_SURELY = frozenset("حتما حتماً hatman definitely surely".split())
# "فقط از شما میخرم", "دیگه همینو میگیرم": only from you, only this one from now on.
_ONLY_YOURS = (("فقط", "از"), ("faghat", "az"), ("only", "from"), ("همینو", "میگیرم"), ("hamino", "migiram"),
               ("از", "شما"), ("az", "shoma"))  # "فقط" splits a clause: "… فقط | از شما میخرم"
_BUYING = frozenset("""میدم میخرم میگیرم میخریم میگیریم میدیم میکنم midam mikharam migiram mikharim migirim
order buy purchase""".split())


def promises_a_purchase(tokens: Sequence[str]) -> bool:
    """A customer saying they will surely buy again: a word of certainty, then a verb of buying or ordering."""
    surely = next((index for index, token in enumerate(tokens) if token in _SURELY), None)
    if surely is not None and not _BUYING.isdisjoint(tokens[surely + 1:]):
        return True
    only = nlp.has_pair(tokens, _ONLY_YOURS)
    return only and not _BUYING.isdisjoint(tokens)


LATE_FOR_OCCASION_WEIGHT = -1.0  # "the birthday cake came a day after the birthday", بعد از عروسی فرستادین
_AFTER = frozenset("بعد after bad".split())
_OCCASIONS = frozenset("""عروسی تولد عید جشن مراسم نوروز یلدا مهمونی مهمانی birthday wedding party eid nowruz
yalda arusi tavalod jashn""".split())


def late_for_an_occasion(tokens: Sequence[str]) -> bool:
    """Whether "after" is followed, within three words, by the occasion the order was for."""
    return any(token in _AFTER and any(_is_occasion(word) for word in tokens[index + 1:index + 4])
               and not (index and tokens[index - 1] in _NEXT_TIME) for index, token in enumerate(tokens))


def _is_occasion(word: str) -> bool:
    """An occasion, also with a pronoun on it (تولدش, عروسیمون)."""
    return word in _OCCASIONS or any(word.endswith(ending) and word[:-len(ending)] in _OCCASIONS
                                     for ending in ("ش", "م", "ت", "شون", "مون", "تون", "e", "esh", "am"))


_NEXT_TIME = frozenset("دفعه دفه بار سری هفته ماه dafe bare seri hafte mahe".split())  # دفعه بعد: "next time"


# Another shop: "از یه جای دیگه گرفته بودم پاره شد", "ghablan az ye ja dg kharidam", "bought one elsewhere".
_ELSEWHERE = (("جای", "دیگه"), ("جاهای", "دیگه"), ("جای", "دیگر"), ("jaye", "dige"), ("ja", "dg"), ("ja", "dige"),
              ("another", "shop"), ("other", "shops"), ("another", "store"))


def about_another_shop(tokens: Sequence[str]) -> bool:
    """Whether a clause speaks of buying somewhere else (its complaints are about that shop)."""
    return "elsewhere" in tokens or nlp.has_pair(tokens, _ELSEWHERE)
