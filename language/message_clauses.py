"""The shape of a customer message that intent recognition reads besides its words.

Where its clauses break, which clauses are questions, which clause sets a topic aside ("price
doesn't matter, when does it arrive?"), and the few small word lists the recognition rules in
`intent_rules` test: politeness and courtesy around a command, "thanks for …", a question
that ends in "how much" or pays "how much", a message that only asks what the bot is, and a
request that asks beside its intent's meaning (a currency's price, the clock, delivery to a
place at all, a price judged in the past).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from language import nlp
from language.intent_matcher import word_tokens

# Ignored when comparing a whole message with `exact` rules ("STOP please").
POLITENESS_WORDS = frozenset(nlp.normalize(word) for word in
                             ("لطفا", "لطفاً", "خواهشا", "please", "pls", "plz", "lotfan", "ltfn", "lotfn",
                              "lotfa", "khahesh", "khaheshan"))
# Thanks around a command ("لغو11 ممنون", "STOP thanks").
COURTESY_WORDS = frozenset(nlp.normalize(word) for word in
                           ("ممنون", "ممنونم", "مرسی", "متشکرم", "thanks", "thank", "you", "thx",
                            "mersi", "merci", "mamnun", "mamnoon"))
# "stop dige", "STOP now", "لغو دیگه": a command said impatiently is still the command.
EMPHASIS_WORDS = frozenset(nlp.normalize(word) for word in
                           ("دیگه", "دیگر", "dige", "dg", "dge", "digeh", "now", "already",
                            # "لغو۱۱ دوباره!!!", "stop again": the command said once more
                            "دوباره", "مجدد", "مجددا", "again", "dobare"))
# A clause that sets a topic aside ("price doesn't matter, when does it arrive?") is not the
# request: it is left out when another clause remains.
_DISMISSALS = tuple(tuple(word_tokens(phrase)) for phrase in (
    "مهم نیست", "اهمیتی نداره", "اهمیت نداره", "فرقی نداره", "فرقی نمیکنه", "مهم نی", "بیخیال",
    "mohem nist", "moheme nist", "mohem ni", "fargh nadare", "farghi nadare", "bikhial",
    "doesn't matter", "does not matter", "doesnt matter", "no matter", "not important", "never mind",
    "don't care", "dont care", "nevermind"))
# "مرسی بابت پیگیری" / "thanks for the help": thanks for something is thanks, not that thing.
FOR_WORDS = frozenset(nlp.normalize(word) for word in ("بابت", "بخاطر", "for", "babat", "babate", "bekhatere"))
# "این هدفون چند؟": a message that ends in "how much" asks a price, unless it asks the time
# ("تا ساعت چند؟") or how many days ("چند روز").
PRICE_QUESTION_ENDINGS = frozenset(nlp.normalize(word) for word in (
    "چند", "چن", "چقدر", "چقد", "chand", "chnd", "cheghadr", "cheghad", "chegadr",
    # "… چنده؟", "… cheghadre?": the same with "is"
    "چنده", "چنن", "چقدره", "چقده", "chande", "chnde", "cheghadre", "cheghade"))
TIME_BEFORE_HOW_MUCH = frozenset(nlp.normalize(word) for word in (
    "ساعت", "تا", "از", "saat", "ta", "az", "until", "time"))
# "چقدر باید واریز کنم؟": "how much" anywhere beside paying asks a price. Not چند, which is also
# "a few": "چند روز پیش واریز کردم" (I paid a few days ago) asks no price.
HOW_MUCH_WORDS = frozenset(nlp.normalize(word) for word in (
    "چقدر", "چقد", "cheghadr", "cheghad", "chegadr", "chghad", "chghadr", "chqd", "chqdr", "cheqad", "cheqadr"))
PAYING_WORDS = frozenset(nlp.normalize(word) for word in (
    "پرداخت", "بپردازم", "بپردازیم", "بپردازید", "واریز", "بریزم", "بریزیم", "pay", "paying", "payment",
    "pardakht", "bepardazam", "variz", "berizam",
    # "با پیک چقدر میگیرین؟": how much you take is a price too
    "میگیرین", "میگیرید", "میگیره", "میگیرن", "migirin", "migirid", "migire"))
# "چقدر میشه؟", "حساب من چقد شد؟", "چقدر بدهکارم؟", "chghad bayad bedam?": how much it comes to, or how much
# the customer owes, is a price. Not "چقدر طول میکشه" (how long) or "چقدر میشه صبر کرد" (how long can one
# wait) or "چقد شد که …" (how long since): "it comes to" must follow "how much" (or "how much must I"), not be
# followed by "that", and میشه (becomes, can) must end the message.
_COMES_TO_WORDS = frozenset(nlp.normalize(word) for word in (
    "شد", "میشد", "درمیاد", "درمیآید", "درمیاره", "بدم", "بدیم", "بدهم", "بدهیم", "بدهکارم", "بدهکاریم",
    "shod", "darmiad", "bedam", "bdm", "bedim", "bedehkaram", "bedahkaram",
    # what it costs: "ersal be tabriz cheghad kharj dare?"
    "خرج", "kharj", "kharjesh", "خرجش"))
_MONEY_WORDS = frozenset(nlp.normalize(word) for word in ("پول", "pool", "pul", "money"))
_COMES_TO_AT_THE_END = frozenset(nlp.normalize(word) for word in ("میشه", "میشود", "می‌شود", "mishe", "mishavad"))
_MUST_WORDS = frozenset(nlp.normalize(word) for word in ("باید", "bayad", "bayd", "byd"))


_HOW_MANY = frozenset(nlp.normalize(word) for word in ("چند", "chand", "chnd"))
HOW_MANY_WORDS = _HOW_MANY
_HAS_BECOME = frozenset(nlp.normalize(word) for word in (
    "شده", "شد", "میشه", "shode", "shod", "mishe",
    # "الان چند دراومده؟", what it comes to now
    "دراومده", "درومده", "darumade", "daroomade", "daromade"))
# "چند در میاد؟", the same written apart
_COMES_OUT = (nlp.normalize("در"), nlp.normalize("میاد"))
# "قد شلوار چنده؟", "دور سینه سایز M چنده؟": a measure asked, not a price.
MEASURES = frozenset(nlp.normalize(word) for word in (
    "قد", "قدش", "طول", "طولش", "عرض", "عرضش", "ارتفاع", "ارتفاعش", "وزن", "وزنش", "سینه", "کمر", "کمرش", "باسن",
    "دور", "سایزش", "sayzesh", "sizesh", "ghad", "ghadesh", "tool", "toolesh", "arz", "ertefa", "vazn", "kamar", "sine",
    "height", "length", "width", "weight", "waist", "chest", "hip", "hips", "inseam",
    # a code or a number asked: "کد محصولش چنده؟"
    "کد", "کدش", "کدشو", "code", "شمارش", "سریال", "serial",
    # a warranty's length: "garanti chand mahe?", "گارانتیش چند ماهه؟"
    "گارانتی", "گارانتیش", "ضمانت", "garanti", "garantish", "warranty", "ماهه", "mahe", "months",
    # volume, thickness, capacity: "zarfiatesh chnd litre", "ضخامت پرز چقدره"
    "حجم", "حجمش", "hajm", "قطر", "قطرش", "ghatr", "ghatre", "diameter", "ضخامت", "ضخامتش", "zekhamat", "thickness",
    "ظرفیت", "ظرفیتش", "zarfiat", "zarfiatesh", "capacity"))
# A unit asked ("in blender chnd watte", "chnd mile?") is a measure; a unit after a number names the product whose
# price is asked ("عطر دیور ۱۰۰ میل چند؟", "شارژر ۲۰ وات چند میفروشید؟"; word tokens hold no digits, so the unit
# must follow "how many").
_UNITS = frozenset(nlp.normalize(word) for word in (
    "وات", "واته", "watt", "watte", "watts", "لیتر", "لیتره", "litr", "litre", "liter", "میل", "میله", "ml", "mile",
    "ولت", "ولته", "volt", "volte", "volts", "متر", "متره", "metr", "metre", "meter", "meters"))
_UNIT_ASKED_AFTER = frozenset(nlp.normalize(word) for word in ("چند", "چن", "chand", "chnd", "chan", "many"))
# The words of a price itself, which a measure beside them does not turn into a measure: "قیمت قد ۱۲۰ چنده؟".
_PRICE_PREFIXES = ("قیمت", "gheymat", "ghymat", "ghimat", "gheimat", "ghymt", "ghmt", "qeymat", "price")
_PRICE_NOUN_PREFIXES = _PRICE_PREFIXES + ("هزینه", "تومن", "تومان", "مبلغ", "تخفیف", "پول", "hazine", "toman",
                                          "mablagh", "takhfif", "cost", "discount")


# A watch is a ساعت too: "این ساعت تاریخ شمسی هم نشون میده؟", "saat ha original hastan?", "in saat bandesh chand ta
# sorakh dare?" ask about the watch, not the hours. With another word of the hours beside it, the hours are asked.
_HOUR_WORDS = frozenset(nlp.normalize(word) for word in (
    "ساعت", "ساعتش", "ساعتا", "ساعتها", "ساعت‌ها", "saat", "saate", "saatesh", "saata", "saatha"))
_WATCH_PARTS = frozenset(nlp.normalize(word) for word in (
    "بند", "بندش", "باتری", "باتریش", "شیشه", "شیشش", "شیشه‌اش", "صفحه", "صفحش", "صفحه‌اش", "مچی", "هوشمند", "ضدآب",
    "اصل", "اصله", "اصلن", "اورجینال", "اورجیناله", "نشون", "موتور", "موتورش", "کاسیو", "band", "bandesh", "batri",
    "batrish", "shishe", "safhe", "mochi", "hooshmand", "asl", "asle", "original", "orginal", "orjinal", "strap",
    "battery", "dial", "glass", "waterproof", "smartwatch", "wrist", "quartz", "automatic", "casio"))


def speaks_of_a_watch(tokens: Sequence[str]) -> bool:
    """Whether a ساعت in the message is a watch: a watch's part or kind beside it."""
    return not _HOUR_WORDS.isdisjoint(tokens) and not _WATCH_PARTS.isdisjoint(tokens)


def without_hour_words(tokens: Sequence[str]) -> list[str]:
    """The tokens without the words for an hour (or a watch)."""
    return [token for token in tokens if token not in _HOUR_WORDS]


# "cruelty free", "BPA free", "gluten-free": free of something, a property of the product, not of its price.
_FREE_OF = frozenset(nlp.normalize(word) for word in (
    "cruelty", "bpa", "gluten", "sugar", "paraben", "parabens", "fragrance", "alcohol", "lactose", "dairy", "fat",
    "oil", "sulfate", "sulfates", "sulphate", "nut", "latex", "nickel", "toxin", "toxic", "scent", "hassle",
    "stress", "hands", "caffeine", "soy", "egg", "plastic", "chemical", "chemicals", "silicone", "lead", "odor",
    "odour", "smoke"))


def free_of_something(tokens: Sequence[str]) -> list[str] | None:
    """The tokens without a "free" that says what the product is free of ("cruelty free"), or None if there is none."""
    kept = [token for position, token in enumerate(tokens)
            if not (token == "free" and position and tokens[position - 1] in _FREE_OF)]
    return kept if len(kept) < len(tokens) else None


def asks_a_measure(tokens: Sequence[str]) -> bool:
    """Whether "how much" asks a measure (a length, a height, a chest) with no word of a price beside it."""
    asked = not MEASURES.isdisjoint(tokens) or any(
        token in _UNITS and position and tokens[position - 1] in _UNIT_ASKED_AFTER
        for position, token in enumerate(tokens))
    return asked and not any(token.startswith(_PRICE_NOUN_PREFIXES) for token in tokens)


def asks_what_it_comes_to(tokens: Sequence[str]) -> bool:
    """Whether "how much" is followed by "it comes to" or "I owe" ("سرویس کامل چقدر درمیاد؟"), or the
    message ends in "چند شده؟" (what does it cost now), not after a time ("ساعت چند شد؟")."""
    if (len(tokens) >= 2 and tokens[-2] in _HOW_MANY and tokens[-1] in _HAS_BECOME
            and (len(tokens) < 3 or tokens[-3] not in TIME_BEFORE_HOW_MUCH)):
        return True
    if len(tokens) >= 3 and tokens[-3] in _HOW_MANY and tuple(tokens[-2:]) == _COMES_OUT:
        return True
    for position, token in enumerate(tokens[:-1]):
        if token not in HOW_MUCH_WORDS:
            continue
        following = position + 2 if tokens[position + 1] in _MUST_WORDS else position + 1
        if following < len(tokens) and tokens[following] in _MONEY_WORDS:
            following += 1  # "چقد باید پول بدم؟": how much money I must give
        if following >= len(tokens) or tokens[following + 1:following + 2] in (["که"], ["ke"]):
            continue  # "چقد شد که سفارش دادم؟": how long it has been since
        if tokens[following] in _COMES_TO_WORDS or (
                following == len(tokens) - 1 and tokens[following] in _COMES_TO_AT_THE_END):
            return True
    return False


# "قیمتش خوب بود ولی کیفیتش نه" / "the price was fine but …": a price judged in the past beside a
# "but" is a review of what arrived, not a price question.
_CONTRAST_WORDS = frozenset(nlp.normalize(word) for word in ("ولی", "اما", "but", "vali", "ama", "however"))
_WAS_WORDS = frozenset(nlp.normalize(word) for word in ("بود", "بودن", "بودند", "was", "were", "bood", "bud"))


def reviews_in_the_past(text: str, tokens: Sequence[str]) -> bool:
    """Whether a message with no question judges something in the past and contrasts it ("… was fine but …")."""
    return ("?" not in nlp.normalize(text) and not _CONTRAST_WORDS.isdisjoint(tokens)
            and not _WAS_WORDS.isdisjoint(tokens))


# "به کانادا ارسال دارید؟" / "do you deliver to Turkey": whether you deliver to a place at all is no
# question about an order; "my order", "it", "سفارشم" make it one.
_DELIVERING = frozenset(nlp.normalize(word) for word in (
    "ارسال", "میفرستید", "میفرستین", "بفرستید", "ersal", "mifrestid", "mifrestin", "deliver", "ship", "send"))
_TO_A_PLACE = frozenset(nlp.normalize(word) for word in ("به", "be", "b", "to"))
# "با تیپاکس هم میفرستید؟", "پیک خودتون میاره یا با پست؟": how the shop delivers, not where an order is.
_BY_A_CARRIER = frozenset(nlp.normalize(word) for word in (
    "تیپاکس", "چاپار", "پست", "پستی", "پیشتاز", "پیک", "اسنپ", "tipax", "chapar", "post", "pishtaz", "peyk",
    "courier", "dhl", "fedex"))
_BY = frozenset(nlp.normalize(word) for word in ("با", "ba", "by", "via", "with", "یا", "ya", "or"))
# "how do I order through whatsapp", "شماره ملی لازمه برای ثبت سفارش؟": how to order, not where one is.
_HOW_TO_ORDER = tuple(tuple(word_tokens(phrase)) for phrase in (
    "ثبت سفارش", "sabt sefaresh", "sabte sefaresh", "how do i order", "how to order", "how can i order",
    "place an order", "make an order", "چطور سفارش", "چطوری سفارش", "chetori sefaresh", "chetor sefaresh"))
_DO_YOU = frozenset(nlp.normalize(word) for word in (
    "دارید", "دارین", "darid", "darin", "do", "does", "can", "میکنید", "میکنین", "mikonid", "mikonin",
    "میفرستید", "میفرستین", "mifrestid", "mifrestin"))
_AN_ORDER_OF_MINE = frozenset(nlp.normalize(word) for word in (
    "my", "me", "it", "mine", "order", "package", "parcel", "سفارشم", "سفارشمو", "سفارش", "بستم", "بسته", "مرسوله",
    "من", "sefaresham", "sefaresh", "bastam", "baste", "man", "کی", "key", "kei", "when", "yet", "هنوز", "hanuz"))


def asks_whether_you_deliver_to_a_place(tokens: Sequence[str]) -> bool:
    """Whether a message asks if the shop delivers to a place at all, or how (not where an order is)."""
    if (not _HOW_TO_ORDER_STARTS.isdisjoint(tokens) and any(_contains(tokens, phrase) for phrase in _HOW_TO_ORDER)
            and _ORDERED_ALREADY.isdisjoint(tokens)):
        return True
    if not _AN_ORDER_OF_MINE.isdisjoint(tokens):
        return False
    if not _BY.isdisjoint(tokens) and not _BY_A_CARRIER.isdisjoint(tokens) and not (
            _DELIVERING | _DO_YOU | _BRINGING).isdisjoint(tokens):
        return True
    return not _DELIVERING.isdisjoint(tokens) and not _TO_A_PLACE.isdisjoint(tokens) and not _DO_YOU.isdisjoint(tokens)


_HOW_TO_ORDER_STARTS = frozenset(phrase[0] for phrase in _HOW_TO_ORDER)
_ORDERED_ALREADY = frozenset(nlp.normalize(word) for word in (
    "کردم", "کردیم", "کرده", "شد", "شده", "kardam", "kardim", "shod", "shode", "هنوز", "hanuz", "hanooz", "still",
    "yet", "کی", "کجا", "kei", "key", "when", "where", "placed", "did", "already",
    # "ده روز از ثبت سفارش اینجانب می‌گذرد": days since my order was placed
    "اینجانب", "بنده", "میگذرد", "گذشته", "گذشت"))
_BRINGING = frozenset(nlp.normalize(word) for word in ("میاره", "میارید", "میارین", "miare", "miarid", "bring"))


# "what time is it now?", "ساعت چنده الان؟": the clock asked, with no word of the shop's hours.
_WHAT_TIME_IS_IT = tuple(tuple(word_tokens(phrase)) for phrase in (
    "what time is it", "whats the time", "what's the time", "ساعت چنده الان", "الان ساعت چنده", "الان ساعت چند",
    "ساعت چند الان", "alan saat chande", "saat chande alan"))
_THE_SHOPS_HOURS = frozenset(nlp.normalize(word) for word in (
    "باز", "بازید", "بازین", "بازه", "بسته", "تعطیل", "تعطیلید", "کاری", "کار", "شما", "open", "close", "closed",
    "closing", "opening", "you", "your", "shop", "store", "baz", "bazid", "bazin", "tatil", "shoma", "kari"))


# "سایتتون باز نمیشه", "the app won't open": a site, an app or a link that does not open is no question
# about the shop's hours.
_SITE_OR_APP = frozenset(nlp.normalize(word) for word in (
    "سایت", "سایتتون", "سایتش", "اپ", "اپلیکیشن", "اپلیکیشنتون", "برنامه", "برنامتون", "لینک", "لینکش", "صفحه",
    "site", "sitetun", "website", "app", "application", "link", "page", "لینکتون", "درگاه", "dargah", "appetun"))
_OPEN = frozenset(nlp.normalize(word) for word in ("باز", "baz", "open", "opens", "load", "loads"))


def a_site_does_not_open(tokens: Sequence[str]) -> bool:
    """Whether a message says (or asks why) a site, an app or a link does not open."""
    return not _SITE_OR_APP.isdisjoint(tokens) and not _OPEN.isdisjoint(tokens)


# "مرجوعی تا چند روز قبول میکنید؟", "how many days do I have to return it?": how long a return, an
# exchange or a warranty lasts is no question about opening hours.
_RETURNS_PREFIXES = ("مرجوع", "تعویض", "گارانتی", "ضمانت", "return", "exchange", "warrant", "refund",
                     "marjoo", "taviz", "garanti")


def asks_how_long_a_return_lasts(tokens: Sequence[str]) -> bool:
    """Whether a message names returning, exchanging or a warranty (what a question of "until when" is about)."""
    return any(token.startswith(_RETURNS_PREFIXES) for token in tokens)


# "وزن این قابلمه چقدره؟", "ابعاد سینی چقدره؟": how much of a measure is no price.
_MEASURES = frozenset(nlp.normalize(word) for word in (
    "وزن", "وزنش", "ابعاد", "ابعادش", "طول", "طولش", "عرض", "عرضش", "ارتفاع", "ارتفاعش", "ظرفیت", "ظرفیتش", "حجم",
    "حجمش", "قطر", "قطرش", "موجودی", "موجودیش", "vazn", "vaznesh", "abad", "abaadesh", "weight", "dimensions",
    "capacity", "volume", "height", "width", "length"))
# How long or how often: "khoshboo konande chand vaght dovom mikone?", "chnd vqt ykbr hnna bzrm?" (not "وقت بخیر").
_HOW_MANY_OR_MUCH = frozenset(nlp.normalize(word) for word in (
    "چند", "چقدر", "چقد", "chand", "chnd", "cheghad", "cheghadr", "how"))
_SPANS_OF_TIME = frozenset(nlp.normalize(word) for word in (
    "وقت", "مدت", "vaght", "vaqt", "vqt", "modat", "long", "often"))
_PRICE_WORDS = frozenset(nlp.normalize(word) for word in (
    "قیمت", "قیمتش", "هزینه", "تومن", "تومان", "price", "cost", "costs", "ghimat", "gheymat", "hazine", "toman"))


# "baraye 8 sale monasebe?": Finglish "sale" after a number is years (سال), not a sale.
_YEAR_WORDS = frozenset(("sale", "saleh", "salegi", "salash", "salame", "sal"))
_YEARS_OLD = re.compile(r"\d+\s*(?:sale|saleh|salegi|salash|salame|sal)\b")


def counts_years(text: str) -> bool:
    """Whether a message counts years in Finglish ("8 sale", "3 salegi")."""
    return _YEARS_OLD.search(nlp.normalize(text)) is not None


# How much of it to use: "برای ۳ کیلو برنج چقد زعفران بریزم؟", "how much should I pour?".
# (A cup, a spoon or "per kilo" may be priced: "یه لیوان زعفران چنده؟", "how much per kilo?"; the verb of using
# decides.)
_AMOUNTS_USED = frozenset(nlp.normalize(word) for word in (
    "بریزم", "بریزیم", "بریزید", "بریزین", "مصرف", "berizam", "berizim", "masraf", "pour"))
# Money is "poured" into an account too: "چقدر بریزم به حساب" asks what to pay.
_MONEY_PUT = frozenset(nlp.normalize(word) for word in (
    "حساب", "حسابتون", "کارت", "کارتتون", "پول", "واریز", "hesab", "kart", "pool", "account", "card"))


def asks_how_much_of_a_measure(tokens: Sequence[str]) -> bool:
    """Whether "how much" asks a weight, a size, a stock or an amount to use, with no word of a price."""
    how_long = any(first in _HOW_MANY_OR_MUCH and second in _SPANS_OF_TIME
                   for first, second in zip(tokens, tokens[1:], strict=False))
    used = not _AMOUNTS_USED.isdisjoint(tokens) and _MONEY_PUT.isdisjoint(tokens)
    return (how_long or not _MEASURES.isdisjoint(tokens) or used) and _PRICE_WORDS.isdisjoint(tokens)


# "پایه گوشی برای تبلت هم جواب میده؟": a product that "gives an answer" for something works for it; the shop
# answering is "جواب میدین" (you answer) or asked with a time ("پشتیبانی کی جواب میده؟").
_IT_ANSWERS = frozenset(nlp.normalize(word) for word in ("میده", "میدن", "میدهد", "داد", "mide", "midan", "dad"))
_ANSWER = frozenset(nlp.normalize(word) for word in ("جواب", "javab", "jawab"))
_FOR = frozenset(nlp.normalize(word) for word in ("برای", "واسه", "baraye", "vase", "for"))
_WHEN_WORDS = frozenset(nlp.normalize(word) for word in (
    "کی", "ساعت", "ساعتی", "موقع", "زمانی", "وقتی", "امروز", "امشب", "فردا", "kei", "key", "saat", "when", "time"))


def says_a_product_works(tokens: Sequence[str]) -> bool:
    """Whether "جواب میده" (it works) is said of something for a purpose, with no word of a time."""
    return (any(token in _ANSWER and tokens[position + 1:position + 2] and tokens[position + 1] in _IT_ANSWERS
                for position, token in enumerate(tokens))
            and not _FOR.isdisjoint(tokens) and _WHEN_WORDS.isdisjoint(tokens))


def asks_the_clock(tokens: Sequence[str]) -> bool:
    """Whether a message asks what time it is, not when the shop opens."""
    return (any(_contains(tokens, phrase) for phrase in _WHAT_TIME_IS_IT)
            and _THE_SHOPS_HOURS.isdisjoint(tokens))


# "قیمت دلار امروز چنده؟": the price of a currency or of coins is the market's, not the shop's.
# (Not gold: a gold ring is something a shop sells.)
_CURRENCIES = frozenset(nlp.normalize(word) for word in (
    "دلار", "یورو", "سکه", "ارز", "بیتکوین", "بیت‌کوین", "درهم", "لیر", "پوند", "dollar", "dollars", "euro",
    "euros", "bitcoin", "dolar", "yoro", "sekke", "arz"))


_IN_A_CURRENCY = frozenset(nlp.normalize(word) for word in ("به", "in", "be", "با", "ba"))


def names_a_currency(tokens: Sequence[str]) -> bool:
    """Whether a message names a currency or coins as what is priced, not as what a price is
    written in ("قیمتش به دلار چند میشه؟" asks the shop's price)."""
    return any(token in _CURRENCIES and (position == 0 or tokens[position - 1] not in _IN_A_CURRENCY)
               for position, token in enumerate(tokens))


THANKS_FOR_WORDS = frozenset(nlp.normalize(word) for word in ("که", "ک", "از", "ke", "k", "az", "that"))
# "are you a robot?", "تو آدمی یا ربات؟", "to bot hasti?": a message made only of a word for what
# the bot is and the words of asking what someone is asks about the bot, not for a person; "آدم
# میخوام" and "real person please" hold a word of neither list and stay requests.
_WHAT_THE_BOT_IS = frozenset(nlp.normalize(word) for word in (
    "ربات", "روبات", "بات", "bot", "robot", "chatbot", "آدم", "انسان", "human", "person", "automated",
    "automatic", "خودکار", "ماشین", "machine", "adam", "ensan"))
# The same words with the ی of "you are" (رباتی؟ آدمی؟, robati?).
_YOU_ARE_WHAT = frozenset(nlp.normalize(word) for word in (
    "رباتی", "روباتی", "رباتید", "رباتین", "آدمی", "آدمید", "آدمین", "انسانی", "adami", "robati", "ensani", "rbti",
    "botid", "boti"))
_ASKING_WHAT = frozenset(nlp.normalize(word) for word in (
    "are", "is", "am", "r", "هستی", "هستین", "هستید", "هستش", "آیا", "hasti", "hastin", "hastid", "hast"))
_ABOUT_THE_BOT = _WHAT_THE_BOT_IS | _YOU_ARE_WHAT | _ASKING_WHAT | frozenset(nlp.normalize(word) for word in (
    "you", "u", "i", "this", "it", "a", "an", "the", "or", "to", "with", "talking", "chatting", "real", "actual",
    "reply", "answer", "ai", "تو", "شما", "یا", "یه", "یک", "واقعی", "هست", "است", "من", "دارم", "با", "که",
    "to", "shoma", "ya", "ye", "vaghei", "ba", "man"))
_CLAUSE_BREAK = re.compile(r"[,،.!?؟;؛\n]+")


def clause_tokens(text: str) -> list[list[str]]:
    """The word tokens of each clause (split at , ، . ! ? ؟ ; ؛ and line breaks)."""
    return [tokens for part in _CLAUSE_BREAK.split(text) if (tokens := word_tokens(part))]


_QUESTION = re.compile(r"[^,.!?;\n]*\?")


def question_tokens(text: str) -> list[list[str]]:
    """The word tokens of each clause that ends in a question mark (؟ included)."""
    return [tokens for part in _QUESTION.findall(nlp.normalize(text)) if (tokens := word_tokens(part))]


def _contains(tokens: Sequence[str], phrase: Sequence[str]) -> bool:
    return any(tuple(tokens[start:start + len(phrase)]) == tuple(phrase)
               for start in range(len(tokens) - len(phrase) + 1))


_DISMISSAL_STARTS = frozenset(phrase[0] for phrase in _DISMISSALS)


def without_dismissed_clauses(text: str, tokens: Sequence[str]) -> list[str] | None:
    """The tokens of the clauses that remain when some clause dismisses a topic (None: nothing dismissed)."""
    if _DISMISSAL_STARTS.isdisjoint(tokens):
        return None  # the common case, without splitting the text again
    clauses = clause_tokens(text)
    kept = [tokens for tokens in clauses if not any(_contains(tokens, phrase) for phrase in _DISMISSALS)]
    if not kept or len(kept) == len(clauses):
        return None
    return [token for tokens in kept for token in tokens]


# "قیمتش خوبه ولی رنگ دیگه هم داره؟", "gheymatesh ok e faghat rangash chia dare?", "price is fine but does it
# come in black?", "میشه قسطی بخرم؟ قیمتش یکم زیاده برام": a price judged is a price known, set aside like a
# dismissed topic; what is asked beside it decides ("قیمتش زیاده، تخفیف ندارید؟" still asks a discount).
_PRICE_JUDGEMENTS = frozenset(nlp.normalize(word) for word in (
    "خوبه", "خوب", "مناسبه", "مناسب", "اوکیه", "اوکی", "منطقیه", "عالیه", "زیاده", "بالاست", "بالاس", "گرونه",
    "گرون", "ok", "oke", "okay", "fine", "good", "great", "reasonable", "high", "steep", "khube", "khoobe", "khobe",
    "monasebe", "ziade", "ziyade", "balast", "geroune", "gerune", "geroone",
    # known already, or no matter: "قیمتو دیدم، فقط بگین …", "prices aside, which is quieter?", "price isn't an issue"
    "دیدم", "میدونم", "میدونیم", "میبینم", "didam", "midunam", "midoonam", "mibinam", "saw", "seen", "know", "aside",
    "issue", "matter", "مهم", "mohem"))
_BEFORE_A_JUDGEMENT = frozenset(nlp.normalize(word) for word in (
    "هم", "که", "یکم", "یه", "کم", "خیلی", "واقعا", "is", "its", "it's", "seems", "a", "bit", "too", "very", "e",
    "ham", "ke", "yekam", "kheili", "kheyli", "ash", "esh", "شون", "تون", "اتون", "هاتون",
    "isn't", "isnt", "not", "no", "an", "doesn't", "doesnt", "نقد", "نقدی", "نقدیش", "نقدیشو", "naghd", "naghdi",
    "cash"))
_AFTER_A_JUDGEMENT = frozenset(nlp.normalize(word) for word in (
    "ولی", "اما", "فقط", "برام", "but", "just", "only", "and", "vali", "ama", "faghat", "baram", "e",
    "نیست", "نیس", "nist", "nis"))
# After "but" (ولی، فقط) one word of content is a question of its own: "قیمتش اوکیه ولی مشکیش هم دارین؟".
_TURNING = frozenset(nlp.normalize(word) for word in ("ولی", "اما", "فقط", "but", "vali", "ama", "faghat", "just"))
_PRICE_NOTED_MINIMUM_REST = 2  # content words asked beside the judged price
_PRICE_SEEN = frozenset(nlp.normalize(word) for word in (
    "دیدم", "دیدیم", "میدونم", "گفتین", "گفتید", "didam", "midunam", "goftin", "goftid", "saw", "seen", "know"))
_WORDS_BEFORE_SEEN = 4


def without_a_judged_price(text: str, tokens: Sequence[str]) -> list[str] | None:
    """The tokens without a price judged ("قیمتش خوبه"), when the message asks something of at least two content
    words beside it ("قیمتش خیلی گرونه، ناراحت شدم" asks nothing else: a complaint about the price)."""
    if "?" not in text and "؟" not in text:
        return None
    for start, token in enumerate(tokens):
        if not token.startswith(_PRICE_PREFIXES):
            continue
        end = start + 1
        while end < len(tokens) and tokens[end] in _BEFORE_A_JUDGEMENT:
            end += 1
        if end == len(tokens) or tokens[end] not in _PRICE_JUDGEMENTS:
            # seen or said already, a few words on: "قیمت‌ها رو تو سایت دیدم", "qeymato ke goftin"
            seen = next((position for position in range(end, min(end + _WORDS_BEFORE_SEEN + 1, len(tokens)))
                         if tokens[position] in _PRICE_SEEN), None)
            if seen is None:
                continue
            end = seen
        end += 1
        turned = False
        while end < len(tokens) and tokens[end] in _AFTER_A_JUDGEMENT:
            turned = turned or tokens[end] in _TURNING
            end += 1
        rest = list(tokens[:start]) + list(tokens[end:])
        if len([word for word in rest if word not in nlp.STOPWORDS]) >= (1 if turned else _PRICE_NOTED_MINIMUM_REST):
            return rest
    return None


# "یه روسری هم به سفارشم اضافه کنید", "send it to Karaj instead of Tehran", "cancel my order", "the plates
# arrived broken": changing, cancelling or complaining about an order asks nothing of its status.
_CHANGING_PREFIXES = ("اضافه", "ezafe", "حذف", "hazf", "کنسل", "cancel", "laghv", "عوض", "avaz", "تغییر",
                      "taghir", "change", "switch", "remove", "instead", "بجای", "bejaye", "پاره", "شکست",
                      "کنده", "ترک", "معیوب", "خراب", "broken", "damaged", "torn", "crack", "defect", "refund",
                      "تعویض", "مرجوع", "exchange",
                      # held, or not what was ordered: "ارسال سفارش را تا اطلاع ثانوی متوقف فرمایید", "shorter than
                      # what i ordered"
                      "متوقف", "motevaghef", "hold", "pause", "shorter", "smaller")
_CHANGING_WORDS = frozenset(nlp.normalize(word) for word in (
    "لغو", "add", "cncl", "stop", "جای", "جاش", "jaye", "bezarid", "بذارید", "بذارین", "بزارید", "pick"))
# "سفارشو تحویل خواهرم بدید": handing it to someone else.
_HANDING = frozenset(nlp.normalize(word) for word in ("تحویل", "tahvil"))
_GIVE = frozenset(nlp.normalize(word) for word in ("بدید", "بدین", "بدهید", "bedid", "bedin"))
# Asking where or when: the status after all ("سفارشمو عوض کردم، کی میرسه؟").
_ASKING_WHERE_OR_WHEN = frozenset(nlp.normalize(word) for word in (
    "کی", "کجا", "کجاست", "کجاس", "کو", "کجای", "چرا", "when", "where", "why", "status", "kei", "key", "koja",
    "kojast", "kojas", "chera", "کدوم", "track", "tracking", "رهگیری", "پیگیری"))


# "کت جین من پست شد؟", "hanoz rah nayoftade?", "بلیز ساتنم از تهران خارج شده؟": whether it has left, asked.
_SHIPPED_PAIRS = frozenset((nlp.normalize(first), nlp.normalize(second)) for first, second in (
    ("بار", "زدین"), ("بار", "زدید"), ("bar", "zadin"), ("bar", "zadid"),  # loaded on the van
    ("پست", "شد"), ("پست", "شده"), ("ارسال", "شد"), ("ارسال", "شده"), ("راه", "افتاده"), ("راه", "نیفتاده"),
    ("راهی", "شده"), ("خارج", "شده"), ("post", "shod"), ("post", "shode"), ("ersal", "shod"), ("ersal", "shode"),
    ("rah", "oftade"), ("rah", "nayoftade"), ("kharej", "shode"), ("been", "shipped"), ("been", "dispatched"),
    ("shipped", "yet"), ("dispatched", "yet"), ("تحویل", "پست"), ("tahvile", "post")))
# "did my gift box go out yet?": gone out, said of something bought ("did the light go out?" is not).
_WENT_OUT_PAIRS = (("go", "out"), ("gone", "out"), ("went", "out"), ("sent", "out"))
# A message, a code or money sent is no parcel: "پیامم ارسال شد؟", "کد ارسال شده؟".
_SENT_BUT_NO_PARCEL = frozenset(nlp.normalize(word) for word in (
    "پیام", "پیامم", "پیامک", "کد", "کدش", "پول", "پولم", "رسید", "فاکتور", "ایمیل", "message", "sms", "code", "email",
    "money", "refund", "payam", "kod"))


def asks_whether_it_has_shipped(questions: Sequence[Sequence[str]]) -> bool:
    """Whether a question asks if something has been posted, sent or has left (not a message or money), or if
    something bought comes by a day named."""
    return any((nlp.has_pair(question, _SHIPPED_PAIRS) or _asks_if_it_comes_by_a_day(question)
                or nlp.has_pair(question, _WENT_OUT_PAIRS) and not _SOMETHING_BOUGHT.isdisjoint(question))
               and _SENT_BUT_NO_PARCEL.isdisjoint(question) for question in questions)


def _asks_if_it_comes_by_a_day(question: Sequence[str]) -> bool:
    return (not _BY_A_DAY.isdisjoint(question)
            and not (_IT_COMES.isdisjoint(question) and _YOU_SEND.isdisjoint(question))
            and _NOT_A_PARCEL.isdisjoint(question)
            and (not _SOMETHING_BOUGHT.isdisjoint(question) or any(_possessed(token) for token in question)
                 or not _YOU_SEND.isdisjoint(question)))  # "امروز میارینش؟": you bring it today


def changes_the_order(tokens: Sequence[str]) -> bool:
    """Whether a message asks to change, cancel or complain about an order, or reports a payment or an order that
    did not go through, rather than asking where it is."""
    changing = any(token.startswith(_CHANGING_PREFIXES) or token in _CHANGING_WORDS for token in tokens) or (
        not _HANDING.isdisjoint(tokens) and not _GIVE.isdisjoint(tokens)) or reports_a_payment_problem(tokens)
    return changing and _ASKING_WHERE_OR_WHEN.isdisjoint(tokens)


# "پولم کم شد ولی سفارش ثبت نشد", "payment went through but no order", "کد تایید نیومد", "پرداختم انجام شده یا نه؟":
# a payment that failed or an order never placed asks after no parcel (a person or the payment page answers it).
_PAYMENT_TROUBLE = frozenset(nlp.normalize(first) + " " + nlp.normalize(second) for first, second in (
    ("کم", "شد"), ("kam", "shod"), ("ثبت", "نشد"), ("ثبت", "نشده"), ("sabt", "nashod"), ("sabt", "nashode"),
    ("برداشت", "شد"), ("پرداختم", "انجام"),
    ("kam", "shode"), ("کم", "شده"), ("پرداخت", "انجام"), ("payment", "انجام"), ("not", "registered"),
    ("wasn't", "placed"), ("never", "placed"), ("charged", "twice"), ("double", "charged"), ("تایید", "نیومد"),
    ("تایید", "نیامد"), ("تایید", "نرسید"), ("taeed", "nayumad"), ("verification", "code")))
_PAYMENT_WORDS = frozenset(nlp.normalize(word) for word in ("deducted", "debited", "کسر"))


# A code or an invoice that never came.
_CODES = frozenset(nlp.normalize(word) for word in (
    "کد", "code", "kod", "otp", "رمز", "فاکتور", "فاکتورش", "invoice", "faktor"))
_CODE_NOT_COME = frozenset(nlp.normalize(word) for word in (
    "نیومد", "نیامد", "نرسید", "نمیاد", "nayumad", "nayomad", "nemiad", "didn't", "didnt", "never", "not"))


def reports_a_payment_problem(tokens: Sequence[str]) -> bool:
    """Whether a message reports money taken, a payment or order that did not go through, or a code that never came
    (no parcel asked)."""
    return (not _PAYMENT_WORDS.isdisjoint(tokens)
            or not _CODES.isdisjoint(tokens) and not _CODE_NOT_COME.isdisjoint(tokens)
            or any(f"{first} {second}" in _PAYMENT_TROUBLE for first, second in zip(tokens, tokens[1:], strict=False)))


# "بسته من الان کجاست؟", "kif ro key mifrestin?", "where is my stuff": where something bought is, or when it
# is sent or comes, is its order's status even when no word names the order.
_WHERE_IS = frozenset(nlp.normalize(word) for word in (
    "کجاست", "کجان", "کجاس", "کجاستش", "کو", "kojast", "kojan", "kojas", "where", "where's", "wheres",
    # "any news about my delivery?"
    "news", "update", "updates"))
_WHEN_IS = frozenset(nlp.normalize(word) for word in ("کی", "kei", "key", "when", "wen", "whn"))
# You sending or bringing it is about an order; its coming or arriving only beside something bought or
# "my" ("حقوقم کی میاد", when does my salary come, is no parcel: حقوقم is neither).
_YOU_SEND = frozenset(nlp.normalize(word) for word in (
    "میارین", "میارید", "میارینش", "میاریدش", "میفرستین", "میفرستید", "میفرستینش", "میفرستیدش", "بیارین", "بفرستین",
    "mifrestin", "mifrestid", "miarin", "miarid", "ship", "send", "deliver", "ارسالش", "ersalesh", "ارسالشون",
    # "این تخت رو امروز نمیارین؟": not bringing it, asked
    "نمیارین", "نمیارید", "نمیفرستین", "نمیفرستید", "nemiarin", "nemifrestin",
    # "X رو کی راهی میکنید؟": sent on its way
    "راهی", "rahi"))
_IT_COMES = frozenset(nlp.normalize(word) for word in (
    "میرسه", "میاد", "برسه", "بیاد", "mirese", "miad", "berese", "biad", "arrive", "arrives", "arriving", "come",
    "coming", "shipped", "sent", "delivered", "get", "پستچی", "postchi", "پیک", "peyk"))
_SOMETHING_BOUGHT = frozenset(nlp.normalize(word) for word in (
    "من", "my", "mine", "خریدم", "kharidam", "bought", "ordered", "بسته", "baste", "جنس", "jens", "stuff", "پکیج",
    "package", "parcel", "یکیش", "یکی", "کفش", "کیف", "kif", "kafsh", "لباس", "سفارش", "order",
    # Finglish "my" after the thing: "yakhchale man pas kojast?"; ours; what was paid for
    "man", "ما", "بستهی", "paid"))
# "when will it come" asks about it; "where is the port on it" does not.
_IT = frozenset(nlp.normalize(word) for word in ("this", "این", "in", "it", "اینو"))
# A place, a page or the shop itself is asked for, or whether something is in stock or open.
_NOT_A_PARCEL = frozenset(nlp.normalize(word) for word in (
    "آدرس", "آدرسش", "آدرستون", "شعبه", "شعبتون", "فروشگاه", "فروشگاهتون", "مغازه", "مغازتون", "shop", "store",
    "address", "adres", "showroom", "لوکیشن", "location", "پیج", "پیجتون", "page", "site", "سایت", "سایتتون",
    "دکمه", "button", "لیست", "list", "instagram", "اینستا", "دفتر", "office", "باز", "بازید", "بازین", "تعطیل",
    "open", "close", "closed", "baz", "موجود", "mojood", "mojud", "stock", "available", "تخفیف", "حراج", "sale",
    "جشنواره", "offer", "offers", "فاکتور", "invoice", "پول", "پولم", "refund", "money", "جواب", "answer", "reply",
    "زنگ", "call", "میتونم", "can", "i", "ساخت", "ساختش", "made",
    # an invoice, money back or a fault asked after: "فاکتورش نیومد", "pool kei bar migarde?", "ایراد از کجاست؟"
    "فاکتورش", "faktor", "factor", "pool", "poolam", "pulam", "ایراد", "ایرادش", "eyrad"))


_MONEY = frozenset({nlp.normalize("پول")})
_PAID = frozenset(nlp.normalize(word) for word in (
    "واریز", "ریختم", "دادم", "پرداخت", "کردم", "variz", "rikhtam", "dadam", "pardakht", "paid", "دادیم", "ریختیم",
    "dadim", "rikhtim"))


def _possessed(token: str) -> bool:
    """A thing said to be the customer's by its ending: "کتابام", "بلیزم", "ketabam" (where is it)."""
    ending = "am" if token.isascii() else "م"
    stem = token[:-len(ending)].removesuffix("ا" if ending == "م" else "")  # کتابام → کتاب
    return (len(token) >= _MINIMUM_POSSESSED + len(ending) - 1 and token.endswith(ending)
            and not token.startswith(_VERB_PREFIXES)  # "نمیکنم", "mikham": I do, I want
            and token not in _NOT_POSSESSED and stem not in _NOT_A_PARCEL)  # "آدرسم کجاست؟" asks no parcel


_MINIMUM_POSSESSED = 4
_VERB_PREFIXES = tuple(nlp.normalize(prefix) for prefix in ("می", "نمی", "mi", "nemi", "nmi"))
# Verbs and words that end like "my": "I have", "I am", "I bought" (the last counts as bought anyway).
_NOT_POSSESSED = frozenset(nlp.normalize(word) for word in (
    "دارم", "هستم", "میخوام", "نمیدونم", "میدونم", "بودم", "شدم", "کردم", "گفتم", "کنم", "بکنم", "بدونم", "خودم",
    "ممنونم", "مرسیم", "daram", "hastam", "mikham", "nemidunam", "midunam", "budam", "shodam", "kardam", "goftam",
    "konam", "khodam", "mamnunam", "salam", "madam", "program", "instagram", "telegram", "gram", "kilogram"))


# "کتابای کنکورم امروز میرسه؟", "will my order come tomorrow?": whether it comes by a day named.
_BY_A_DAY = frozenset(nlp.normalize(word) for word in (
    "امروز", "فردا", "پسفردا", "جمعه", "شنبه", "هفته", "emruz", "emrooz", "farda", "frda", "today", "tomorrow", "week",
    "weekend", "monday", "friday"))


def asks_where_a_parcel_is(tokens: Sequence[str]) -> bool:
    """Whether a message asks where something bought is, or when it is sent or arrives (no place asked)."""
    not_a_parcel = _NOT_A_PARCEL.intersection(tokens)
    if not_a_parcel and not (not_a_parcel == _MONEY and not _PAID.isdisjoint(tokens)):
        return False  # "پول رو واریز کردم کی میفرستین": money paid is no money asked for
    bought = not _SOMETHING_BOUGHT.isdisjoint(tokens)
    if not _WHERE_IS.isdisjoint(tokens):
        # "… ولی حداقل زودتر برسه، الان کجاس؟": where it is, its coming named beside
        return bought or any(_possessed(token) for token in tokens) or not _IT_COMES.isdisjoint(tokens)
    return not _WHEN_IS.isdisjoint(tokens) and (not _YOU_SEND.isdisjoint(tokens) or (
        (bought or not _IT.isdisjoint(tokens)) and not _IT_COMES.isdisjoint(tokens)))


# Spam that names money or joining: followers for sale, earning without capital, guaranteed profit.
_SPAM_WORDS = frozenset(nlp.normalize(word) for word in (
    "فالوور", "فالوئر", "فالور", "follower", "followers", "درآمد", "درامد", "سرمایه", "تضمینی", "بیتکوین", "کریپتو",
    "فارکس", "crypto", "bitcoin", "forex", "income", "investment", "earn", "lottery", "winner", "prize"))


def is_spam(tokens: Sequence[str]) -> bool:
    """Whether a message holds a word of the spam every shop receives (it asks the shop nothing)."""
    return not _SPAM_WORDS.isdisjoint(tokens)


# Another business's advertisement sent to the shop ("طراحی سایت با ۳۰٪ تخفیف ویژه! مشاوره رایگان", "tarahi site ba
# 50% takhfif, hamin alan tamas bgirid"): it offers and asks nothing. Told by what ads are made of, two kinds at least.
_LINK = re.compile(r"(?:https?://|www\.|t\.me/|instagram\.com/|\.ir\b|\.com\b)", re.IGNORECASE)
_PERCENT = re.compile(r"[0-9۰-۹٠-٩]+\s*[%٪]|درصد|darsad|percent", re.IGNORECASE)
_AD_WORDS = {
    "free": frozenset(nlp.normalize(word) for word in ("رایگان", "رایگانه", "free", "rayegan", "raygan")),
    "action": frozenset(nlp.normalize(word) for word in (
        "بگیرید", "بگیرین", "شوید", "بپیوندید", "کنید", "begirid", "bgirid", "begirin", "now", "join", "dm",
        "hurry")),
    "offer": frozenset(nlp.normalize(word) for word in (
        "ویژه", "تعرفه", "مشاوره", "همکاری", "کسب", "کارهای", "آموزش", "ثبتنام", "ثبت‌نام", "جلسه", "جلسه‌ای",
        "استثنایی", "عمده", "estesnaei", "omde", "wholesale", "تبلیغ", "services", "seo", "growth",
        "انبوه", "تبلیغاتی", "vije", "moshavere", "amoozesh", "tarahi", "sale", "offer", "limited", "exclusive",
        "course", "consultation")),
}
_CALL_TO_ACTION = {("تماس", "بگیرید"), ("تماس", "بگیرین"), ("tamas", "begirid"), ("tamas", "bgirid"),
                   ("call", "now"), ("همین", "الان"), ("hamin", "alan"), ("عضو", "شوید"), ("جهت", "لغو"),
                   ("جهت", "همکاری"), ("جهت", "سفارش"), ("جهت", "مشاوره"), ("reply", "stop"), ("فقط", "این")}
# The sender speaking for a business: "ما تولید کننده … هستیم", "we offer", "از شرکت … مزاحم میشم".
_WE_ARE = {("ما", "تولید"), ("ما", "تولیدکننده"), ("we", "offer"), ("we", "provide"), ("we", "are"), ("از", "شرکت"),
           ("our", "company"), ("our", "services")}
# The customer speaking of themselves: "my 20% code doesn't work" is no advertisement.
_FIRST_PERSON = frozenset(nlp.normalize(word) for word in (
    "i", "i'm", "im", "my", "me", "من", "میخوام", "میخواستم", "خریدم", "سفارشم", "mikham", "man", "kharidam"))


def advertises(text: str) -> bool:
    """Whether a message is another business's advertisement: two kinds of an ad's parts, nothing asked, no "I"."""
    if "?" in text or "؟" in text:
        return False
    tokens = [token for kind, token in nlp.classified_tokens(text) if kind == "word"]
    if not _FIRST_PERSON.isdisjoint(tokens):
        return False
    kinds = {kind for kind, words in _AD_WORDS.items() if kind != "action" and not words.isdisjoint(tokens)}
    if nlp.has_pair(tokens, _WE_ARE):
        kinds.add("we")
    if _LINK.search(text):
        kinds.add("link")
    if _PERCENT.search(text):
        kinds.add("percent")
    if nlp.has_pair(tokens, _CALL_TO_ACTION):
        kinds.add("action")
    return len(kinds) >= 2


# "نه ممنون نمیخوام", "no thanks, I don't want it": declining an offer with nothing else said is no
# request for a person (the bot's "I don't want the bot" examples) nor anything else.
_DECLINING = frozenset(nlp.normalize(word) for word in (
    "نمیخوام", "نمیخواهم", "نمیخوایم", "nemikham", "nemikhaam", "want", "don't", "dont", "do", "not"))
_DECLINING_ONLY = _DECLINING | frozenset(nlp.normalize(word) for word in (
    "نه", "نخیر", "ممنون", "مرسی", "فعلا", "الان", "دیگه", "na", "nah", "no", "nope", "thanks", "thank", "you",
    "mamnun", "merci", "mersi", "felan", "right", "now", "it", "i", "that", "this", "one", "اینو", "اونو",
    "باشه", "خب", "ok", "okay"))


def only_declines(tokens: Sequence[str]) -> bool:
    """Whether a message only says no, thanks and "I don't want (it)"."""
    return (not {"نمیخوام", "نمیخواهم", "نمیخوایم", "nemikham", "nemikhaam", "want"}.isdisjoint(tokens)
            and all(token in _DECLINING_ONLY for token in tokens))


def names_a_topic_no_intent_answers(tokens: Sequence[str]) -> bool:
    """Whether words after a greeting name a return, a site that does not open, a change to an order or spam.

    "salam, your site hasn't opened since last night", a formal request for guidance on returns: a
    statement after a greeting is about that topic, which no intent answers, not a greeting.
    """
    if len([token for token in tokens if token not in nlp.STOPWORDS]) < 2:
        return False
    return (a_site_does_not_open(tokens) or asks_how_long_a_return_lasts(tokens) or changes_the_order(tokens)
            or is_spam(tokens))


def asks_what_the_bot_is(tokens: Sequence[str]) -> bool:
    """Whether a message only asks whether it is talking to a bot or a person (no request for one)."""
    return (not (_WHAT_THE_BOT_IS | _YOU_ARE_WHAT).isdisjoint(tokens)
            and not (_ASKING_WHAT | _YOU_ARE_WHAT).isdisjoint(tokens)
            and all(token in _ABOUT_THE_BOT for token in tokens))


# A price praised and nothing asked: "قیمت خوب، کیفیت عالی، راضیم", "prices are fair, quality is great" — praise
# (none, as praise without thanks is). A price complained of ("قیمتش خیلی گرونه، ناراحت شدم") stays a price matter:
# its answer, said with an apology, is the price list.
_PRICE_REMARKS = frozenset(nlp.normalize(word) for word in (
    "خوب", "خوبه", "عالی", "عالیه", "مناسب", "مناسبه", "منطقی", "منصفانه", "khub", "khoob", "khube", "aali", "monaseb",
    "good", "great", "fair", "reasonable", "ok"))
# The price named in full (not the SMS spellings `_PRICE_PREFIXES` also reads: the gates judged the rule without them).
_PRICE_NAMES = ("قیمت", "ghimat", "gheymat", "qeymat", "price")
_ASKING_OR_REQUESTING = frozenset(nlp.normalize(word) for word in (
    "چند", "چنده", "چقدر", "چقد", "بدید", "بدین", "بده", "بگید", "بگین", "بگو", "کنید", "کنین", "میشه", "دارید",
    "دارین", "chand", "chande", "chnd", "cheghad", "cheghadr", "bedid", "bedin", "begid", "begin", "konid", "mishe",
    "darid", "darin", "how", "what", "can", "could", "please", "pls", "lotfan", "لطفا", "give", "tell", "any", "do",
    "is", "تخفیف", "takhfif", "discount"))


# A price called high is a price complained of (pricing) unless the writer lets it go ("گرونه ولی ارزششو داره",
# "gerune, vli ok") or muses on prices rising ("همه چی گرون شده والا", "چقدر گرون شده 😅") with nothing asked.
_EXPENSIVE_PREFIXES = ("گرون", "گران", "geroon", "gerun", "geron", "expensive", "pricey", "overpriced")
_RISEN = frozenset(nlp.normalize(word) for word in (
    "شده", "شدن", "شد", "shode", "shodan", "shod", "got", "gotten", "getting", "become", "becoming"))
_LETTING_GO = _TURNING | frozenset(nlp.normalize(word) for word in ("vli", "amma", "though", "worth"))


def lets_a_high_price_go(text: str, tokens: Sequence[str]) -> bool:
    """Whether a price called high is let go or mused on, with nothing asked ("گرونه ولی ارزششو داره")."""
    if "?" in text or "؟" in text:
        return False
    for position, token in enumerate(tokens):
        if token.startswith(_EXPENSIVE_PREFIXES):
            after = tokens[position + 1:position + 3]
            if (after and after[0] in _RISEN) or not _LETTING_GO.isdisjoint(after):
                return True
    return False


_PRICE_ASKED_BEFORE = frozenset(nlp.normalize(word) for word in ("پرسیدم", "porsidam", "asked", "قبلا", "ghablan"))
_NAMED_BRIEFLY = 8  # content words: "قیمت طبقه شیشه ای یخچال سامسونگ؟", "price for the samsung fridge glass shelf?"


def opens_with_a_price(text: str, tokens: Sequence[str]) -> bool:
    """Whether a short question opens with the word "price" and names what it is of (a long product name can leave
    the example scores under the threshold)."""
    content = [token for token in tokens if token not in nlp.STOPWORDS]
    return (("?" in text or "؟" in text) and bool(tokens) and tokens[0].startswith(_PRICE_NAMES)
            and 2 <= len(content) <= _NAMED_BRIEFLY and _PRICE_SEEN.isdisjoint(tokens) and _TURNING.isdisjoint(tokens)
            and _PRICE_ASKED_BEFORE.isdisjoint(tokens))  # "قیمتو قبلا پرسیدم، فقط بگید سایز S هست؟" asks the size


def only_remarks_on_a_price(text: str, tokens: Sequence[str]) -> bool:
    """Whether a message praises a price and asks or requests nothing ("قیمت خوب، کیفیت عالی، راضیم")."""
    return ("?" not in text and "؟" not in text and any(token.startswith(_PRICE_NAMES) for token in tokens)
            and not _PRICE_REMARKS.isdisjoint(tokens) and _ASKING_OR_REQUESTING.isdisjoint(tokens))


# Opening or closing a thing, not the shop: "the closed drawer smells when I open it", "در کابینت تا نصفه باز میشه".
_THINGS_THAT_OPEN = frozenset(nlp.normalize(word) for word in (
    "drawer", "drawers", "box", "lid", "door", "bed", "sofa", "bottle", "jar", "zip", "zipper", "package", "cabinet",
    "کشو", "کشوی", "کشوها", "کابینت", "جعبه", "جعبش", "درش", "درب", "زیپ", "زیپش", "کمد", "کمدش", "kesho", "keshoha",
    "kabinet", "jabe", "zip"))


def opens_a_thing(tokens: Sequence[str]) -> bool:
    """Whether opening or closing is said of a thing (a drawer, a lid, a box), not of the shop."""
    return not _THINGS_THAT_OPEN.isdisjoint(tokens)


# "does this head unit support apple carplay?": a product supporting something, no support team asked for.
_SUPPORTS = frozenset(nlp.normalize(word) for word in ("support", "supports", "compatible"))
_DOES = frozenset(nlp.normalize(word) for word in ("does", "do", "will", "can", "it", "this", "that"))
_PERSON_WORDS = frozenset(nlp.normalize(word) for word in (
    "talk", "speak", "agent", "human", "person", "someone", "contact", "call", "team", "reach"))


def a_product_supports(tokens: Sequence[str]) -> bool:
    """Whether "support" is what a product does ("does it support …?"), with no person asked for."""
    return any(token in _SUPPORTS and not _DOES.isdisjoint(tokens[max(0, position - 4):position])
               for position, token in enumerate(tokens)) and _PERSON_WORDS.isdisjoint(tokens)


# Money coming back: "pool kei bar migarde?", "پولم کی برمیگرده؟", "when do I get my refund?".
_MONEY_BACK = frozenset(nlp.normalize(word) for word in (
    "برمیگرده", "برمیگردونید", "برمیگردونین", "برگشت", "refund", "refunded", "bar", "migarde", "bargasht"))
# (Its own name: a second `_MONEY_WORDS` here had rebound the one "چقد باید پول بدم" reads.)
_MONEY_GIVEN_BACK = _MONEY_WORDS | frozenset(nlp.normalize(word) for word in (
    "پولم", "پولمو", "مبلغ", "وجه", "poolam", "pulam", "refund", "refunded"))


def asks_for_money_back(tokens: Sequence[str]) -> bool:
    """Whether a message asks after money coming back (a refund), not a parcel."""
    return not _MONEY_GIVEN_BACK.isdisjoint(tokens) and not _MONEY_BACK.isdisjoint(tokens)


def asks_beside_the_intent(intent: str, text: str, tokens: Sequence[str]) -> bool:
    """Whether a message given `intent` asks something beside that intent's meaning.

    The price of a currency or a price judged in the past is no price question, the clock asked is
    no question about opening hours nor a price ("الان ساعت چنده؟"), and delivery to a place at all is
    no order's status.
    """
    if is_spam(tokens) or only_declines(tokens):
        return True
    if intent == "pricing":
        return (names_a_currency(tokens) or reviews_in_the_past(text, tokens) or asks_how_much_of_a_measure(tokens)
                or asks_the_clock(tokens) or only_remarks_on_a_price(text, tokens)
                or (not _YEAR_WORDS.isdisjoint(tokens) and counts_years(text) and _PRICE_WORDS.isdisjoint(tokens)))
    if intent == "business_hours":
        return (asks_the_clock(tokens) or a_site_does_not_open(tokens) or asks_how_long_a_return_lasts(tokens)
                or says_a_product_works(tokens) or opens_a_thing(tokens))
    if intent == "order_status":
        return asks_whether_you_deliver_to_a_place(tokens) or changes_the_order(tokens) or asks_for_money_back(tokens)
    if intent == "human_agent":
        return a_product_supports(tokens)
    return False
