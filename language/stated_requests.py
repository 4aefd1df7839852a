"""Requests a message makes without asking them, and small talk that only looks like a request.

`intent_rules` reads these after the classifier: a wait stated with nothing asked ("you said two
days, it has been a week") is a question about the order's status, and what came, stated with
nothing asked, is none; two prices set against each other ("is the white one the same price as the
grey?") ask a price; "are you there?" or "do you answer?" with nothing else is a greeting, and when
the shop can be called is its opening hours; a mobile number beside a word of calling asks for a
person, and a judgement of the bot or a person of the shop asks for nobody; a decision put off
("maybe later", "فعلا نه") or a laugh is no farewell; thanks given ahead of the answer ("ممنون میشم
بگید …") and a turn after small talk ("… فقط کی میرسه") leave the request to decide; words of address
and excuse beside a greeting ("سلام آقای فروشنده") say nothing more. Word lists only, by category, in
our own words; the functions take normalised word tokens.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from language import nlp

_words = nlp.word_set


# Something that should have come and has not: the parcel, the goods, the courier.
_NOT_ARRIVED = _words(
    "نیومد", "نیومده", "نیامد", "نیامده", "نرسید", "نرسیده", "نرسیدن", "نرسیدند", "نفرستادین", "نفرستادید",
    "نفرستادن", "nayumad", "nayumade", "nayomad", "nayomade", "nayoomad", "nayoomade", "naumad", "naresid",
    "nareside", "naresideh", "nafrestadin", "hasn't", "hasnt", "didn't", "didnt", "never", "haven't", "havent",
    "yet")
_ARRIVING = _words(
    "arrived", "arrive", "came", "come", "received", "receive", "got", "get", "delivered", "shipped", "sent")
_PERSIAN_NOT_ARRIVED = _NOT_ARRIVED - _words("hasn't", "hasnt", "didn't", "didnt", "never", "haven't", "havent",
                                             "yet")
# What an order is: the parcel, the goods, the courier who brings them.
_ORDERED = _words(
    "سفارش", "سفارشم", "سفارشمون", "بسته", "بستم", "بسته‌ام", "جنس", "جنسم", "جنسا", "کالا", "کالام", "مرسوله",
    "مرسولم", "خرید", "خریدم", "پیک", "پستچی", "محموله", "کیفم", "کفشم", "لباسم", "sefaresh", "sefaresham",
    "baste", "bastam", "jens", "kala", "kharid", "kharidam", "peyk", "postchi", "order", "parcel", "package", "courier",
    "postman", "delivery", "item", "items", "stuff", "it", "nothing", "هیچی", "hichi", "چیزی", "chizi",
    # what was paid for: "اون دامنی که دوشنبه واریز کردم هیچ خبری ازش نیست"
    "واریز", "paid", "variz")
# A refund or a reply that has not come is no parcel.
_NOT_A_PARCEL = _words(
    "پولم", "پولمو", "refund", "money", "جواب", "جوابی", "پاسخ", "answer", "reply", "javab", "پیام",
    "پیامم", "message", "sms", "کد", "code", "ایمیل", "email", "فاکتور", "invoice", "رسید", "receipt", "فاکتورش",
    "faktor", "factor")
# "جوابمو ندادین، سه روز گذشته": a reply or a message that has not come, in any of its forms.
_REPLY_PREFIXES = ("جواب", "پاسخ", "پیام", "javab", "pasokh", "payam", "repl", "answer", "messag")
# Returning or exchanging: how long ago something was bought is then the return window.
_RETURNING = ("مرجوع", "تعویض", "عوض", "return", "refund", "exchange", "marjoo", "taviz", "avaz")
_GIVING_BACK = {("پس", "بدم"), ("پس", "بدیم"), ("پس", "بدهم"), ("pas", "bedam"), ("pas", "bedim"), ("send", "back")}
# "گفتین ۴۸ ساعته، الان ۵ روز گذشته": a promise set against the time that has passed.
_PROMISED = _words(
    "گفتین", "گفتید", "گفتن", "گفته", "قرار", "قول", "goftin", "goftid", "gofte", "gharar", "ghol", "said",
    "promised", "supposed", "told")
_TIME_PASSED = _words(
    "گذشته", "گذشت", "گذشتس", "شده", "شد", "میشه", "gozashte", "gozasht", "shode", "mishe", "passed", "been",
    "later", "ago", "over",
    # "گفتید سه روز کاری، امروز روز هفتمه", "I was told 2-3 days. It's day 6": the day the wait has reached
    "دومه", "سومه", "چهارمه", "پنجمه", "ششمه", "هفتمه", "هشتمه", "نهمه", "دهمه", "it's", "its")
_SPANS = _words(
    "روز", "روزه", "روزه‌ست", "هفته", "هفتس", "هفته‌ست", "هفتست", "ماه", "ماهه", "ساعت", "ساعته", "rooz", "ruz",
    "rooze", "ruze", "hafte", "haftas", "mah", "saat", "saate", "day", "days", "week", "weeks", "month", "hours")

# A span said to have passed right after it ("یه هفته شد", "ye hafte shod", "two weeks passed").
_SPAN_PASSED = _words("گذشته", "گذشت", "شد", "شده", "shod", "shode", "gozasht", "gozashte", "passed", "now")
_AUXILIARIES = (["has"], ["have"], ["had"], ["is"], ["was"])
# A span in its "it has been" form ("سه روزه", "4 rooze", "یه هفته‌ست"), beside an order, waiting or a stage
# of preparing it ("این کرم سه ماهه بازه، هنوز خوبه؟" is no wait).
_SPANS_SO_FAR = _words("روزه", "روزس", "هفتس", "هفته‌ست", "هفتست", "ماهه", "rooze", "ruze", "haftas", "haftast")
_STILL_WAITING = _words("منتظرم", "منتظریم", "منتظر", "montazeram", "montazer", "waiting", "آماده", "آمادهسازی",
                        "آماده‌سازی", "مرحله", "پردازش", "amade", "marhale", "pardazesh", "processing", "preparing")
# "3 weeks and still nothing": a span with nothing come yet.
_STILL_NOTHING = {("still", "nothing"), ("هنوز", "هیچی"), ("hanuz", "hichi"), ("hanooz", "hichi"), ("still", "no"),
                  ("هنوز", "خبری"), ("hanuz", "khabari"), ("hanooz", "khabari")}
# "تحویل شده زده ولی دم در چیزی نبود", "site says delivered, I never got it": marked delivered, not received.
_MARKED_DELIVERED = {("تحویل", "شد"), ("تحویل", "شده"), ("tahvil", "shod"), ("tahvil", "shode"),
                     ("says", "delivered"), ("marked", "delivered"), ("shows", "delivered")}
_NOT_RECEIVED = _words("نگرفتم", "نگرفتیم", "نگرفتن", "نگرفته", "ندادن", "ندادین", "ندادید", "نبود", "nagereftam",
                       "nagereftim", "nagereftan", "nadadan", "nabud", "never", "nothing", "didn't", "didnt")
_NO_NEWS = {("خبری", "نیست"), ("خبری", "نشده"), ("khabari", "nist"), ("khabari", "nashode"), ("no", "news"),
            ("no", "update"), ("no", "updates"), ("خبری", "ازش"), ("khabari", "azash")}


# "still waiting on the air fryer", "هنوز منتظر یخچالم": the thing bought named, still not come ("still waiting for it
# to be back in stock" waits for a restock).
_STILL_WAITING_PAIRS = {("still", "waiting"), ("هنوز", "منتظرم"), ("هنوز", "منتظر"), ("hanuz", "montazeram"),
                        ("hanooz", "montazeram"), ("hanuz", "montazer"), ("hanooz", "montazer")}
_RESTOCK = _words("موجود", "موجودی", "mojud", "mojood", "stock", "restock", "restocked", "available")


def states_a_wait(tokens: Sequence[str]) -> bool:
    """Whether a message states that an order has not come, or that a promised time has passed."""
    marked = nlp.has_pair(tokens, _MARKED_DELIVERED)
    if marked and not _NOT_RECEIVED.isdisjoint(tokens) and not any(token.startswith(_RETURNING) for token in tokens):
        return True  # "پیامک زده تحویل شد ولی به من چیزی ندادن": the text message says so, the parcel is missing
    if (not _NOT_A_PARCEL.isdisjoint(tokens) or any(token.startswith(_RETURNING + _REPLY_PREFIXES) for token in tokens)
            or nlp.has_pair(tokens, _GIVING_BACK)):
        return False  # "از خرید ۵ روز گذشته، میتونم پس بدم؟" asks about a return
    ordered = not _ORDERED.isdisjoint(tokens)
    if ordered and not _PERSIAN_NOT_ARRIVED.isdisjoint(tokens):
        return True
    if ordered and any(token in _ARRIVING and (position and (tokens[position - 1] in _NOT_ARRIVED or tokens[
            position - 1] == "not")) for position, token in enumerate(tokens)):
        return True  # "it hasn't arrived", "the parcel never came", "not received"
    if ordered and nlp.has_pair(tokens, _NO_NEWS):
        return True  # "از ارسال خبری نیست"
    if any(token in _SPANS and not _SPAN_PASSED.isdisjoint(
            tokens[position + 1:position + (3 if tokens[position + 1:position + 2] in _AUXILIARIES else 2)])
           for position, token in enumerate(tokens)):
        return True  # "ye hafte shod!!", "دو روز گذشته"
    if any(token in _SPANS and (tokens[position - 1:position] == ["been"] or (
            not _ORDERED.isdisjoint(tokens[position + 1:position + 4])
            and not _SPAN_PASSED.isdisjoint(tokens[position + 2:position + 4])))
           for position, token in enumerate(tokens)):
        return True  # "it's been 10 days and …", "2 hafte az kharid gozashte"
    if not _SPANS.isdisjoint(tokens) and nlp.has_pair(tokens, _STILL_NOTHING):
        return True  # "3 weeks and still nothing"
    if not _SPANS_SO_FAR.isdisjoint(tokens) and (ordered or not _STILL_WAITING.isdisjoint(tokens)):
        return True  # "hanooz tu marhale amade sazi, 4 rooze"
    if any(token in _SPANS and tokens[position + 1:position + 3] == ["of", "waiting"]
           for position, token in enumerate(tokens)):
        return True  # "a month of waiting", the English span so far
    if not _PROMISED.isdisjoint(tokens) and not _ARRIVES.isdisjoint(tokens):
        return True  # "شنبه گفتین میرسه الان چهارشنبه ست!"
    if not _PROMISED.isdisjoint(tokens) and not _PERSIAN_NOT_ARRIVED.isdisjoint(tokens):
        return True  # "امروز قرار بود بیاد نیومد": promised, and not come
    if nlp.has_pair(tokens, _STILL_WAITING_PAIRS) and _RESTOCK.isdisjoint(tokens):
        return True
    return (not _PROMISED.isdisjoint(tokens) and not _SPANS.isdisjoint(tokens)
            and not _TIME_PASSED.isdisjoint(tokens))


# "ghmt sfid ba khakestari yekie?", "kodoom arzun tare?": a price set against another's.
_COMPARING = _words(
    "یکیه", "یکیه؟", "یکسانه", "یکسان", "یکی", "فرق", "فرقش", "فرقی", "تفاوت", "ارزونتر", "ارزونتره", "ارزان‌تر",
    "گرونتر", "گرونتره", "گران‌تر", "کدوم", "کدام", "کدومش", "yekie", "yekiye", "yeki", "fargh", "farghi",
    "tafavot", "arzuntar", "arzoontar", "gerountar", "gerontar", "kodoom", "kodum", "kodom", "same", "difference",
    "cheaper", "pricier", "which", "vs", "versus", "than", "tare", "tar", "تره", "تر")


def compares_prices(tokens: Sequence[str]) -> bool:
    """Whether a message sets one price against another (the price keyword is the caller's to find)."""
    return not _COMPARING.isdisjoint(tokens)


# "سلام، جواب میدین؟", "هستید؟", "anyone there?": whether anyone answers, with no time asked.
_ARE_YOU_THERE = _words(
    "جواب", "پاسخ", "پاسخگو", "میدین", "میدید", "میدی", "میدن", "میدهید", "میدهین", "هستید", "هستین", "هستی", "هست",
    "هستن", "کسی", "اونجا", "آنلاین", "انلاین", "javab", "pasokh", "midin", "midid", "midi", "hastid", "hastin",
    "hastan", "hasti", "hast", "kasi", "oonja", "unja", "online", "answer", "answering", "reply", "replying", "respond",
    "there", "anyone", "anybody", "someone", "somebody", "is", "are", "you", "do", "u", "r", "ya", "یا", "نه",
    "na", "no", "or", "not", "still", "هنوز", "hanuz", "hanooz",
    # the colloquial and SMS spellings: "کسی اونجا هس؟", "kasi onjas javab bede?", "ksi hst", "الو؟ هستین؟"
    "میده", "بده", "mide", "bede", "اونجاس", "onjas", "unjas", "onja", "هس", "hs", "hst", "ksi", "الو", "alo", "allo",
    # "کسی اینجا هست؟", "ببخشید هستید؟", "anybody here?"
    "اینجا", "اینجاس", "inja", "injas", "here", "ببخشید", "ببخشین", "bebakhshid", "bebakhshin", "excuse", "me",
    "around", "guys")
_ANSWERING = _ARE_YOU_THERE - _words("is", "are", "you", "do", "u", "r", "ya", "یا", "نه", "na", "no", "or", "not",
                                     "still", "هنوز", "hanuz", "hanooz", "الو", "alo", "allo", "اینجا", "inja", "here",
                                     "ببخشید", "ببخشین", "bebakhshid", "bebakhshin", "excuse", "me",
                                     "guys")


def may_ask_whether_anyone_answers(tokens: Sequence[str]) -> bool:
    """A cheap first look: whether a word of answering or being there is in the message at all."""
    return not _ANSWERING.isdisjoint(tokens)


def asks_whether_anyone_answers(tokens: Sequence[str]) -> bool:
    """Whether a message (its small talk aside) only asks whether anyone is there to answer."""
    return bool(tokens) and not _ANSWERING.isdisjoint(tokens) and all(token in _ARE_YOU_THERE for token in tokens)


# "maybe later", "فعلا نه", "فعلا پول ندارم": a decision put off is no farewell.
_FOR_NOW = _words("فعلا", "فعلاً", "فعلن", "felan", "felaan", "later", "بعدا", "بعدن", "badan", "now", "tomorrow",
                  "فردا", "farda", "next", "time")
_PUTTING_OFF = _words(
    "نه", "na", "nah", "no", "not", "maybe", "perhaps", "شاید", "shayad", "shaiad", "اگه", "age", "if", "حالا",
    "hala", "ببینم", "bebinam", "think", "فکر", "fekr",
    # "فعلا پول ندارم، بمونه سر برج": let it wait
    "بمونه", "bemune", "bemoone", "bemone")
# "haha nice", "خخخ عالی": a laugh.
_LAUGHING = _words("haha", "hahaha", "hehe", "lol", "lmao", "خ", "ههه", "هه", "kh", "khkh", "جالبه", "jalebe")


def puts_off_or_laughs(tokens: Sequence[str]) -> bool:
    """Whether a message puts a decision off ("maybe later", "فعلا نه") or laughs."""
    if not _LAUGHING.isdisjoint(tokens):
        return True
    if _FOR_NOW.isdisjoint(tokens):
        return False
    return not _PUTTING_OFF.isdisjoint(tokens) or any(nlp.is_negated_verb(token) for token in tokens)


def without_for_now(tokens: Sequence[str]) -> list[str]:
    """The tokens without the words of "for now" and "later" (to look for a farewell keyword of its own)."""
    return [token for token in tokens if token not in _FOR_NOW]


# Words that address the shop or excuse the writer beside a greeting ("سلام آقای فروشنده", "درود بر تیم
# فروش", "ببخشید مزاحم شدم", "روزتون پر انرژی"): no content of their own.
ADDRESS_AND_COURTESY = _words(
    "آقا", "آقای", "خانم", "خانوم", "فروشنده", "فروش", "نده", "تیم", "ادمین", "مدیریت", "کارکنان", "همکاران",
    "دوستان", "عزیز", "عزیزم", "عزیزان", "جان", "گرامی", "محترم", "بر", "پر", "انرژی", "شاد", "شادی", "ببخشید",
    "ببخشین", "مزاحم", "مزاحمتون", "شدم", "میشم", "روزتون", "وقتتون", "شبتون", "صبحتون", "عصرتون", "خوش", "باشه",
    "باشید", "باشین", "agha", "khanum", "khanoom", "azizam", "aziz", "doostan", "dustan", "bebakhshid",
    "bebakhshin", "mozahem", "shodam", "team", "admin", "sir", "madam", "guys", "dear", "friends", "everyone",
    "all", "there", "sorry", "bother", "bothering",
    # blessings and a season's wishes beside a greeting: "عیدتون مبارک، انشالله کاسبیتون پر رونق", "wishing you a
    # blessed Friday and lots of customers", "ضمن آرزوی توفیق روزافزون"
    "عید", "عیدتون", "مبارک", "انشالله", "ایشالا", "ایشالله", "انشاالله", "سال", "سالی", "خوبی", "داشته", "کاسبی",
    "کاسبیتون", "کسب", "کسبتون", "رونق", "پررونق", "برکت", "توفیق", "روزافزون", "آرزوی", "آرزو", "ضمن", "تحیات",
    "خدا", "قوت", "موفق", "موفقیت", "سلامت", "eidetun", "mobarak", "ishala", "inshallah", "wishing", "wish",
    "blessed", "blessings", "happy", "lots", "of", "customers", "success", "successful", "prosperous", "holiday",
    "holidays", "season", "you")

# "… فقط کی میرسه", "… but it still hasn't come", "… راستی قیمتش چنده": a turn from small talk to a request.
TURNS = _words("فقط", "ولی", "اما", "راستی", "faghat", "vali", "ama", "rasti", "but", "just", "btw", "however")

# "ta farda mirese?", "تا شنبه میرسه؟": a day named beside an arrival dates it; "until tomorrow" is then no farewell.
_ARRIVES = _words("میرسه", "برسه", "میرسن", "برسن", "میرسد", "mirese", "berese", "miresan", "arrive", "arrives",
                  "arriving", "delivered", "tahvil", "تحویل")
_DAYS = _words("فردا", "پسفردا", "پس‌فردا", "امروز", "شنبه", "یکشنبه", "دوشنبه", "سهشنبه", "چهارشنبه", "پنجشنبه", "جمعه",
               "هفته", "بعد", "تا", "farda", "pasfarda", "emruz", "emrooz", "shanbe", "jome", "ta", "bad", "hafte",
               "tomorrow", "today", "monday", "friday", "weekend", "next", "week", "by", "until", "see", "you")


# "بسته ساعت چند میرسه؟", "what time will my order arrive?": the hour of an order's coming, not the shop's hours
# ("تا ساعت چند بازید که سفارشمو تحویل بگیرم؟" asks them).
_OPENING = _words("باز", "بازید", "بازین", "بازه", "تعطیل", "تعطیلید", "baz", "bazid", "bazin", "open", "closed",
                  "close", "shut",
                  # closing ("shabe yalda dirtar mibandin?") and the formal "open" ("آیا در ایام نوروز دایر است؟")
                  "میبندین", "میبندید", "میبندی", "میبندن", "میبندند", "mibandin", "mibandid", "mibandi", "mibandan",
                  "دایر", "dayer", "bastin", "bastid", "تشریف", "tashrif", "nimeroz", "nimeroze", "نیمروز", "نیمروزه")


# "shanbe ha az chand baz mishe?", "تا ساعت چند بازید؟": from or until what time the shop opens or closes.
_FROM_OR_UNTIL_WHEN = (("از", "چند"), ("تا", "چند"), ("az", "chand"), ("ta", "chand"), ("until", "when"),
                       ("until", "what"), ("from", "what"), ("تا", "چه"), ("از", "چه"), ("از", "کی"), ("az", "key"),
                       ("az", "kei"))


def asks_when_it_opens(tokens: Sequence[str]) -> bool:
    """Whether a message asks from or until what time the shop is open (a word of opening or closing in it)."""
    return nlp.has_pair(tokens, _FROM_OR_UNTIL_WHEN) and not _OPENING.isdisjoint(tokens)


def names_an_order_arriving(tokens: Sequence[str]) -> bool:
    """Whether a message names an order or parcel and its arriving, and nothing of the shop's opening."""
    return not _ORDERED.isdisjoint(tokens) and not _ARRIVES.isdisjoint(tokens) and _OPENING.isdisjoint(tokens)


def names_an_arrival(tokens: Sequence[str]) -> bool:
    """Whether a message names something arriving (a parcel's verb, not a visitor's)."""
    return not _ARRIVES.isdisjoint(tokens)


def without_days(tokens: Sequence[str]) -> list[str]:
    """The tokens without the days and "until" (to look for a farewell of its own)."""
    return [token for token in tokens if token not in _DAYS]

# "call me on 0912…", "zng bznid bm 0912…": a mobile number beside a word of calling asks for a person.
_MOBILE_NUMBER = re.compile(r"(?<!\d)(?:\+?98|0)?9\d{9}(?!\d)")
_CALLING = _words("زنگ", "تماس", "zang", "zng", "tamas", "tms", "call", "ring", "phone", "callback")


# "phone number", "شماره تماس": a number named, no call asked ("the right phone number is 0935…").
_NUMBER_WORDS = _words("number", "numbers", "no", "شماره", "شمارهی", "shomare", "shomareye", "shmr")


def asks_to_be_called_on_a_number(text: str, tokens: Sequence[str]) -> bool:
    """Whether a message gives a mobile number and a word of calling (zang, تماس, call) that is no part of the
    number's name ("phone number", "شماره تماس")."""
    normalized = nlp.normalize(text)
    calling = any(token in _CALLING and not (
        (token == "phone" and tokens[position + 1:position + 2] and tokens[position + 1] in _NUMBER_WORDS)
        or (token in ("تماس", "tamas") and position and tokens[position - 1] in _NUMBER_WORDS
            and f"{tokens[position - 1]} {token}" in normalized))  # "با شماره ۰۹۱۲… تماس بگیرید" still calls
        for position, token in enumerate(tokens))
    return calling and _MOBILE_NUMBER.search(normalized.replace(" ", "")) is not None

# "بسته رو گرفتم", "got it today, thanks": what has come, stated with nothing asked, asks no status.
_RECEIVED = _words("گرفتم", "گرفتیم", "رسید", "رسیدن", "اومد", "اومدن", "آمد", "gereftam", "resid", "residan", "umad",
                   "oomad", "received", "arrived", "got", "came", "delivered",
                   # SMS Finglish: "bst rsd", "sfrsh rsd mrc"
                   "rsd", "grftm")
_STILL_OR_ASKING = _words(
    "هنوز", "کی", "کجا", "کجاست", "چرا", "چی", "فقط", "ولی", "اما", "hanuz", "hanooz", "kei", "key", "koja", "chera",
    "faghat", "vali", "ama", "still", "yet", "when", "where", "why", "what", "only", "but", "half", "نصف", "بقیه",
    "baghie", "rest", "wrong", "اشتباه", "اشتباهه", "eshtebah", "eshtebahe", "کجاست", "kojast", "kojas", "nothing",
    "هیچی", "hichi", "been", "days", "روزه", "rooze")


def states_what_came(text: str, tokens: Sequence[str]) -> bool:
    """Whether a message only states that something came (no question, no negation, nothing still missing)."""
    return ("?" not in nlp.normalize(text) and not _RECEIVED.isdisjoint(tokens)
            and _STILL_OR_ASKING.isdisjoint(tokens) and _NOT_ARRIVED.isdisjoint(tokens)
            and not any(nlp.is_negated_verb(token) for token in tokens))

# "ربات خوبی هستی", "in robot bahale 😂", "اپراتور شما خیلی مودب بود": a judgement of the bot or a person, no
# request for one.
_THE_BOT_OR_A_PERSON = _words(
    "ربات", "روبات", "رباته", "اپراتور", "اپراتورتون", "پشتیبان", "پشتیبانی", "پشتیبانیتون", "همکار", "همکارتون",
    "همکاراتون", "robot", "robote", "bot", "bote", "operator", "support", "agent", "staff", "poshtibani", "poshtiban",
    "operatoretun")
_JUDGING = _words(
    "خوب", "خوبی", "خوبیه", "مودب", "بامزه", "باحال", "باهوش", "عالی", "عالیه", "گل", "ماه", "مهربون",
    "مهربان", "bahal", "bahale", "bamaze", "bahoosh", "khoob", "khub", "khoobi", "khubi",
    "ali", "good", "nice", "funny", "cute", "smart",
    "kind", "polite", "helpful", "great", "lovely", "sweet", "دمش", "خیرش", "kheyresh")
_ASKING_FOR_ONE = _words(
    "میخوام", "میخواهم", "میخواستم", "بخوام", "وصل", "صحبت", "حرف", "تماس", "زنگ", "جواب", "بدید", "بدین", "لطفا",
    "کنید", "کنین", "mikham", "mikhastam", "vasl", "sohbat", "harf", "tamas", "zang", "javab", "lotfan", "want", "need",
    "connect", "talk", "speak", "call", "please", "answer", "reply", "can", "could", "get", "?")


def judges_the_bot_or_a_person(tokens: Sequence[str]) -> bool:
    """Whether a message judges the bot or a person of the shop and asks nothing of them."""
    return (not _THE_BOT_OR_A_PERSON.isdisjoint(tokens) and not _JUDGING.isdisjoint(tokens)
            and _ASKING_FOR_ONE.isdisjoint(tokens))

# "dige khaste shodam az in bot", "you keep answering the wrong thing", "این جوابای آماده به چه درد من میخوره": the
# bot, or its answers, complained of. A bare complaint about the bot wants a person (the corpus's convention).
_BOT_WORDS = _words("بات", "bot", "bote", "autoreply", "autoresponder", "منوی")  # "منوی اصلی" (its main menu)
_BOT_PREFIXES = ("ربات", "روبات", "robot", "chatbot")  # "robotetun", "رباتتون"
_ITS_ANSWERS = _words("جواب", "جوابا", "جوابای", "جوابهای", "جوابات", "javab", "javaba", "javabaye", "answer", "متن",
                      "answers", "answering", "reply", "replies", "replying")
_BOT_FAULTS = _words(
    "خسته", "khaste", "tired", "sick", "useless", "بدرد", "بدردنخور", "مسخره", "maskhare", "stupid", "dumb",
    "نمیفهمه", "نمیفهمی", "nemifahme", "nemifahmi", "wrong", "اشتباه", "eshtebah", "آماده", "amade", "canned",
    "تکراری", "tekrari", "same", "automatic", "خودکار", "khodkar", "nonsense", "irrelevant", "درد", "dard", "bedard",
    "annoying", "nuts", "crazy", "ridiculous", "pointless", "hopeless", "trash", "garbage")


# Answers faulted for what they are (ready-made, the same again), not for one wrong fact ("the answer in your FAQ is
# wrong about the size" reports a mistake); "you keep answering …" is the bot's habit.
_CANNED = _words("آماده", "amade", "canned", "تکراری", "tekrari", "same", "automatic", "automated", "خودکار", "khodkar",
                 "اتوماتیک", "اتومات", "otomatik",
                 "irrelevant", "nonsense", "useless", "بدرد", "درد", "بیربط", "بیربطه", "birabt", "birabte", "نامربوط")
# Not understood, said to the bot: "متوجه نمیشی چی میگم", "you don't understand", "kasi hast ke befahme chi migam?"
# ("متوجه نمیشم چطور سفارش بدم" is the customer not understanding: no fault of the bot).
_NOT_UNDERSTOOD = _words("نمیفهمی", "nemifahmi", "nmifahmi", "befahme", "بفهمه")
_NOT_UNDERSTOOD_PAIRS = (("متوجه", "نمیشی"), ("متوجه", "نمیشین"), ("motevajeh", "nemishi"), ("motevaje", "nemishi"),
                         ("doesn't", "understand"), ("doesnt", "understand"))
_KEEPS_ANSWERING = (("keep", "answering"), ("keep", "replying"), ("keeps", "answering"), ("keeps", "replying"))
# "you're not understanding me", "u dont get it": said to the bot ("I don't understand the sizes" is the customer's).
_YOU = _words("you", "you're", "youre", "u", "ur")
_NOT_GETTING = (("not", "understanding"), ("don't", "understand"), ("dont", "understand"), ("don't", "get"),
                ("dont", "get"), ("not", "getting"), ("not", "listening"))
# "kasi nist jvb bede? in ke bote", "no one there? it's just an auto reply": nobody but the bot answers.
_NOBODY = (("کسی", "نیست"), ("kasi", "nist"), ("ksi", "nist"), ("no", "one"), ("no", "human"))
_IT_DOES_NOT_UNDERSTAND = (("متوجه", "نمیشه"), ("motevajeh", "nemishe"), ("motevaje", "nemishe"))
_AUTO_REPLY = (("auto", "reply"), ("auto", "replies"), ("auto", "response"), ("automatic", "reply"),
               ("پیام", "خودکار"), ("جواب", "خودکار"))


# A judgement denied: "این شیوه پاسخگویی مناسب نیست", "not acceptable".
_JUDGED_BADLY = (("مناسب", "نیست"), ("درست", "نیست"), ("خوب", "نیست"), ("قابل", "قبول"), ("monaseb", "nist"),
                 ("not", "acceptable"), ("not", "ok"), ("not", "helpful"), ("فایده", "نداره"), ("faide", "nadare"))


# The same answer to every question: "هرچی میپرسم همون جوابو میده", "you keep giving the same answer".
_SAME_ANSWER = (("همون", "جوابو"), ("همون", "جواب"), ("همین", "جوابو"), ("same", "answer"), ("same", "reply"),
                ("hamun", "javabo"), ("hamoon", "javabo"), ("جوابو", "تکرار"), ("جواب", "تکرار"))
# Talking to a machine or a wall: the customer has been answered by no one.
_TALKING_TO = (("talking", "to"), ("talk", "to"), ("حرف", "میزنم"), ("harf", "mizanam"), ("harf", "mizanm"))
_A_WALL_OR_MACHINE = _words("machine", "wall", "robot", "bot", "دیوار", "ماشین", "ربات", "divar", "robat")


def complains_about_the_bot(tokens: Sequence[str]) -> bool:
    """Whether a message finds fault with the bot or its answers ("khaste shodam az in bot")."""
    if nlp.has_pair(tokens, _JUDGED_BADLY) and (not _BOT_WORDS.isdisjoint(tokens) or any(
            token.startswith(_BOT_PREFIXES) for token in tokens)):
        return True  # "گویا با ربات در حال مکاتبه هستم؛ این شیوه پاسخگویی مناسب نیست"
    if nlp.has_pair(tokens, _SAME_ANSWER):
        return True  # "این چیه هرچی میپرسم همون جوابو میده"
    if nlp.has_pair(tokens, _TALKING_TO) and not _A_WALL_OR_MACHINE.isdisjoint(tokens):
        return True  # "I've been talking to a machine for 10 mins...", "دارم با دیوار حرف میزنم"
    if not _JUDGING.isdisjoint(tokens):
        return False
    if not _NOT_UNDERSTOOD.isdisjoint(tokens) or nlp.has_pair(tokens, _NOT_UNDERSTOOD_PAIRS):
        return True
    if nlp.has_pair(tokens, _NOT_GETTING) and any(
            token in _YOU and nlp.has_pair(tokens[position:position + 4], _NOT_GETTING)
            for position, token in enumerate(tokens)):
        return True
    bot_named = (not _BOT_WORDS.isdisjoint(tokens) or any(token.startswith(_BOT_PREFIXES) for token in tokens)
                 or nlp.has_pair(tokens, _AUTO_REPLY))
    if bot_named and (nlp.has_pair(tokens, _NOBODY) or nlp.has_pair(tokens, _IT_DOES_NOT_UNDERSTAND)):
        return True  # "این ربات اصلا متوجه نمیشه چی میگم": the bot named, and it does not understand
    if _BOT_FAULTS.isdisjoint(tokens) and _CANNED.isdisjoint(tokens):
        return False
    return (bot_named or nlp.has_pair(tokens, _KEEPS_ANSWERING)
            or (not _ITS_ANSWERS.isdisjoint(tokens) and not _CANNED.isdisjoint(tokens)))


# "ba modir e forooshgah kar daram", "آقای احمدی هستن؟ باهاشون کار دارم", "mikham ba khode foroshande sohbat konam":
# someone of the shop named, by role or by name, and business with them or a word with them.
_SOMEONE_NAMED = _words(
    "مدیر", "مدیرتون", "مدیریت", "آقای", "اقای", "خانم", "خانوم", "فروشنده", "فروشندتون", "مسئول", "صاحب", "خودشون",
    "خودش", "modir", "modire", "modiretun", "aghaye", "agha", "khanom", "khanoom", "khanome", "khanoome", "khanum",
    "foroshande", "forooshande", "masool", "masoul", "saheb", "khodeshun", "khodesh", "khode", "manager", "owner",
    "whoever", "seller", "rep", "representative", "aqaye", "aqa", "khanume", "modiriat", "استاد", "ostad")
_BUSINESS_WITH = (("کار", "دارم"), ("kar", "daram"), ("صحبت", "کنم"), ("sohbat", "konam"), ("حرف", "بزنم"),
                  ("harf", "bezanam"), ("speak", "to"), ("speak", "with"), ("talk", "to"), ("talk", "with"),
                  ("sohbt", "konam"), ("sohbt", "knm"), ("sohbat", "knm"),
                  # "میخوام خود ایشون جواب بده": the one named is to answer
                  ("جواب", "بده"), ("جواب", "بدن"), ("جواب", "بدند"), ("javab", "bede"), ("javab", "bedan"))
# "khanoome ahmadi hastan?", "آقای رضایی هستن؟", "is Mr Karimi in?": a title, a name and whether they are there.
_TITLES = _words("آقای", "اقای", "خانم", "خانوم", "aghaye", "aqaye", "khanom", "khanome", "khanoom", "khanoome",
                 "khanum", "khanume", "mr", "mrs", "ms", "miss")
_THERE = _words("هستن", "هستند", "هست", "هستش", "هس", "تشریف", "hastan", "hastin", "hastand", "hast", "hs", "hst",
                "there", "in", "available", "around", "tashrif")


_THERE_LAST = _words("هستن", "هستند", "hastan", "hastand", "hastin")
_OBJECT_MARKS = _words("رو", "را", "ro", "ra")
_WANTED = _words("میخواستم", "میخوام", "میخواهم", "mikhastam", "mikham")


def asks_for_someone_named(tokens: Sequence[str]) -> bool:
    """Whether a message asks for someone of the shop named by role or name, to deal or speak with them, or asks
    whether someone named by title and name is there."""
    if not _SOMEONE_NAMED.isdisjoint(tokens) and nlp.has_pair(tokens, _BUSINESS_WITH):
        return True
    # "آقای محمدی که دفعه قبل راهنماییم کرد هستن؟": the one named, then whether they are there as the last word;
    # "آقای محمدی رو میخواستم": the one named, wanted
    return any(token in _TITLES and len(tokens) > position + 1 and (
        tokens[position + 2:position + 3] and tokens[position + 2] in _THERE or tokens[-1] in _THERE_LAST
        or tokens[position + 2:position + 3] and tokens[position + 2] in _OBJECT_MARKS
        and not _WANTED.isdisjoint(tokens[position + 3:position + 4]))
        for position, token in enumerate(tokens))


# "اپراتور گوشیم ایرانسله کد تایید نمیاد", "my mobile operator is MCI": the phone's carrier, not a person of the shop.
_CARRIERS = _words("ایرانسل", "ایرانسله", "رایتل", "رایتله", "irancell", "rightel", "mci", "mtn",
                   "carrier", "سیمکارت", "سیمکارتم", "simcart", "simcard")
# MCI by name ("همراه اول"), not "گوشی همراه" (a mobile phone).
_FIRST_MOBILE = (("همراه", "اول"), ("همراه", "اوله"), ("hamrah", "aval"), ("hamrahe", "aval"))
_OPERATOR_WORDS = _words("اپراتور", "اپراتورم", "operator", "oprator", "operatoram")
_MY_PHONE = _words("گوشیم", "گوشیمه", "موبایلم", "خطم", "گوشی", "موبایل", "خط", "mobile", "phone", "gushim", "mobilam")


def names_a_phone_carrier(tokens: Sequence[str]) -> bool:
    """Whether "operator" is the customer's mobile carrier: a carrier named, or "operator" of a phone or line."""
    if _OPERATOR_WORDS.isdisjoint(tokens):
        return False
    # "اپراتور گوشیم" (the operator of my phone), "mobile operator"; "گوشیم خرابه، اپراتور لطفا" asks for a person.
    return not _CARRIERS.isdisjoint(tokens) or nlp.has_pair(tokens, _FIRST_MOBILE) or any(
        token in _OPERATOR_WORDS and (tokens[position + 1:position + 2] and tokens[position + 1] in _MY_PHONE
                                      or position and tokens[position - 1] in _MY_PHONE and token.isascii())
        for position, token in enumerate(tokens))


# "when can I call?", "در چه ساعاتی میتونم تماس بگیرم؟": when the shop can be called is its opening hours (issue 14),
# not a request for a person.
_WHEN_OR_HOURS = _words("کی", "ساعتی", "ساعاتی", "ساعت", "ساعات", "زمانی", "وقتی", "kei", "key", "ky", "ki", "saati",
                        "saat", "when", "hours", "time", "what")
_I_CAN = _words("میتونم", "میتوانم", "میشه", "بشه", "میشود", "mitunam", "mitoonam", "mishe", "can", "could", "should",
                "best", "mitonm", "mitunm", "mitoonm", "mitonam", "msh")  # "what's the best time to phone the shop?"


# "kei mitunam biam hozoori bebinam?", "ky mishe hozori biam forooshgah?": when one can come to the shop in person.
_VISITING = _words("حضوری", "بیام", "بیایم", "بیاییم", "hozori", "hozoori", "biam", "biaim", "visit", "umad", "omad",
                   "مراجعه", "moraje", "moraje'e")


def asks_when_to_call(tokens: Sequence[str]) -> bool:
    """Whether a message asks when (at what hours) the shop can be called, reached or visited."""
    return (not _WHEN_OR_HOURS.isdisjoint(tokens)
            and not (_CALLING.isdisjoint(tokens) and _VISITING.isdisjoint(tokens))
            and not _I_CAN.isdisjoint(tokens) and _MOBILE_NUMBER_WORDS.isdisjoint(tokens))


_MOBILE_NUMBER_WORDS = _words("me", "من", "منو", "باهام", "baham", "behem", "بهم")

# "ساعت ۱۰ شب هنوز پشتیبانی هست؟", "جمعه‌ها هم میشه زنگ زد؟", "is anyone answering at lunchtime?": whether the shop
# answers or can be reached at a time named is its opening hours, not a greeting or a request for a person.
_REACHED = _words("پشتیبانی", "support", "poshtibani", "زد", "zad", "بزنم", "bezanam") | _CALLING | _words(
    "پشتیبانیتون",
    # coming to the shop, or finding it shut: "اگه ساعت ۹ شب برسم بستس؟", "شنبه صبح زود میشه اومد؟"
    "برسم", "بیام", "بیایم", "اومد", "آمد", "biam", "beresam", "omad", "umad", "بستس", "بستین", "بستید", "closed",
    # "are you around tonight? i wanna swing by", "آیا داروخانه در ساعات شب فعالیت دارد؟"
    "around", "visit", "swing", "pop", "drop", "فعالیت", "faaliat") | _OPENING | _VISITING
_NAMED_TIMES = _words(
    "شب", "امشب", "شبا", "شبها", "صبح", "صبحا", "عصر", "عصرا", "ظهر", "ظهرا", "جمعه", "جمعهها", "جمعه‌ها", "شنبه",
    "یکشنبه", "پنجشنبه", "تعطیل", "تعطیلات", "تعطیلی", "عید", "نوروز", "ساعت", "shab", "emshab", "sobh", "asr", "zohr",
    "jome", "eid", "tatil", "tatilat", "saat", "tonight", "night", "morning", "evening", "afternoon", "lunchtime",
    "weekend", "weekends", "friday", "fridays", "saturday", "sunday", "holiday", "holidays", "pm", "now", "ساعات",
    "رمضان", "رمضون", "ramazan", "ramadan", "shabe", "یلدا", "yalda",
    # lunchtime and the days as texted: "va2te nahar bastid?", "3shanbe baz hastin?"
    "ناهار", "نهار", "nahar", "naahar", "روزا", "روزها", "ساعته", "شبانهروزی", "شبانهروزیه", "shanbe", "1shanbe",
    "yekshanbe", "2shanbe", "doshanbe", "3shanbe", "seshanbe", "4shanbe", "charshanbe", "chaharshanbe", "5shanbe",
    "panjshanbe", "دوشنبه", "سهشنبه", "چهارشنبه",
    # SMS spellings: "mkhm biam ghbl az 8 shb mishe?"
    "shb", "sbh", "pnjshnbe")
# Tomorrow names a time only for a visit: "فردا میشه حضوری بیایم؟" ("فردا تولد خواهرمه، چی پیشنهاد میدید؟" does not).
_TOMORROW = _words("فردا", "farda", "frda", "tomorrow")


# "شب بخیر", "good morning": a time of day in a greeting names no time.
_WISHED = _words("بخیر", "bekheir", "bekheyr", "bkhir", "good")


def asks_whether_reached_at_a_time(text: str, tokens: Sequence[str]) -> bool:
    """Whether a question asks if anyone answers, or the shop can be called, at a time it names."""
    named = any(token in _NAMED_TIMES and not (position + 1 < len(tokens) and tokens[position + 1] in _WISHED)
                and not (position and tokens[position - 1] in _WISHED) for position, token in enumerate(tokens)) or (
        not _TOMORROW.isdisjoint(tokens) and not _VISITING.isdisjoint(tokens))
    return (named and ("?" in text or "؟" in text or "یا خیر" in text or "یا نه" in text)
            and not (_ANSWERING.isdisjoint(tokens) and _REACHED.isdisjoint(tokens))
            and _MOBILE_NUMBER_WORDS.isdisjoint(tokens))


# "لطفا call back کنید", "pls call back": a call back asked of the shop ("I'll call back later" is the customer's).
_CALL_BACK = (("call", "back"), ("callback", "کنید"), ("call", "bzanid"), ("call", "bezanid"), ("call", "konid"),
              ("call", "kon"), ("call", "کنید"), ("کال", "کنید"), ("کال", "بزنید"))
_I_WILL = _words("i", "i'll", "ill", "we", "we'll", "will")


def asks_for_a_call_back(tokens: Sequence[str]) -> bool:
    """Whether a message asks the shop to call back ("لطفا call back کنید"), not the customer calling back."""
    return nlp.has_pair(tokens, _CALL_BACK) and _I_WILL.isdisjoint(tokens)


def asks_to_be_called_back(tokens: Sequence[str]) -> bool:
    """Whether a word of calling stands beside "me" ("when will you call me?", "با من تماس بگیرید", "بهم زنگ
    بزنید"), or a call back is asked for: a call back asks for a person, not for the hours ("tell me when I can
    call" has them apart)."""
    if asks_for_a_call_back(tokens):
        return True
    return any(token in _CALLING and not _MOBILE_NUMBER_WORDS.isdisjoint(tokens[max(0, position - 2):position + 3])
               for position, token in enumerate(tokens))

# "ممنون میشم بگید …", "I'd be grateful if you told me …", "thanks in advance": thanks for an answer not yet
# given wrap the request; the words around them are what is asked.
_THANKS_AHEAD = {("ممنون", "میشم"), ("ممنون", "میشیم"), ("ممنون", "میشوم"), ("متشکر", "میشم"), ("متشکر", "میشوم"),
                 ("سپاسگزار", "میشوم"), ("mamnun", "misham"), ("mamnoon", "misham"), ("merci", "misham"),
                 ("mersi", "misham"), ("be", "grateful"), ("appreciate", "it"), ("in", "advance"), ("پیشاپیش", "ممنون"),
                 ("پیشاپیش", "ممنونم"), ("پیشاپیش", "سپاس")}


def without_thanks_ahead(tokens: Sequence[str]) -> list[str] | None:
    """The tokens without a thanks given ahead of the answer ("ممنون میشم"), or None when there is none."""
    for position, pair in enumerate(zip(tokens, tokens[1:], strict=False)):
        if pair in _THANKS_AHEAD:
            return [*tokens[:position], *tokens[position + 2:]]
    return None

# "روز خوبی داشته باشین", "have a nice weekend": a wish for the time ahead, said on leaving.
_WISHING = {("داشته", "باشین"), ("داشته", "باشید"), ("داشته", "باشی"), ("dashte", "bashin"), ("dashte", "bashid"),
            ("have", "a"), ("enjoy", "your")}


def wishes_a_good_time(tokens: Sequence[str]) -> bool:
    """Whether a message wishes a good time ahead ("have a nice day", "روز خوبی داشته باشین")."""
    return nlp.has_pair(tokens, _WISHING)


# A writer who only says who they are after a greeting ("سلام، سارا هستم", "salam, man Reza am", "hi, this is Sara, I
# ordered from you last month", "درود، نگین هستم از اصفهان"): the greeting is what needs an answer (the thirty-fifth
# pass; until then the corpus called it none). An introduction needs one of these…
_INTRODUCING = _words(
    "هستم", "هستیم", "معرفی", "معرفیتون", "hastam", "hastim", "moarefi", "im", "i'm", "recommended",
    "referred", "am", "اسمم", "esmam",
    # where they found the shop, who gave them the number, that they buy here: "از اینستا پیجتونو پیدا کردم", "az
    # insta peydatun krdm", "از تبلیغ تو تلگرام اومدم", "dustam mo3arefi krd", "2 sale moshtarie shomam"
    "پیدا", "peyda", "peydatun", "peydatoon", "اومدم", "اومدیم", "آمدم", "umadam", "oomadam", "omadam", "found", "came",
    "follow", "فالو", "page", "پیج", "پیجتون", "پیجتونو", "insta", "اینستا", "instagram", "اینستاگرام", "telegram",
    "تلگرام", "ghablan", "ghblan", "qablan", "قبلا", "قبلاً", "before", "mo3rfi", "moarfi",
    "mo3arefi", "همونی", "همونیم", "خانومیم", "خانمیم", "hamooni", "hamoni")
_INTRODUCING_PAIRS = {("this", "is"), ("my", "name"), ("از", "طرف"), ("az", "taraf"), ("az", "tarafe"),
                      ("on", "behalf"),
                      ("i", "am"),
                      # the one who called or wrote before: "its the guy who called yesterday", "همون خانمی که …"
                      ("the", "guy"), ("the", "lady"), ("همون", "خانمی"), ("همون", "خانومی"),
                      ("همون", "آقایی"), ("همون", "کسی"), ("همون", "که"), ("hamoon", "ke"), ("hamun", "ke"),
                      # someone sent them, or gave them the number: "my guitar teacher sent me your way", "my friend
                      # gave me ur number", "it's me again"
                      ("your", "way"), ("your", "number"), ("ur", "number"), ("شمارتونو", "داد"), ("شمارتون", "رو"),
                      ("it's", "me"), ("its", "me")}
# Being the shop's customer, in any form: "مشتریای قدیمی‌تونم", "moshtarie shomam", "customers".
_CUSTOMER_PREFIXES = ("مشتری", "moshtari", "customer")
# …and none of these: something wanted or asked, a turn to another matter, a complaint.
_MORE_THAN_WHO = _words(
    "میخوام", "میخواستم", "میخواهم", "خواستم", "mikham", "mikhastam", "mikhaam", "want", "wanted", "wanna", "need",
    "لطفا", "لطفاً", "please", "pls", "plz", "lotfan", "خواهشمند", "خواهشمندم", "میشه", "mishe", "can", "could", "would",
    "ولی", "اما", "فقط", "vali", "ama", "faghat", "but", "راضی", "razi", "problem", "مشکل", "moshkel", "خراب", "kharab",
    "نرسیده", "narasid", "narasideh", "hasn't", "didn't", "not", "نه", "نیستم", "nistam", "still", "هنوز", "hanuz",
    "hanooz", "why", "چرا", "chera", "love", "عالی", "aali", "great", "همکاری", "hamkari", "cooperation",
    "collaboration", "partnership",
    # asked without a question mark, or offered: "به روستا هم ارسال دارید", "میتونیم فالوور پیجتونو زیاد کنیم"
    "دارید", "دارین", "darid", "darin", "do", "does", "ارسال", "ersal", "ship", "deliver", "میتوانیم", "میتونیم",
    "mitunim", "mitoonim",
    # a question without its mark, a price, praise: "… عکسشو فرستادم قیمتش چند", "سلام پیجتون خیلی قشنگه"
    "چند", "چنده", "چقدر", "چقد", "کی", "کجا", "کجاست", "چطور", "how", "when", "where", "what", "which", "chand",
    "chande", "key", "koja", "قیمت", "قیمتش", "price", "gheymat", "ghimat", "قشنگه", "قشنگ", "خوشگله", "عالیه", "خوبه",
    "nice", "beautiful", "pretty", "amazing", "awesome")
_LONGEST_INTRODUCTION = 12  # content words after the greeting


_TIRED_NOT = _words("نباشید", "نباشین", "nabashid", "nabashin", "nabashi")  # "خسته نباشید" is courtesy, no negation
_SHORT_CLAUSE = 3  # content words of a clause beside an introduction ("I ordered from you last month")


def _introduces(clause: Sequence[str]) -> bool:
    return (not _INTRODUCING.isdisjoint(clause) or nlp.has_pair(clause, _INTRODUCING_PAIRS)
            or any(token.startswith(_CUSTOMER_PREFIXES) for token in clause))


def introduces_the_writer(tokens: Sequence[str], rest: Sequence[str],
                          clauses: Sequence[tuple[Sequence[str], Sequence[str]]]) -> bool:
    """Whether the words after a greeting (`rest`, of the message's `tokens`) only say who the writer is, asking and
    telling nothing else: every clause (as written, and without its greeting) introduces, wishes well or is short
    ("سلام، مریم هستم، کرمی که خریدم پوستمو سوزوند" tells more). The caller has made sure nothing but the greeting is
    a question."""
    if not rest or not _introduces(tokens):
        return False
    content = [token for token in rest if token not in nlp.STOPWORDS]
    # (the whole message: the stopwords after a greeting, "hi, can I have your number", are no part of `rest`)
    if (len(content) > _LONGEST_INTRODUCTION or not _MORE_THAN_WHO.isdisjoint(tokens)
            or any(nlp.is_negated_verb(token) and token not in _TIRED_NOT for token in tokens)):
        return False
    return all(_introduces(clause) or only_wishes_well(greeted)
               or len([token for token in greeted if token not in nlp.STOPWORDS
                       and token not in ADDRESS_AND_COURTESY]) <= _SHORT_CLAUSE
               for clause, greeted in clauses)


# Good wishes after a greeting ("good morning, hope ur having a lovely day", "happy Nowruz to the whole team, wishing
# you all the best", "یلداتون مبارک کلی خوشی براتون آرزو میکنم"): the words of blessing, address and courtesy only.
_WISHES = ADDRESS_AND_COURTESY | _words(
    "hope", "hoping", "having", "lovely", "nice", "great", "wonderful", "day", "week", "weekend", "going", "doing",
    "well", "ur", "your",
    "whole", "best", "nowruz", "norooz", "yalda", "نوروز", "نوروزتون", "یلدا", "یلداتون", "کلی", "خوشی", "آرزو",
    "میکنم", "امیدوارم", "حال", "همگی", "خوب", "باشد", "روزگارتان", "کام", "عرض", "ادب", "احترام", "دارم", "خدمت",
    "عزیزان", "متعالی", "عنایت", "فرماید", "همیشه", "تندرست", "پناه", "حق", "دعا", "التماس", "سلامتی", "bless", "god",
    "omidvaram", "hamishe", "salamat", "bashin", "bashid", "علیکم", "صبح", "عالی", "خداوند", "کارتان", "کارتون",
    "aleykom", "alaykom", "رمضان", "رمضانتون", "ماه", "قبول", "ramezan", "ramazan", "ramadan", "eid", "mubarak",
    "enshala", "inshala", "ishalla", "saale", "khoobi", "khubi", "dashte",
    # an apology for the hour: "ببخشید اگه بد موقع پیام دادم", "sorry to bother you this late"
    "اگه", "بد", "موقع", "بدموقع", "دیروقت", "late", "this", "msg", "message", "پیام", "دادم", "میدم", "age", "bad",
    "moghe", "dir", "vaght")
# (an apology alone beside a greeting opens the conversation as a wish does)
_APOLOGIES = _words("ببخشید", "ببخشین", "sorry", "bebakhshid", "bebakhshin")
_WISHING_WORDS = _WISHES - ADDRESS_AND_COURTESY - _words("day", "week", "weekend", "your", "ur", "well", "doing",
                                                          "going", "having", "whole", "خوب", "حال", "همگی", "دارم",
                                                          "میکنم", "باشد", "bashin", "bashid", "همیشه", "hamishe")


def only_wishes_well(rest: Sequence[str]) -> bool:
    """Whether the words after a greeting are good wishes and courtesy, nothing else."""
    content = [token for token in rest if token not in nlp.STOPWORDS]
    return (bool(content) and all(token in _WISHES for token in content)
            and not (_WISHING_WORDS | _APOLOGIES).isdisjoint(content))


# "How are you?" after a greeting asks nothing of the shop: "سلام خوبین؟", "salaaam khoobin?", "hi, how r u?".
_HOW_ARE_YOU = _words(
    "خوبین", "خوبید", "خوبی", "خوبن", "چطورین", "چطورید", "چطوری", "سلامتین", "khoobin", "khubin", "khobin", "khoobid",
    "khubid", "khoobi", "khubi", "khobi", "chetori", "chetorin", "chetorid", "how", "are", "r", "you", "u", "doing",
    "ya", "all")


def only_asks_how_one_is(question: Sequence[str]) -> bool:
    """Whether a question's words (its greeting aside) only ask how the shop's people are."""
    return all(token in _HOW_ARE_YOU or token in nlp.STOPWORDS for token in question)


# "بسته رسید ولی یکی از بالشا کم بود", "code rahgiri gereftam vali adres ro eshtebah zadam", "سفارش تحویل شد اما
# ابعادش فرق داره": what came, then a turn to something wrong with it; the parcel is not asked after.
_CAME_OR_HANDED = _RECEIVED | _words("تحویل", "tahvil", "residesh", "resideh", "رسیده", "رسیدش")
_TURNED = TURNS | _words("vli", "only")
_WHERE_WHEN_OR_STILL = _words("کی", "کجا", "کجاست", "هنوز", "kei", "key", "koja", "kojast", "hanuz", "hanooz", "when",
                              "where", "still", "yet")


# "it says delivered but nothing came", "زده تحویل شده ولی من چیزی نگرفتم": after the turn, nothing came after all
# ("… vali vanil tush nabood", one thing missing, is a fault with what came).
_NOTHING = _words("nothing", "nobody", "no", "not", "never", "هیچ", "هیچی", "چیزی", "خبری", "نیست", "نیس", "hich",
                  "hichi", "chizi", "khabari", "nist", "didn't", "didnt", "haven't", "havent", "hasn't", "hasnt",
                  "نگرفتم", "نگرفتیم", "نگرفتن", "نرسید", "نرسیده", "نیومد", "نیومده", "نیامد", "نیامده", "ندادن",
                  "ندادند", "نکردم", "nagereftam", "naresid", "naresideh", "nayumad", "nayomad", "nakardam", "nadadan")


def came_then_turns(tokens: Sequence[str]) -> bool:
    """Whether a message says the order came and then turns to something wrong with it (nothing missing after all,
    no where or when asked)."""
    first = next((position for position, token in enumerate(tokens) if token in _CAME_OR_HANDED), None)
    if first is None:
        return False
    turn = next((position for position in range(first + 1, len(tokens)) if tokens[position] in _TURNED), None)
    if turn is None:
        return False
    after = tokens[turn + 1:]
    return _WHERE_WHEN_OR_STILL.isdisjoint(tokens) and _NOT_ARRIVED.isdisjoint(tokens) and _NOTHING.isdisjoint(after)


# A question announced, not yet asked ("سلام یه سوال داشتم", "hi, quick question", "ye soal dashtam", "یه سوال دیگه هم
# داشتم"): the conversation opens, and the greeting's "how can I help?" is its answer (the thirty-eighth pass; the
# rules' out-of-scope list had called it none).
_QUESTION_WORDS = _words("سوال", "سوالی", "سؤال", "سوآل", "soal", "soali", "sual", "question", "questions", "q",
                         "بپرسم", "beporsam", "bporsam", "bprsm", "ask")
_ANNOUNCING = _QUESTION_WORDS | _words(
    "یه", "یک", "دو", "تا", "داشتم", "دارم", "داشتیم", "دیگه", "کوچیک", "کوچک", "ازتون", "ازت", "میخواستم", "میشه",
    "ye", "yek", "do", "ta", "dashtam", "dashtm", "dshtm", "daram", "dige", "kuchik", "koochik", "azatun", "mikhastam",
    "mishe", "i", "have",
    "had", "got", "a", "one", "quick", "small", "another", "more", "can", "could", "may", "to", "wanted", "just",
    "ببخشید", "bebakhshid", "sorry", "excuse", "me", "please", "لطفا", "lotfan", "هم", "ham", "also", "you",
    "something", "چیزی", "chizi", "bporsam", "bprsm", "mikhastm", "mkhastam", "bache", "ha", "fori", "فوری",
    "urgent",
    "khste", "khaste", "nabashi", "nabashid", "nbshid", "ruz", "rooz", "roz", "bekheir", "bkheir", "bekhair", "vaght",
    "vaqt", "sobh",
    "ی", "خدمتتون", "خدمتتان", "خدمت", "khedmatetun", "dadash", "داداش", "bro")


# The topic a question is announced about, in a few words: "یه سوال داشتم درباره دوچرخه بچه", "a question about suits".
_ABOUT = _words("درباره", "دربارهی", "مورد", "راجع", "راجب", "darbare", "darbareye", "mored", "raje", "rajebe", "about")
_TOPIC_WORDS = 3


def announces_a_question(tokens: Sequence[str]) -> bool:
    """Whether the words (a greeting aside) only announce a question without asking it, beside courtesy, wishes or an
    apology ("Hi, sorry to bother you this late, I have a quick question"), naming its topic in a few words at most."""
    if not tokens or _QUESTION_WORDS.isdisjoint(tokens):
        return False
    unexplained = [position for position, token in enumerate(tokens)
                   if not (token in _ANNOUNCING or token in _WISHES or token in _HOW_ARE_YOU or token in _ABOUT
                           or token in nlp.STOPWORDS)]
    if not unexplained:
        return True
    about = next((position for position, token in enumerate(tokens) if token in _ABOUT), None)
    return (about is not None and len(unexplained) <= _TOPIC_WORDS
            and all(about < position <= about + _TOPIC_WORDS + 1 for position in unexplained))


# "you sent me someone else's order": whose it is, not someone wanted.
_SOMEONE = _words("someone", "somebody")
_ELSES = _words("else's", "elses")


def without_someone_elses(tokens: Sequence[str]) -> list[str] | None:
    """The tokens without "someone else's", or None when the message does not say it."""
    kept = [token for position, token in enumerate(tokens)
            if not (token in _SOMEONE and tokens[position + 1:position + 2] and tokens[position + 1] in _ELSES)]
    return kept if len(kept) < len(tokens) else None

