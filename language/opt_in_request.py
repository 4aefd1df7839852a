"""Whether a message asks to receive the shop's messages (what an opt-in must be).

An opt-in subscribes a customer to marketing, so, like an opt-out (`opt_out_request`), it needs a
clear request, not a message that merely mentions sending, messages, adding or restoring: "send
the invoice again", "add a mug to my order", "I cancelled my order by mistake, bring it back" and
"when will it be back in stock?" ask for none of the shop's messages. A message asks for them when
one clause (questions included: "can I join your newsletter?")
- names a subscription (عضو، عضویت، خبرنامه، subscribe, sign me up, opt in, newsletter, ozv …)
  that is not something else's (a YouTube channel, an affiliate programme, the site's account, a
  monthly box) and is not denied ("I never subscribed");
- names the shop's stream (offers, deals, sales, promos, discounts, news, updates, new arrivals,
  notifications, broadcast, تخفیفا، حراج، پیامک‌ها، اطلاعیه‌ها …: a plural or a kind, never "that
  message") beside a word of wanting, sending to me, keeping or turning on (میخوام، برام
  بفرستید، فعال کنید، send me, keep, back on …);
- asks to be added, put or kept on a list, a group or "in the loop" (منو اضافه کنید، بذارید تو
  لیست، add me, count me in, keep me posted), where the list is not a price, colour or wish list;
- asks to be told when something comes (خبرم کنید، بهم پیام بدید وقتی اومد، یه ندا بدین، ye pm bezanid,
  notify me, ping me when … is back, keep me posted), not asks when it comes ("kei dobare mojood mishe?");
- undoes an opt-out ("I replied STOP by accident", "اشتباهی لغو زدم", "I want back in") where no
  order, account, cart or code is what was undone, and the messages are named or nothing else is ("کرمو قطع
  کردم دوباره شروع کنم؟" stopped a cream).
A Finglish plural ending written apart is read with its word ("offer haye jadid"), a Persian one after an English
word as its English plural ("new arrival ها"), and "let them be sent" (ارسال گردد) wants them as "send them" does.
Praise ("Love the new collection!!") wants nothing; "would love", "love to", "I'd like" do.
A recommendation asked for ("پیشنهادتون چیه؟", "چی پیشنهاد میدید؟") is no offer, haggling ("یکم تخفیف
بدید") asks for no discounts to come, and an invitation to join ("عضو شوید 👇") is spam, not a request.
Information (اطلاعات) is one answer, not the notices; messages to delete are not wanted; "any news?"
asks after one thing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from language import finglish, nlp
from language.intent_matcher import TEXTING
from language.opt_out_request import speaks_of_missing_out

_CLAUSE_BREAK = re.compile(r"[,.!?;:\n]+")


_words = nlp.word_set


# Subscribing: a verb or a word of membership (عضوم، عضویتمو، ozvam, subscribe me) is enough; a noun
# (خبرنامه، newsletter, mailing list, اشتراک) needs a word of wanting or adding ("the newsletter said
# 20% off" asks nothing).
_SUBSCRIBING_PREFIXES = ("عضو", "ozv", "subscri", "resubscri", "re-subscri", "optin")
_SUBSCRIPTION_NOUN_PREFIXES = ("خبرنامه", "khabarname", "khbrnm", "newsletter", "mailing", "اشتراک", "eshterak")
_SUBSCRIPTION_WORDS = _words("opt-in signup")
_SUBSCRIPTION_PAIRS = (("sign", "me"), ("sign", "up"), ("opt", "in"), ("opt", "me"), ("want", "back"),
                       ("count", "me"), ("re-add", "me"), ("readd", "me"),
                       ("join", "your"), ("join", "the"))
# A subscription to something other than the shop's messages, or the site's account (anywhere in
# the message: "برنامه همکاری در فروش دارید؟ چطوری عضو شم؟").
_OTHER_SUBSCRIPTIONS = _words("""
youtube channel affiliate programme program team hiring wholesale buy site سایت سایتتون
باشگاه club نتفلیکس netflix spotify فیلیمو مجله magazine box جعبه jabe jabeye jabe-ye ماهانه mahane
monthly قهوه coffee tea همکاری نماینده استخدام account حساب auto-renew telegram تلگرام instagram اینستا
اینستاگرام ایتا روبیکا
""")
# Spam inviting the reader to join someone's channel: "همین الان عضو کانال ما شوید".
_OUR_CHANNEL = (("کانال", "ما"), ("گروه", "ما"), ("our", "channel"), ("our", "group"))
# Denied: "من که عضو نشده بودم", "I never subscribed".
_DENIALS = _words("never not didn't didnt نشده نشدم نبودم نیستم نکردم nashodam nashode nistam nakardam")
# Already done, right after the word of joining: "ozv e site shodam", "عضو شدم تو سایت", "I subscribed to …".
_ALREADY = _words("شدم shodam subscribed")
# Inviting the reader, as spam does: "عضو شوید 👇", "ozv shid".
_INVITING = _words("شوید بشید بشوید شید shid beshid")
# The shop's stream of messages, named as a kind or in the plural.
_STREAM_PREFIXES = (
    "تخفیف", "حراج", "تبلیغ", "پیامها", "پیامای", "پیامهای", "پیاماتون", "پیامهاتون", "پیامات",
    "پیامک", "پیشنهاد", "اطلاعیه", "اطلاعرسانی", "خبرای", "اخبار", "جشنواره", "آفر", "افر", "کالکشن",
    "محصولات", "جنسا", "اجناس", "پیامهات", "اطلاع",
    "offers", "deals", "sales", "promo", "discounts", "updates", "news", "notification", "alerts", "arrivals",
    "drops", "restock", "emails", "broadcast", "messages", "texts",
    "loop", "collection",
    "takhfif", "haraj", "tabligh", "payamha", "payamaye", "payamhaye", "payamat", "payamak",
    "ettelaie", "akhbar", "jashnvare",
    # SMS Finglish and a Latin word with a Persian plural ("pymhaye jdid", "offer haye jadid", joined below)
    "pymha", "pyamha", "pyma", "offerha", "aferha", "offera", "offerat", "offaro", "offara", "offha",
)
_STREAM_WORDS = _words("خبرا stuff pieces")
# Information (اطلاعات) is one answer, not the stream of notices (اطلاعیه، اطلاع‌رسانی): "اطلاعات بیشتر در مورد این
# محصول بدید", "اطلاعات تماستون رو بفرستید".
_INFORMATION_PREFIXES = ("اطلاعات", "etelaat", "etlaat", "ettelaat")


def _is_stream(word: str) -> bool:
    return word.startswith(_STREAM_PREFIXES) and not word.startswith(_INFORMATION_PREFIXES)
# "پیشنهادتون چیه؟", "چی پیشنهاد میدید؟": a recommendation asked for, not the shop's offers; those are plural or
# special ("پیشنهادای ویژه", "پیشنهادهای").
_RECOMMENDATION = "پیشنهاد"
_OFFERS_AFTER_RECOMMENDATION = ("ا", "ه", "ات")
_SPECIAL = _words("ویژه ویژتون vizhe")
# Haggling: "یکم تخفیف بدید؟", "ye kam takhfif bedin": one discount asked for this purchase.
_HAGGLING = (("کم", "تخفیف"), ("یکم", "تخفیف"), ("kam", "takhfif"), ("ykam", "takhfif"), ("یه", "تخفیف"),
             ("تخفیف", "بدید"), ("تخفیف", "بدین"), ("تخفیف", "بده"), ("takhfif", "bedin"), ("takhfif", "bedid"),
             ("takhfif", "bede"))
# A list, a catalogue or a photo of the products is one document, not the stream: "لیست محصولات رو بفرستید".
_A_DOCUMENT_OF = _words("لیست فهرست کاتالوگ عکس عکسای عکسهای list catalogue catalog photo photos pdf of")
_NEW_GOODS = (("جنس", "جدید"), ("jens", "jadid"), ("محصول", "جدید"), ("mahsool", "jadid"), ("new", "stuff"))
# One message ("پیام", "a text") is the stream only sent again or from now on: "dobare payam befrestid";
# "فقط پیام بده" (to the courier) and "به شماره جدید پیام بدید" ask for one message.
_ONE_MESSAGE = _words("پیام پیامی payam pym pm message text sms اسمس")  # pym: payam without its vowels
_ONE_MESSAGE_BEFORE = _words("اون این همون همین that this the last previous same")
_ONE_MESSAGE_AFTER = _words("که قبلی آخر ke ghabli akhar you")
_AGAIN = _words("دوباره مجدد مجددا باز بازم بعد dobare again anymore next")
_RECEIVING = _words("دریافت daryaft receive receiving ارسال ersal")
# An order's news: "هر وقت ارسال شد پیام بدید" asks to hear that it shipped, not for the shop's messages.
_SHIPPED = (("ارسال", "شد"), ("ersal", "shod"), ("post", "shod"), ("پست", "شد"), ("it", "ships"), ("it's", "ready"))
# Wanting, sending to me, keeping, turning on.
_WANTING = _words("""
میخوام میخواهم میخوایم بخوام مایلم مایل خواهانم دارم بیاد بیان نمیاد برسه بفرستید بفرستین بفرست بفرستی
بفرستن فرمایید بفرمایید کنید کنین کن بدید بدین بده بدهید بگید بگین بگو فعال روشن وصل دریافت بگیرم بگیریم باشم
باخبر بدم میدم مشکلی نمیدید برگردونید برگردونین گردونید گردونین
mikham mikhaym befrestid befrestin befres befrest befresti roshanesh faalesh
bedid bedin bede begid begin faal roshan vasl begiram basham
want wanna like love interested send sending receive get getting keep keeping turn start starting
resume back text whatsapp ping tell put add use let message
""")
# The formal passive: "اطلاعیه‌های محصولات جدید به این شماره نیز ارسال گردد" (let them be sent).
_BE_SENT = (("ارسال", "گردد"), ("ارسال", "شود"), ("ارسال", "بشه"), ("ersal", "beshe"), ("ersal", "shavad"))
# Being added to, put on or kept on a list, a group, a broadcast.
_LIST_PREFIXES = ("لیست", "فهرست", "گروه", "کانال", "list", "lst", "broadcast", "group", "loop", "جریان", "jaryan",
                  "channel", "kanal")
_ADDING = _words("""
اضافه اضافم اضافهم اد بذارید بذارین بذار بزارید بزارین بذارینم بذاریدم بزارینم بزاریدم قرار ثبت
برگردونید برگردونین نگه وصلم
ezafe ezafam ezafeam ezafm bezarid bezar bezarin bezarinam sabt add put keep re-add readd include count باشم basham
joinam join sub
bashm bshm
""")
_SELF = _words("منو منم مرا مارو mano manam mno me شمارمو شمارمم شماره number shomaramo shomaram shomaremo")
# Adding oneself with no list named takes a verb of adding ("add me back", "اضافم کنید"); "keep it for me"
# and "put it aside for me" add no one.
_ADDING_ONESELF = _words("اضافه اضافم اضافهم اد ثبت ezafe ezafam ezafeam ezafm sabt add re-add readd include count")
_OTHER_LISTS = _words("""
قیمت قیمتا قیمتها قیمتای رنگ رنگها رنگهای سایز سایزها علاقه علاقهمندی علاقهمندیهام انتظار خرید سفارشای
سفارشهای شهرهایی پیش price prices wish wait waiting shopping size sizes colour colors color rang gheymat
gheymataton things
""")
# Being told when something comes: خبرم کنید، بهم پیام بدید وقتی اومد، notify me, ping me when it is back.
_TELL_ME = _words("""
خبرم خبر اطلاع بهم پیام پیامی ندا khabaram khabar notify notified ping tell text message let lemme pm payam bm behem
nada مطلع اس اسمس sms منم بمنم یادم yadam remind hit
""")
_TELL_ME_VERBS = _words("""
کنید کنین کن بدید بدین بده بدهید بگید بگین بگو رسانی konid kon bedid bedin bede begid bgid me bde bdid bdin know
بزنید بزنین بفرستید بفرستین bezanid bezanin bzanid bznid befrestid befrestin konin knin بندازید بندازین bendazid
bendazin up
فرمایید بفرمایید نمایید برسانید برسونید سازید دهید
""")
# Something coming: back in stock, new, a sale's day ("let me know if it fits my phone" asks a question).
_IT_COMES = _words("""
موجود اومد اومدن اومدش بیاد رسید شارژ زدید زدین گذاشتید گذاشتین فرایدی یلدا
mojood mojud mojod oomad umad omad resid back available restock restocks comes arrives stock friday
yalda drop
آوردین آوردید اوردین اوردید داشتین داشتید avordin avordid dashtin dashtid zadid zadin gozashtid gozashtin
""")
# Something new, when it comes: "let me know when you get new cases" ("tell me what's new" asks once).
_NEW = _words("new jadid جدید")
_WHENEVER = _words("when whenever once وقتی هروقت vaghti harvaght")
_ASKING_WHEN = _words("کی چرا kei key chera")
_ASKED_AFTER_WHEN = _words("will is does do are can")
# Asking about messages sent or that cannot be sent: "did you get my messages?", "I can't send messages".
_NOT_WANTING = _words("did didn't got can't cant cannot نمیخوام nemikham دارید دارین darid darin قبلی ghabli previous "
                      "نمیخوان نمیخواد nemikhan nemikhad doesn't doesnt don't dont won't wont")
# Turning back on: "دوباره فعالم کنید", "dobare faal konid"; "start again".
_ACTIVATING = _words("فعال فعالم فعالش روشن روشنش وصل وصلش وصلم faal faalam faalesh fal roshan roshanesh vasl "
                     "reactivate فعالسازی reactivation")  # "فعال‌سازی مجدد پیامک
_RESTARTING = _words("start شروع استارت restart resume")
_SHORT_RESTART = 4  # "start again please"; "شروع حراج از کیه؟" asks when a sale starts
# Undoing an opt-out: a stopping word beside a word of mistake or return.
_STOPPED = _words("""
لغو لغو11 انصراف قطع بلاک لفت stop stopped unsubscribed unsubscribe left laghv enseraf
کنسل cancel cancelled canceled
""")
_UNDO = _words("""
اشتباهی اشتباه پشیمون پشیمونم برگردونید برگردونین دوباره آنبلاک mistake accidentally accident oops back
again unblocked eshtebahi eshtebah dobare
""")
# Ending the messages, with no word of mistake or return: whatever else the message says, it asks for no more of them
# ("هر روز تبلیغ! تمومش کنید", "گروه تبلیغاتیتون منو ادد کرده، ریموو کنید منو").
_ENDING = _words("""
لغوش لغوشون تمومش تمومشون قطعش قطعشون ریموو بسه کافیه
laghvesh tamoomesh tamumesh ghatesh base remove anymore rather
""")
_NO_NEED = (("نیازی", "نیست"), ("لازم", "نیست"), ("niazi", "nist"), ("lazem", "nist"), ("no", "need"))
_CALLS_REFUSED = (("زنگ", "نزنید"), ("زنگ", "نزنین"), ("zang", "nazanid"), ("zang", "nazanin"), ("تماس", "نگیرید"),
                  ("تماس", "نگیرین"), ("don't", "call"), ("dont", "call"), ("not", "call"))
# What else may be sent, cancelled or turned on: an order, the cart, an account, a code, an invoice.
_OTHER_THINGS = _words("""
سفارش سفارشمو سفارشم سفارشو سفارشی سبد حساب حسابم اکانت کد کدش کدم تخفیفم رمز آدرس مرجوعی پرداخت پروفایل
فاکتور فاکتورو عکس بسته بستم
order orders cart account code password address return payment sefaresh sefareshi sefareshamo sabad invoice
package parcel ships shipped tracking delivery لینک link عکس photo pic video فیلم ویس ready آماده پیک پیکتونو
courier
""")
# What a customer may have typed or sent by mistake beside a "stop" ("stop! size eshtebah zadam", "لغو، اشتباهی
# فرستادم این پیامو"): a size, a colour, a message of theirs. Undone, these are no way back to the shop's messages.
_MISTYPED = _words("سایز سایزو سایزش size رنگ رنگو color colour پیامو پیاممو payamo payamamo")


def _latin_spellings() -> dict[str, str]:
    """The Latin words above by their consonants (`finglish.consonant_spelling`): khbrm → khabaram, bdid → bedid.

    Two spellings of one kind of word (omad and oomad: omd) are one; a spelling that words of two kinds share is
    left out.
    """
    kinds = (_TELL_ME, _TELL_ME_VERBS, _IT_COMES, _WANTING, _ADDING, _SELF, _AGAIN, _RECEIVING, _ACTIVATING)
    words: dict[str, set[str]] = {}
    for group in kinds:
        for word in group:
            if (spelled := finglish.consonant_spelling(word)) and spelled != word:
                words.setdefault(spelled, set()).add(word)
    return {spelled: min(found) for spelled, found in words.items()
            if any(found <= group for group in kinds)}


_LATIN_SPELLINGS = _latin_spellings()
_KNOWN_LATIN = frozenset(word for group in (_TELL_ME, _TELL_ME_VERBS, _IT_COMES, _WANTING, _ADDING, _SELF, _AGAIN,
                                            _RECEIVING, _ACTIVATING, _OTHER_THINGS, _NOT_WANTING, _STOPPED, _UNDO)
                         for word in group if word.isascii())
# Respelled only with this many consonants, or with no vowel between its first letter and its ending's (khbrm,
# bdid): a short English word ("till" is no "tell") must not be read as a Finglish one by chance.
_RESPELLED_CONSONANTS = 5
_VOWELS = frozenset("aeiou")


def _respelled(token: str) -> str:
    """A vowel-less or SMS Finglish spelling of a word above, as that word ("khbrm kon" → khabaram kon, "xabar" →
    khabar)."""
    token = TEXTING.get(token, token)  # "can I join ur newsletter?": English as texted
    if not token.isascii() or token in _KNOWN_LATIN or token in nlp.STOPWORDS:
        return token
    token = finglish.sms_spelling(token)
    if token in _KNOWN_LATIN:
        return token
    if "'" in token and token.replace("'", "") in _KNOWN_LATIN:
        return token.replace("'", "")  # "fa'al konid": faal
    spelled = finglish.consonant_spelling(token)
    if spelled and (_VOWELS.isdisjoint(token[1:-2]) or len(spelled) >= _RESPELLED_CONSONANTS):
        return _LATIN_SPELLINGS.get(spelled, token)
    return token


# A Finglish plural ending written as a word of its own: "offer haye jadid", "payam haye shoma".
_PLURAL_ENDINGS = _words("ha haye hay hae hye hya hatoon hatun hatoono hatuno haro")  # "offer hatoon ro"
# A Persian plural after an English word: "offer های جدیدتونو", "new arrival ها رو" (offers, arrivals).
_PERSIAN_PLURAL_ENDINGS = _words("ها های هارو هاتون هاتونو")


def _joined_plurals(tokens: list[str]) -> list[str]:
    joined: list[str] = []
    for token in tokens:
        latin_before = bool(joined) and joined[-1].isascii() and joined[-1].isalpha()
        if token in _PLURAL_ENDINGS and latin_before and joined[-1] not in _PLURAL_ENDINGS:
            joined[-1] += token
        elif token in _PERSIAN_PLURAL_ENDINGS and latin_before and not joined[-1].endswith("s"):
            joined[-1] += "s"
        else:
            joined.append(token)
    return joined


def _clauses(normalized: str) -> list[list[str]]:
    return [words for part in _CLAUSE_BREAK.split(normalized)
            if (words := [_respelled(token) for token in _joined_plurals(
                [token for kind, token in nlp.classified_tokens(part) if kind == "word"])])]


# Every way to ask holds one of these words or stems; a message with none of them (most messages) is
# answered at once, before its clauses are read.
_TRIGGER_PREFIXES = (_SUBSCRIBING_PREFIXES + _SUBSCRIPTION_NOUN_PREFIXES + _STREAM_PREFIXES + _LIST_PREFIXES)
_TRIGGER_WORDS = (_SUBSCRIPTION_WORDS | _STREAM_WORDS | _ONE_MESSAGE | _ADDING_ONESELF | _TELL_ME | _STOPPED
                  | {"posted"}
                  | _ACTIVATING | _RESTARTING
                  | {first for first, _ in _SUBSCRIPTION_PAIRS + _NEW_GOODS})
_PUNCTUATION = ",.!?;:\"'()"


# Messages another sender owes the customer: "پیامکای بانکم نمیاد" (the bank's SMS), "my bank's texts stopped".
_OTHER_SENDER_PREFIXES = ("بانک", "bank")


def _names_another_sender(words: Sequence[str]) -> bool:
    return any(word.startswith(_OTHER_SENDER_PREFIXES) for word in words)


def _may_ask(normalized: str) -> bool:
    pieces = _joined_plurals([piece.strip(_PUNCTUATION) for piece in normalized.split()])
    return any(word in _TRIGGER_WORDS or word.startswith(_TRIGGER_PREFIXES) for word in map(_respelled, pieces))


def _subscribes(words: Sequence[str]) -> bool:
    if not _DENIALS.isdisjoint(words) or (not _STOPPED.isdisjoint(words) and _UNDO.isdisjoint(words)):
        return False  # "من که عضو نشدم", "لغو عضویت از چی؟"
    joining = [position for position, word in enumerate(words)
               if word.startswith(_SUBSCRIBING_PREFIXES) or word in _SUBSCRIPTION_WORDS]
    if any((word in _ALREADY or word in _INVITING)
           and (position in joining or position - 1 in joining or position - 2 in joining)
           for position, word in enumerate(words)):
        return False
    if joining or nlp.has_pair(words, _SUBSCRIPTION_PAIRS):
        return True
    return any(word.startswith(_SUBSCRIPTION_NOUN_PREFIXES) for word in words) and not (
        _WANTING.isdisjoint(words) and _ADDING.isdisjoint(words))


# "پیام منو دریافت کردین؟", "پیامتونو دریافت کردم": a message received, reported or asked about, is no request.
_RECEIVED = (("دریافت", "کردین"), ("دریافت", "کردید"), ("دریافت", "کردم"), ("دریافت", "شد"), ("daryaft", "kardin"),
             ("daryaft", "kardid"), ("daryaft", "kardam"))


def _plural_codes(words: Sequence[str]) -> bool:
    """"کد تخفیفای ماهانه", "کدهای تخفیف", "discount codes": the codes the shop keeps sending, not one code."""
    return any(first in _CODES and (second.startswith(("تخفیفا", "تخفیفه", "تخفیفهای")) or first != "کد"
                                    and second.startswith("تخفیف")) or (first, second) == ("discount", "codes")
               for first, second in zip(words, words[1:], strict=False))


_CODES = _words("کد کدهای کدای کدا کدها code codes")


# Messages deleted are not wanted: "پیامای قبلیمو پاک کنید، اشتباهی فرستادم", "delete my texts"; and "any news?"
# asks after one thing ("she said it would be back in stock, any news?").
_DELETING = _words("پاک حذف delete remove erase pak hazf")
_ASKING_AFTER = _words("any")


def _asks_for_the_stream(words: Sequence[str]) -> bool:
    others = _OTHER_THINGS - _CODES if _plural_codes(words) else _OTHER_THINGS
    declined = not _NOT_WANTING.isdisjoint(words) and not speaks_of_missing_out(words)  # "نمیخوام از دستشون بدم"
    if (not others.isdisjoint(words) or declined or nlp.has_pair(words, _RECEIVED)
            or not _DELETING.isdisjoint(words)):
        return False
    if nlp.has_pair(words, _HAGGLING):
        return False
    if any((_is_stream(word) or word in _STREAM_WORDS)
           and not (position and words[position - 1] in _A_DOCUMENT_OF | _ASKING_AFTER)
           and not _asks_for_a_recommendation(words, position)
           for position, word in enumerate(words)) or nlp.has_pair(words, _NEW_GOODS):
        return _wants(words) or nlp.has_pair(words, _BE_SENT)
    one_message = [position for position, word in enumerate(words) if word in _ONE_MESSAGE]
    if not one_message or any(_names_one_message(words, position) for position in one_message):
        return False
    if not _I_SEND.isdisjoint(words):
        return False  # "farda dobare payam midam": the customer will write again
    return not (_AGAIN.isdisjoint(words) and _RECEIVING.isdisjoint(words)) and not (
        _WANTING.isdisjoint(words) and _ACTIVATING.isdisjoint(words))


_I_SEND = _words("میدم میفرستم میزنم midam mifrestam mizanam")
# "Love the new collection!!" praises; "I'd love to get your offers", "would like the deals" want them.
_LIKING = _words("love like")
_WOULD = _words("would i'd id to getting receiving")


def _wants(words: Sequence[str]) -> bool:
    return any(word in _WANTING and (word not in _LIKING or not _WOULD.isdisjoint(
        words[max(0, position - 1):position + 2])) for position, word in enumerate(words))


def _asks_for_a_recommendation(words: Sequence[str], position: int) -> bool:
    """"پیشنهادتون چیه؟", "چی پیشنهاد میدید؟": the singular recommendation, not the special offers."""
    word = words[position]
    if not word.startswith(_RECOMMENDATION):
        return False
    special = words[position + 1:position + 2] and words[position + 1] in _SPECIAL
    return not special and not word[len(_RECOMMENDATION):].startswith(_OFFERS_AFTER_RECOMMENDATION)


def _names_one_message(words: Sequence[str], position: int) -> bool:
    """"اون پیامی که صبح فرستادین", "that message", "the last text": one message already sent."""
    before = words[position - 1] if position else ""
    after = words[position + 1] if position + 1 < len(words) else ""
    return before in _ONE_MESSAGE_BEFORE or after in _ONE_MESSAGE_AFTER or words[position].endswith("ی")


def _turns_back_on(words: Sequence[str]) -> bool:
    """"دوباره فعالم کنید", "start again": switching back on, with nothing else named (whole message)."""
    if not _OTHER_THINGS.isdisjoint(words):
        return False
    return bool(words) and words[0] in _RESTARTING and len(words) <= _SHORT_RESTART or (
        not _ACTIVATING.isdisjoint(words) and not (_AGAIN.isdisjoint(words) and _RECEIVING.isdisjoint(words)))


def _joins_a_list(words: Sequence[str]) -> bool:
    if _ADDING.isdisjoint(words) or not _OTHER_THINGS.isdisjoint(words):
        return False
    lists = [position for position, word in enumerate(words) if word.startswith(_LIST_PREFIXES)]
    if any(words[position + 1:position + 2] and words[position + 1] in _OTHER_LISTS
           or (position and words[position - 1] in _OTHER_LISTS) for position in lists):
        return False
    return bool(lists) or (not _SELF.isdisjoint(words) and not _ADDING_ONESELF.isdisjoint(words))


_POSTED = (("me", "posted"), ("us", "posted"))


def _asks_to_be_told(words: Sequence[str]) -> bool:
    if nlp.has_pair(words, _POSTED):  # "keep me posted about new scents": told whenever there is something
        return _OTHER_THINGS.isdisjoint(words)
    told = not _TELL_ME.isdisjoint(words) and not _TELL_ME_VERBS.isdisjoint(words)
    # "خبرم کنید کی شارژ میشه": "when" after the request to be told is "tell me when", not a question.
    first_told = min((position for position, word in enumerate(words) if word in _TELL_ME_VERBS), default=len(words))
    asked = any(word in _ASKING_WHEN and position < first_told for position, word in enumerate(words)) or any(
        word == "when" and words[position + 1:position + 2] and words[position + 1] in _ASKED_AFTER_WHEN
        for position, word in enumerate(words))
    coming = (not _IT_COMES.isdisjoint(words) or any(_is_stream(word) for word in words)
              or (not _NEW.isdisjoint(words) and not _WHENEVER.isdisjoint(words)))
    return told and coming and not asked and _OTHER_THINGS.isdisjoint(words)


def _undoes_an_opt_out(words: Sequence[str]) -> bool:
    return (not _STOPPED.isdisjoint(words) and not _UNDO.isdisjoint(words) and _OTHER_THINGS.isdisjoint(words)
            and _MISTYPED.isdisjoint(words) and _names_only_the_messages(words))


# An opt-out undone names the messages, or nothing but the stop, the mistake and the way back ("اشتباهی لغو زدم،
# برگردونید", "I unsubscribed by accident", "eshtebahi laghv krdm, dobre fal knid"). Anything else named was what
# stopped: a cream ("کرمو قطع کردم دوباره شروع کنم؟", "I stopped using the cream, should I start again?"), a
# purchase ("خریدمو لغو کردم میخوام دوباره بخرم"). Finglish is matched by its consonants (dobre, dobare).
_UNDO_FILLERS = _words("""
کردم زدم دادم کردین کنید کنین شد شدم بیاد بیان برام بهم لطفا لطفاً میشه رو را
krdm kardam kardm zadam dadam konid knid konin kard kardin mishe lotfan lotfa ro ra baram
by mistake please pls i it on my me your you from turn
دستم خورد فرستادم dastam khord ferestadam slipped hand u can could
""")
_MESSAGES_NAMED = ("پیام", "payam", "pyam", "pym", "واتساپ", "whatsapp", "sms", "message", "text", "اسمس")
_MINIMUM_SKELETON = 3


_UNDO_KNOWN = (_STOPPED | _UNDO | _WANTING | _AGAIN | _ADDING | _ACTIVATING | _RESTARTING | _SELF | _UNDO_FILLERS
               | nlp.STOPWORDS)
_UNDO_SKELETONS = frozenset(key for key in (finglish.skeleton(word) for word in _UNDO_KNOWN if word.isascii())
                            if len(key) >= _MINIMUM_SKELETON)


def _names_only_the_messages(words: Sequence[str]) -> bool:
    if any(word in _ONE_MESSAGE or word.startswith(_STREAM_PREFIXES + _LIST_PREFIXES + _MESSAGES_NAMED)
           for word in words):
        return True  # "ghablan laghv karde budam, dobare payamaro mikham": the messages are what comes back
    return all(word in _UNDO_KNOWN or (word.isascii() and finglish.skeleton(word) in _UNDO_SKELETONS)
               for word in words)


_SET_ASIDE = (("مهم", "نیست"), ("mohem", "nist"), ("مهم", "نی"), ("doesn't", "matter"), ("doesnt", "matter"),
              ("never", "mind"), ("فرقی", "نداره"), ("fargh", "nadare"))


def asks_for_messages(text: str) -> bool:
    """Tell whether `text` asks to receive (or resume) the shop's messages (module docstring)."""
    normalized = nlp.normalize(text)
    if not _may_ask(normalized):
        return False
    # "تخفیف دادید که دیگه مهم نیست، فقط بگید سایز ۴۲ هست؟": a clause set aside asks for nothing.
    clauses = [words for words in _clauses(normalized) if not nlp.has_pair(words, _SET_ASIDE)]
    everything = [word for words in clauses for word in words]
    if nlp.has_pair(everything, _OUR_CHANNEL):
        return False
    if not _ENDING.isdisjoint(everything) and _UNDO.isdisjoint(everything):
        return False  # "پیامای تبلیغاتی خیلی زیاده، لغوش کنید", "I'd rather not get your newsletter anymore"
    if nlp.has_pair(everything, _NO_NEED):
        return False  # "نیازی نیست هر روز آفر بفرستین": no need for them is no request for them
    if nlp.has_pair(everything, _CALLS_REFUSED):
        return False  # "lotfan zang nazanid faghat payamak bedid": how to reach the customer, not the marketing
    if not _OTHER_SUBSCRIPTIONS.isdisjoint(everything) and not any(
            _is_stream(word) for word in everything):
        # "let me know when the box set is back": told when it comes, which subscribes to nothing else.
        return not any(word.startswith(_SUBSCRIBING_PREFIXES + _SUBSCRIPTION_NOUN_PREFIXES)
                       for word in everything) and _asks_to_be_told(everything)
    if nlp.has_pair(everything, _SHIPPED) or _names_another_sender(everything):
        return False
    checks = (_asks_for_the_stream, _asks_to_be_told, _undoes_an_opt_out, _turns_back_on)
    return any(_subscribes(words) or _joins_a_list(words) for words in clauses) or any(
        check(everything) for check in checks) or (
        # "کی موجود میشه؟ موجود شد بهم اس بدید": a question, then the request to be told, each a clause of its own
        len(clauses) > 1 and any(_asks_to_be_told(words) for words in clauses))
