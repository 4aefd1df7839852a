"""Whether a message explicitly asks to stop receiving messages (the only way to opt out).

An opt-out silences a customer for good, so similarity is not enough: "did you get my
message?" looks like "no more messages" letter by letter. Outside the exact commands of the
rules file (STOP, لغو, لغو۱۱ …), a message opts out only when one clause holds
- an unsubscribe word (unsubscribe, opt out, انصراف, آنسابسکرایب, enseraf), or
- a subscription word with a cancelling word (لغو عضویت, cancel my subscription), or
- a messaging word (پیام، پیامک، تبلیغ، خبرنامه، لیست, messages, ads, texts, payam …)
  with a stopping word (نفرستید، ندید، قطع کنید، حذفم کنید، نمیخوام، بسه، مزاحم نشید, stop,
  no more, no longer, don't, remove me, take me off, leave me alone, nafrestid …), or with
  cancelling the sending or receiving itself (لغو دریافت پیامک),
or the customer or their number removed with nothing else named ("شمارمو حذف کنید", "mano hazf konid",
"please remove my number", "take me off"; not "remove my old number", "delete my account"),
and no clause says it is a mistake to undo (اشتباهی, by mistake, accidentally, back), or asks for
messages again (دوباره, again) without a stopping word ("don't text me again" still opts out); what
follows "but" (ولی، اما) is a clause of its own. The shop's sending named in one clause, a question
included ("روزی ده تا پیام میدین؟"), with a short stop request in another ("بسه دیگه") opts out too.
The shop's ads, special offers or list (never a message as such) also stop with weaker words: a
negated passive ("دیگه پیام تبلیغاتی برام ارسال نشه", "حذف گردد"), refraining (خودداری), no need
(نیازی نیست, no need), no interest (علاقه‌ای ندارن), a threat to block the sender (بلاکتون میکنم), or
cancelling right before them ("laghve payamak tablighi"); and a clause that is only a stop ("please
stop", "بسه دیگه نفرستین", "قطعش کنید") stops what another clause names when that is the ads or
messages sent to the customer by the day ("روزی سه تا پیام تبلیغ؟", "daily messages from you").
A subscription to something the shop sells or another service (a monthly box, coffee, a magazine)
is no messaging list. A removal asked for as a noun ("درخواست حذف شماره اینجانب از فهرست …") is a request, and
"no more messages be sent" in the formal passive ("دیگر پیامی ارسال نشود") stops messages as such.
A clause that is a question ("unsubscribe from what?") never counts, unless it opens with a
request and asks nothing else ("میشه دیگه پیام تبلیغاتی نفرستید؟", "can you stop sending me the
newsletter?"); a waiting or shopping list ("لیست انتظار", "my shopping list") is no messaging list. Two of these words
written without a space (`تبلیغاتنفرستین`, `nomore`) are read as two, and a one-letter slip in
a deciding word of five letters or more (`نفستید`, `پایمک`, `unsubscibe`) is read as that word,
never as a negation the customer did not type. SMS Finglish with no vowel after the first
letter meets the Latin words by their consonants (`dg pym nfrstd`, `lghv eshtrk`), and so does one whose only
vowel is its ending's (`nfrstid`). Cancelling an order,
deleting a photo or stopping a delivery mention none of the messaging words. An unsubscribe word beside another
channel's mail and none of this chat's messages ("unsubscribe me from your emails") stops nothing here, and
messages called automatic ("stop replying with auto messages, get me someone") are the bot's answers, whose
stop asks for a person, unless the ads are named. SMS letters are read as the sounds they stand for (`nmixam`,
`qat`, `tabliq-haye`: x for kh, 2 or q for gh), the ads cancelled after they are named stop ("تبلیغات واتساپ رو
کنسل کنید"), and another sender's footer ("Reply STOP to unsubscribe", "جهت لغو ۱۱ ارسال کنید") tells its reader how
to stop and asks the shop nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from language import finglish, nlp

_CLAUSE_BREAK = re.compile(r"[,.!;:\n]+|(?<=\?)")


_words = nlp.word_set


_UNSUBSCRIBE = _words("""
unsubscribe optout opt-out انصراف آنسابسکرایب انسابسکرایب اونسابسکرایب enseraf unsub
""")
_SUBSCRIPTION_PREFIXES = ("عضو", "اشتراک", "ozv", "eshterak", "subscription",
                          "membership", "خبرنامه", "khabarname", "newsletter")
_CANCELLING = _words("لغو لغوش کنسل laghv laghve cancel cancelled end terminate خارج kharej")
# A subscription to something the shop sells or another service is no messaging list: "eshterak e
# jabe-ye mahane ro laghv konam" (the monthly box), "cancel my coffee subscription".
_PRODUCT_SUBSCRIPTIONS = _words("""
جعبه باکس jabe jabe-ye jabeye box قهوه coffee tea چای مجله magazine نتفلیکس netflix spotify فیلیمو youtube
باشگاه باشگاهمو باشگاهم gym club ماهانه mahane monthly
""")
# Another site's or shop's list or subscription: "از خبرنامه یه سایت دیگه لغو عضویت کردم ولی هنوز میاد".
_ELSEWHERE_PAIRS = (("سایت", "دیگه"), ("سایت", "دیگر"), ("site", "dige"), ("sayt", "dige"), ("another", "site"),
                    ("other", "site"), ("another", "shop"), ("another", "store"), ("فروشگاه", "دیگه"),
                    ("جای", "دیگه"), ("jaye", "dige"),
                    # another channel's list: "az ye kanal telegram dige laghv ozviat kardam"
                    ("telegram", "dige"), ("تلگرام", "دیگه"), ("kanal", "dige"), ("کانال", "دیگه"),
                    ("another", "channel"), ("other", "channel"), ("اپ", "دیگه"), ("app", "dige"), ("another", "app"),
                    ("other", "app"), ("برنامه", "دیگه"))
# "... ولی الان میخوام دوباره بدید": what follows a "but" is read as a clause of its own.
_CONTRAST = _words("ولی اما but vali ama")
_MESSAGING_PREFIXES = (
    "پیام", "اسمس", "sms", "تبلیغ", "تخفیفات", "خبرنامه", "لیست", "فهرست", "اطلاعرسانی",
    "message", "messaging", "text", "ads", "advert", "promo", "newsletter", "mailing",
    "notification", "spam", "payam", "pyam", "pym", "tabligh", "tbligh", "khabarname", "takhfifat",
    "offers", "اسپم", "برادکست", "برودکست", "broadcast", "اطلاعیه", "tblgh", "ادز",
)
_MESSAGING_WORDS = _words("pm pms ad list listetun listeton liste listet اس رسانی msg msgs")
# Negated send/give/hit verbs and "I don't want", in the spellings customers use.
_STOPPING = _words("""
نفرستید نفرستین نفرست نفرستی نفرستن ندید ندین نده ندهید نزنید نزنین نزن نکنید نکنین
نمیخوام نمیخواهم نمیخوایم نخواستم بسه کافیه ممنوع نباشه نیاد نفرمایید نفرمائید
نمیخوان نمیخواهند nemikhan
nafrestid nafrestin nafres nafrest naferestid naferestin naferesti naferest
nadid nadin nade nazanid nazan nemikham nakhastam nakonid nakonin نذارید نذارین nazarid nazarin
بردارید بردارین بردار bardarid دربیارید دربیارین darbiarid darbiarin نباشم nabasham
base basse stop stopped stopping quit enough remove unsubscribe don't dont cease discontinue
""")
_STOPPING_PAIRS = (("no", "more"), ("do", "not"), ("take", "me"), ("not", "interested"), ("rather", "not"),
                   # "از لیست پخشتون منو بکشید بیرون": pull me out
                   ("بکشید", "بیرون"), ("بکشین", "بیرون"), ("bekeshid", "birun"), ("bekeshin", "birun"),
                   ("no", "longer"), ("me", "alone"), ("مزاحم", "نشید"), ("مزاحم", "نشین"),
                   ("مزاحم", "نشو"), ("mozahem", "nashid"), ("mozahem", "nashin"),
                   ("want", "out"), ("spam", "nakonid"), ("spam", "nakon"), ("اسپم", "نکنید"),
                   ("اسپم", "نکنین"),
                   # "bas konid dige": stop it
                   ("بس", "کنید"), ("بس", "کنین"), ("bas", "konid"), ("bas", "konin"), ("bas", "kon"),
                   # "این شماره رو از لیست در بیارید": take it out
                   ("در", "بیارید"), ("در", "بیارین"), ("dar", "biarid"), ("dar", "biarin"), ("درش", "بیارید"),
                   ("درش", "بیارین"), ("darash", "biarid"),
                   # "منو از لیست … خط بزنید" (cross me out), "broadcast رو off کنید" (turn it off)
                   ("خط", "بزنید"), ("خط", "بزنین"), ("khat", "bezanid"), ("off", "کنید"), ("off", "کنین"),
                   ("off", "konid"), ("turn", "off"),
                   # "شمارمو برای ارسال سفارش دادم نه برای تبلیغ، دیگه ازش استفاده نکنید"
                   ("استفاده", "نکنید"), ("استفاده", "نکنین"), ("estefade", "nakonid"), ("don't", "use"),
                   # "mute me from your promos", "ما رو بیخیال شید دیگه با این پیامای تخفیف" (leave us be)
                   ("mute", "me"), ("mute", "us"), ("mute", "your"), ("mute", "these"), ("mute", "this"),
                   ("بیخیال", "شید"), ("بیخیال", "شین"), ("بیخیال", "بشید"), ("bikhial", "shid"),
                   ("bikhial", "shin"), ("bikhyal", "shid"))
# "لغو دریافت پیامک", "لغو ارسال پیام": cancelling the receiving or the sending itself.
_SENDING_OR_RECEIVING = _words("دریافت ارسال daryaft ersal receiving sending")
# "I do not wish to receive messages": a refusal next to receiving.
_RECEIVING = _words("دریافت receive receiving daryaft")
_REFUSING = _words("نیستم ندارم عدم نمیخوام نمیخواهم nistam nemikham")
_REQUEST_VERB_STEMS = ("حذف", "پاک", "قطع", "متوقف", "خارج", "بیرون", "درم", "غیرفعال",
                       "خاموش", "معاف", "hazf", "pak", "ghat", "kharej", "motevaghef",
                       # "تمومش کنید" (end it), beside the ads or messages by the day named
                       "تموم", "tamum", "tamoom")
# Deleting is what a customer asks of one message they sent ("پیاممو پاک کنید", "delete my last
# message"): beside a messaging word it is a stop request only when the clause names a list, the
# ads, or the customer as what goes ("منو از لیست حذف کنید", "حذفم کنید", "تبلیغات رو حذف کنید").
_DELETING_STEMS = ("حذف", "پاک", "hazf", "pak")
_TAKING_OUT_STEMS = ("خارج", "kharej")  # "خارجم کنید", "kharejam konid": take me out
_LIST_OR_ADS_PREFIXES = (
    "لیست", "فهرست", "list", "تبلیغ", "تخفیفات", "خبرنامه", "اطلاعرسانی", "ads", "advert", "promo",
    "newsletter", "mailing", "notification", "spam", "اسپم", "tabligh", "tbligh", "khabarname", "takhfifat", "offers",
    "برادکست", "برودکست", "broadcast", "اطلاعیه", "tblgh", "ادز",
)
# The offers by their Persian name, as words (a prefix would read آفرین, "bravo", as them).
_LIST_OR_ADS_WORDS = _words("ad رسانی آفر آفرا آفرها آفراتون آفرهاتون آفراتونو آفرهاتونو آفرارو آفرهارو افر")
_SELF = _words("منو من مرا مارو ما me us mano mara")
# "پاک نکنید" / "قطع نکنید" is "do NOT delete / cut": the opposite of a stop request.
_NEGATED_LIGHT_VERBS = _words("نکنید نکنین نکن nakonid nakonin nakon")
# The customer's own going, "میخوام از لیست خارج شم": kept out of the words a run-together word splits into (شماره).
_BECOMING = _words("شم بشم sham besham")
_REQUEST_VERBS = _words(
    "کنید کنین کن بکنید بکنین بکن نمایید نمائید بفرمایید فرمایید فرمائید بیارید بیارین konid konin kon knid knin knd kn"
    # the formal passive: "شماره اینجانب از فهرست حذف گردد", "پیامکا قطع بشه"
    " گردد بشه بشود شود"
    # the request said as a noun, as on a menu: "غیرفعال کردن پیامک‌های تبلیغاتی"
    " کردن")
# Weaker ways of saying stop, which count only beside the shop's ads or its list (the marketing, never a
# message as such: "تا پیامک تایید ارسال نشه" waits for a code, "no need to text me the invoice" asks
# nothing to stop): a negated passive ("دیگه پیام تبلیغاتی برام ارسال نشه"), refraining ("از ارسال پیامک
# تبلیغاتی خودداری نمایید"), no need ("نیازی نیست برام پیشنهاد ویژه بفرستید"), no interest ("علاقه‌ای به
# پیام‌های تبلیغاتی ندارن") and a threat to block the sender ("یه بار دیگه تبلیغ بفرستین بلاکتون میکنم").
_WEAK_STOPPING = _words("نشه نشود نگردد نشن نشوند خودداری nashe nashavad بلاکتون بلاکت blocketun blaketun "
                        "block blocketoon blockton blocktun")  # "block tun mikonam age baz tabligh befrestid"
_WEAK_STOPPING_PAIRS = (("نیازی", "نیست"), ("لازم", "نیست"), ("niazi", "nist"), ("lazem", "nist"),
                        ("no", "need"), ("block", "you"),
                        # "تبلیغات هفتگی نه مرسی": no, thanks
                        ("نه", "مرسی"), ("نه", "ممنون"), ("no", "thanks"), ("na", "mersi"), ("na", "mamnoon"))
# A negated passive asks for no more messages at all when it says "any more" ("دیگه پیامی برام ارسال نشه");
# without it, it may wait for one ("تا پیامک تایید ارسال نشه").
_NEGATED_PASSIVE = _words("نشه نشود نگردد nashe nashavad")
_ANY_MORE = _words("دیگه دیگر dige dg anymore longer")
_FROM_NOW_ON = (("این", "پس"), ("from", "now"), ("any", "more"))
_INTEREST = _words("علاقه علاقهای تمایل تمایلی alaghe alaghei tamayol tamayoli")
_NO_INTEREST = _words("ندارم ندارن ندارد نداره نداریم ندارند nadaram nadaran nadare")
# The shop's special offers are its ads: "دیگه نیازی نیست برام پیشنهاد ویژه بفرستید".
# So are messages of discounts: "هر روز پیام تخفیف میاد".
_SPECIAL_OFFER = (("پیشنهاد", "ویژه"), ("پیشنهادات", "ویژه"), ("pishnahad", "vizhe"), ("special", "offers"))
# Messages of discounts or sales, in any spelling of both words ("payame takhfif", "پیامای حراج"), and offers
# received ("علاقه‌ای به دریافت پیشنهادها ندارم"): a word of the first kind right before one of the second.
_OFFER_PAIR_PREFIXES = ((("پیام", "payam", "pyam", "pym", "message", "sms", "اسمس"),
                         ("تخفیف", "حراج", "takhfif", "haraj", "discount", "sale", "offer")),
                        (("دریافت", "daryaft"), ("پیشنهاد", "pishnahad", "offer")),
                        # "کدهای تخفیف", "discount codes"; "خبر محصولات جدید", "اخبار حراج", "گروه پخش"
                        (("کد", "code", "takhfif", "discount"), ("تخفیف", "takhfif", "code")),
                        (("خبر", "اخبار", "khabar", "akhbar"), ("محصول", "حراج", "تخفیف", "جدید", "mahsool",
                                                                 "haraj", "takhfif", "jadid")),
                        (("گروه", "group"), ("پخش", "broadcast")))
_UNDOING = _words("""
اشتباهی اشتباه برگردونید برگردونین برگردون فعال mistake mistakenly back resume eshtebahi eshtebah
accidentally accident oops
""")
# "again" undoes only where nothing in its clause stops: "don't text me again" is no way back.
_AGAIN = _words("دوباره مجدد again dobare")
_OUT_OR_OFF = _words("out off")


_PAIR_WORDS = frozenset(word for pair in _STOPPING_PAIRS for word in pair)
_WEAK_WORDS = frozenset(word for pair in _WEAK_STOPPING_PAIRS for word in pair) | _WEAK_STOPPING | _NO_INTEREST
_SIGNAL_WORDS = (_UNSUBSCRIBE | _CANCELLING | _MESSAGING_WORDS | _STOPPING | _RECEIVING | _REFUSING
                 | _REQUEST_VERBS | _UNDOING | _AGAIN | _SENDING_OR_RECEIVING | _PAIR_WORDS | _WEAK_WORDS)
_SIGNAL_PREFIXES = _MESSAGING_PREFIXES + _SUBSCRIPTION_PREFIXES + _REQUEST_VERB_STEMS
_MINIMUM_RUN_TOGETHER = 5


def _is_signal(word: str) -> bool:
    return word in _SIGNAL_WORDS or word.startswith(_SIGNAL_PREFIXES)


# "کننده" (-er: خوشبو کننده, پاک کننده) is one word, never کن + نده ("don't give").
_DOER = nlp.normalize("کننده")


def _split_run_together(word: str) -> list[str]:
    """"تبلیغاتنفرستین" → تبلیغات نفرستین, "nomore" → no more: two words of this module run together.

    Both parts must be words this module looks for (or a stopword beside one of them).
    """
    if len(word) < _MINIMUM_RUN_TOGETHER or word in _SIGNAL_WORDS or word in _BARE_STOP_FILLERS or _DOER in word:
        return [word]  # "bashe" (ok) is no "bas" + "he"
    for cut in range(len(word) - 2, 1, -1):
        head, tail = word[:cut], word[cut:]
        head_signal, tail_signal = _is_signal(head), tail in _SIGNAL_WORDS or _is_signal(tail)
        if (head_signal or head in nlp.STOPWORDS) and (tail_signal or tail in nlp.STOPWORDS) and (
                head_signal or tail_signal) and not (head.startswith(_SIGNAL_PREFIXES) and head_signal
                                                     and not tail_signal):
            return [head, tail]
    return [word]


def _one_edit_variants(word: str, insertions: bool = True) -> set[str]:
    """Spellings one slip away: a letter left out, two letters swapped (and one typed twice, Persian)."""
    variants = {word[:index] + word[index + 1:] for index in range(len(word))}
    variants |= {word[:index] + word[index + 1] + word[index] + word[index + 2:] for index in range(len(word) - 1)}
    if insertions:
        variants |= {word[:index] + word[index] + word[index:] for index in range(len(word))}
    return variants - {word}


# Typos of the words that decide (نفستید, کننید, unsubscibe, پایمک): one letter left out, two
# swapped, or (Persian only: English inflections are insertions) one typed twice. Only for
# words of five letters and more; a short word one slip from another is too often another word.
_REPAIRABLE = {word for word in _STOPPING | _UNSUBSCRIBE | _CANCELLING | _REFUSING | _RECEIVING
               | _SENDING_OR_RECEIVING if len(word) >= 5}
_MESSAGING_STEMS = ("پیامک", "تبلیغ", "تخفیفات", "خبرنامه", "اطلاعرسانی", "message", "messaging",
                    "newsletter", "advert", "notification", "tabligh", "khabarname", "takhfifat")
# Words of their own one slip from a deciding word, never repaired: "… انصاف نیست" (fair, not انصراف), "پیام کافه"
# (a café, not کافیه), "the phone case" (not cease), "payam bardari" (pregnancy, not bardarid), "naan" (bread), "kharj"
# (spending), "nazari" (an opinion). Each one opted its writer out before it was listed.
_NOT_SLIPS = _words("""
انصاف انصافا کافه case cases bass bases bardari nazari nadi naan lagh khare kharj kharje nares
""")
_REPAIRS: dict[str, str] = {}
for _word in sorted(_REPAIRABLE) + list(_MESSAGING_STEMS):
    for _variant in _one_edit_variants(_word, insertions=not _word.isascii()):
        # Never repair into a negation the customer did not type (کننید is کنید, not نکنید).
        if _variant not in _SIGNAL_WORDS and _variant not in _NOT_SLIPS and _variant[:1] == _word[:1]:
            _REPAIRS.setdefault(_variant, _word)


for _word in sorted(_REQUEST_VERBS):  # کننید, ککنید: a key typed twice after حذف/پاک/قطع
    for _variant in {_word[:index] + _word[index] + _word[index:] for index in range(len(_word))}:
        if _variant not in _SIGNAL_WORDS:
            _REPAIRS.setdefault(_variant, _word)


def _consonant_signals() -> tuple[dict[str, str], tuple[tuple[str, str], ...]]:
    """Vowel-less Finglish spellings of the Latin words and stems: nfrstd → nafrestid, pym → payam."""
    spellings: dict[str, set[str]] = {}
    for word in _SIGNAL_WORDS:
        spelled = finglish.consonant_spelling(word) if word.isascii() else ""
        if spelled and spelled != word:
            spellings.setdefault(spelled, set()).add(word)
    stems = tuple((spelled, stem) for stem in _SIGNAL_PREFIXES
                  if stem.isascii() and len(spelled := finglish.consonant_spelling(stem)) >= 3)
    # Two spellings of one stopping word (nafrestid, naferestid) share their consonants; other collisions are dropped.
    return {spelled: min(words) for spelled, words in spellings.items() if len(words) == 1 or words <= _STOPPING}, stems


_CONSONANT_WORDS, _CONSONANT_STEMS = _consonant_signals()
_VOWELS = frozenset("aeiou")


def _repaired(word: str) -> str:
    if len(word) < 3 or _is_signal(word):
        return word
    word = finglish.sms_spelling(word)  # SMS Finglish: "qat konid", "tabliqati", "nmixam" are ghat, tablighati, nmikham
    if _is_signal(word):
        return word
    if word.isascii() and word.isalpha() and not _VOWELS.intersection(word[1:]):  # pym nfrstd eshtrk
        # Only words with no vowel after the first letter: "last" must never be read as lst = list.
        spelled = finglish.consonant_spelling(word)
        if spelled in _CONSONANT_WORDS:
            return _CONSONANT_WORDS[spelled]
        found = next(((consonants, stem) for consonants, stem in _CONSONANT_STEMS if spelled.startswith(consonants)),
                     None)
        if found is not None:  # with what follows the stem: hzfm is hazf + m ("delete me")
            return found[1] + spelled[len(found[0]):]
    if (word.isascii() and word.isalpha() and len(word) >= 5 and word.endswith("e")
            and not _VOWELS.intersection(word[1:-1])):  # khbrnme: the ezafe's "e" alone ("khbrnme ro lghv knid")
        repaired = _repaired(word[:-1])
        if repaired != word[:-1]:
            return repaired
    if (word.isascii() and word.isalpha() and len(word) >= 6 and not _VOWELS.intersection(word[1:-2])
            and word[-2] in _VOWELS):  # nfrstid, nfrstin: the vowel of the ending alone
        spelled = finglish.consonant_spelling(word)
        if spelled in _CONSONANT_WORDS:
            return _CONSONANT_WORDS[spelled]
    if len(word) < 4:
        return word
    if word in _REPAIRS:
        return _REPAIRS[word]
    for length in range(min(len(word) - 1, 11), 3, -1):  # a messaging stem with an ending: پایمکها
        stem = _REPAIRS.get(word[:length])
        # Persian stems only: a Latin one would read promise as promo+ise, a messaging word.
        if stem is not None and stem in _MESSAGING_STEMS and not stem.isascii():
            return stem + word[length:]
    return word


# "میشه دیگه پیام تبلیغاتی نفرستید؟", "can you stop sending me the newsletter?": a request put politely
# as a question is still a request; "unsubscribe from what?" asks something.
_REQUEST_OPENINGS = _words("""
میشه میشود امکانش ممکنه لطفا لطفاً خواهشا خواهشمندم mishe lotfan khahesh can could would will please pls plz
""")
_ASKING_WORDS = _words("چی چیه چرا کی کجا چطور چطوری کدوم what why when where which how who chi chera koja")
_GREETING_WORDS = _words("سلام درود hi hello hey salam dorood")
# A list that is not the shop's messages: "لیست انتظار", "list entezare kif", "my shopping list".
_OTHER_LIST_AFTER = _words("انتظار خرید خریدم خریدام علاقه علاقمندی علاقه‌مندی سبد entezar entezare kharid kharidam")
_OTHER_LIST_BEFORE = _words("waiting shopping wish")
_LIST_WORDS = _words("لیست فهرست list")


_HOW_MANY_TIMES = (("چند", "بار"), ("chand", "bar"), ("how", "many"))


def _asks_politely(words: Sequence[str]) -> bool:
    """A question that opens with a request (میشه، can you, please) and asks nothing else, or says how many times it
    has been asked already ("چند بار بگم پیام نفرستید؟")."""
    if nlp.has_pair(words[:3], _HOW_MANY_TIMES):
        return True
    opening = [word for word in words[:4] if word not in _GREETING_WORDS][:2]
    return bool(opening) and opening[0] in _REQUEST_OPENINGS and _ASKING_WORDS.isdisjoint(words)


def _without_other_lists(words: list[str]) -> list[str]:
    """The words with a list that is not the messaging list (a waiting or shopping list) made neutral."""
    return ["<list>" if word in _LIST_WORDS and (
        (position + 1 < len(words) and words[position + 1] in _OTHER_LIST_AFTER)
        or (position and words[position - 1] in _OTHER_LIST_BEFORE)) else word
        for position, word in enumerate(words)]


def _split_at_contrast(words: list[str]) -> list[list[str]]:
    """The words before and after each "but" (ولی، اما) as clauses of their own."""
    clauses: list[list[str]] = [[]]
    for word in words:
        if word in _CONTRAST:
            clauses.append([])
        else:
            clauses[-1].append(word)
    return [clause for clause in clauses if clause]


@lru_cache(maxsize=4096)  # customers reuse words, and every message is read for an opt-out
def _token_words(token: str) -> tuple[str, ...]:
    """A token as the words this module reads: split where two were run together, each repaired."""
    return tuple(_repaired(piece) for piece in _split_run_together(token))


def _clauses(text: str, questions: bool = False) -> list[list[str]]:
    """The clauses of `text` as repaired words; a question only when it is a polite request (or `questions`)."""
    normalized = nlp.normalize(text)
    clauses = []
    for part in _CLAUSE_BREAK.split(normalized):
        words = _without_other_lists([word for kind, token in nlp.classified_tokens(part)
                                      if kind == "word" for word in _token_words(token)])
        if words and (questions or not part.rstrip().endswith("?") or _asks_politely(words)):
            clauses.extend(_split_at_contrast(words))
    return clauses


def _deletes_self(word: str) -> bool:
    """حذفم / پاکم / hazfam / خارجم: the deleting verb (or taking out) with "me" as its object."""
    stem = next((stem for stem in _DELETING_STEMS + _TAKING_OUT_STEMS if word.startswith(stem)), None)
    return stem is not None and word[len(stem):] in ("م", "am", "em", "m")


def _names_what_goes(words: Sequence[str]) -> bool:
    """A list, the ads or the customer is what the clause asks to delete (see _DELETING_STEMS)."""
    return any(word.startswith(_LIST_OR_ADS_PREFIXES) or word in _LIST_OR_ADS_WORDS or word in _SELF
               or _deletes_self(word) for word in words)


# "درخواست حذف شماره اینجانب از فهرست ارسال پیامک را دارم": the formal request names the removal as a noun.
_REQUEST_NOUNS = _words("درخواست تقاضای تقاضا خواستار darkhast")


def _not_a_stop(words: Sequence[str], position: int) -> bool:
    """A stopping word that says something else here: "پاک نکنید" (do not delete), "your messages don't load"
    (a don't that sends nothing), "همون پیامکی کافیه" (that one suffices), "جواب ندین" (you do not answer)."""
    word, before = words[position], words[position - 1] if position else ""
    if word in _NEGATED_LIGHT_VERBS and before.startswith(_REQUEST_VERB_STEMS):
        return True
    if speaks_of_missing_out(words[position + 1:position + 6]):  # "نمیخوام آفرا رو از دست بدم"
        return True  # "تخفیفا رو نمیخوام از دست بدم": not wanting to miss them is wanting them
    if word in _BARE_DONT:
        return _SENT_BY_YOU.isdisjoint(words[position + 1:position + 3])
    if word == "stop" and before in _BARE_DONT | {"not", "never"}:
        return True  # "don't stop", a cheer
    if word in _SUFFICES:
        return not _THAT_ONE.isdisjoint(words)
    if word == "enough" and before in _IS:
        return True  # "a text is enough": one suffices, nothing stopped
    if word in _NOT_PUTTING:  # "منو تو برادکست نذارید" puts me; "بروشور تبلیغاتی تو بسته نذارید" a leaflet
        return _SELF.isdisjoint(words)
    if before in _CALLING:
        return True  # "زنگ نزنید فقط پیام بدید": a call refused, the messages asked for
    return word in _NOT_GIVING and before in _ANSWER


# English "don't" stops only a sending, contacting or wanting: "don't send", "don't text me", "don't want them".
_BARE_DONT = _words("don't dont")
_SENT_BY_YOU = _words("send text message email contact spam bother want add include sms call msg msgs pm dm")
_SUFFICES = _words("کافیه")
_NOT_PUTTING = _words("نذارید نذارین nazarid nazarin")
_THAT_ONE = _words("همون همین hamun hamoon hamin")
_NOT_GIVING = _words("ندین ندید ندهید nadin nadid")
_ANSWER = _words("جواب پاسخ javab")
_CALLING = _words("زنگ تماس zang tamas")
# Left behind or missing out: "نمیخوام از تخفیفا جا بمونم", "I don't want to miss your offers" (losing, "از دست…",
# is read by its stem in `speaks_of_missing_out`).
_MISSING = (("جا", "بمونم"), ("جا", "بمونیم"), ("جا", "بمانم"), ("عقب", "بمونم"), ("ja", "bemunam"),
            ("ja", "bemoonam"), ("aghab", "bemunam"), ("aqab", "bemunam"), ("to", "miss"), ("to", "lose"))
_IS = _words("is be was it's its that's")


def speaks_of_missing_out(words: Sequence[str]) -> bool:
    """Whether the words say losing or missing something ("از دستشون بدم", "جا بمونم", "to miss")."""
    return nlp.has_pair(words, _MISSING) or any(
        first in ("از", "az") and second.startswith(("دست", "dast"))
        for first, second in zip(words, words[1:], strict=False))


def _requests_stop(words: Sequence[str], deleting_counts: bool = True) -> bool:
    if any(word in _STOPPING and not _not_a_stop(words, position)
           for position, word in enumerate(words)) or nlp.has_pair(words, _STOPPING_PAIRS):
        return True
    if any(word in _RECEIVING for word in words) and any(word in _REFUSING for word in words):
        return True
    if any(word == "take" and not _OUT_OR_OFF.isdisjoint(words[position + 1:position + 5])
           for position, word in enumerate(words)):
        return True  # "take this number out of your list", "take us off"
    for position, word in enumerate(words):
        if not deleting_counts and word.startswith(_DELETING_STEMS):
            continue
        if word.startswith(_REQUEST_VERB_STEMS) and (any(
                following in _REQUEST_VERBS or following in _BECOMING for following in words[position + 1:position + 3])
                or (position and words[position - 1] in _REQUEST_NOUNS)):
            return True
    return False


def _names_ads(words: Sequence[str]) -> bool:
    """The shop's ads, offers or list (not a message as such) are named."""
    return any(word.startswith(_LIST_OR_ADS_PREFIXES) or word in _LIST_OR_ADS_WORDS for word in words) or nlp.has_pair(
        words, _SPECIAL_OFFER) or any(
        first.startswith(before) and second.startswith(after)
        for first, second in zip(words, words[1:], strict=False) for before, after in _OFFER_PAIR_PREFIXES)


def _says_any_more(words: Sequence[str]) -> bool:
    return not _ANY_MORE.isdisjoint(words) or nlp.has_pair(words, _FROM_NOW_ON)


def _stops_ads_weakly(words: Sequence[str]) -> bool:
    """A weaker stop (_WEAK_STOPPING) beside the ads or the list."""
    weak = not _WEAK_STOPPING.isdisjoint(words) or nlp.has_pair(words, _WEAK_STOPPING_PAIRS) or (
        not _INTEREST.isdisjoint(words) and not _NO_INTEREST.isdisjoint(words))
    return weak and _names_ads(words)


# What a shop advertises with, which "don't send me" stops ("دیگه حراج و تخفیف برام نفرستید", "no more discount
# codes", "sale و off هاتون رو دیگه نفرستید"); with other stops ("تخفیف نمیخوام، زودتر بفرستید") they ask nothing.
_OFFER_NOUNS = _words("""
تخفیف تخفیفا تخفیفها حراج حراجی حراجیا حراجها کد آف off offer offers sale sales discount discounts deal deals
takhfif takhfifa haraj haraji code codes آفر آفرا آفرها افر offera
""")
_OFFER_PREFIXES = ("تخفیف", "حراج", "takhfif", "haraj", "discount", "offer", "آفر")
# The sales themselves, named beside a bare stop ("another mega sale message at 7am … please make it stop"); a code
# ("کد تخفیفم کار نمیکنه، بسه دیگه") is the customer's trouble, not the ads.
_ADVERTISED = _OFFER_NOUNS - _words("کد code codes off آف")
_NEGATED_SENDING = _words("""
نفرستید نفرستین نفرست نفرستی نفرستن nafrestid nafrestin nafrest naferestid naferestin naferesti naferest
""")
_NEGATED_SENDING_PAIRS = (("no", "more"), ("stop", "sending"), ("dont", "send"), ("don't", "send"), ("not", "send"),
                          ("ارسال", "نکنید"), ("ارسال", "نکنین"), ("ersal", "nakonid"), ("ersal", "nakonin"),
                          # the formal "do not send": "هیچ پیام تبلیغاتی ارسال نفرمایید"
                          ("ارسال", "نفرمایید"), ("ارسال", "نفرمائید"), ("ارسال", "ننمایید"))


def _refuses_offers(words: Sequence[str]) -> bool:
    """A negated send (or "stop" / "no more") beside what the shop advertises with; or not wanting them any more
    to come or be received ("دیگه نمیخوام پیشنهادای ویژه‌تونو دریافت کنم", "نمیخوام دیگه پیشنهاد و تخفیف برام بیاد",
    "sms haye jashnvare o harajetun ro dg namikham"; "تخفیف نمیخوام، زودتر بفرستید" wants no discount, nothing more)."""
    negated = not _NEGATED_SENDING.isdisjoint(words) or nlp.has_pair(words, _NEGATED_SENDING_PAIRS) or "stop" in words
    # "off" is a discount only among Persian words ("sale و off هاتون"); in English it is "stop the strap slipping off".
    persian = any(not word.isascii() for word in words)
    offers = any((word in _OFFER_NOUNS and (word != "off" or persian)) or word.startswith(_OFFER_PREFIXES)
                 for word in words)
    if negated and offers:
        return True
    refused = not _NOT_WANTING_ANY_MORE.isdisjoint(words) and _says_any_more(words)
    coming = not _COMING_TO_ME.isdisjoint(words) or not _RECEIVING.isdisjoint(words) or any(
        word.startswith(_MESSAGING_PREFIXES) for word in words)
    return refused and coming and (offers or any(word.startswith(_SHOP_OFFER_PREFIXES) for word in words))


# (and someone else's phone: "ایشون دیگه نمیخوان پیامای شمارو دریافت کنن"; not نمیخواد, "is not needed")
_NOT_WANTING_ANY_MORE = _words("نمیخوام نمیخواهم نمیخوایم namikham nemikham nmikham nmikhm نمیخوان nemikhan")
# Coming to the customer or got by them: "برام بیاد", "بگیرم", "دریافت کنم".
_COMING_TO_ME = _words("بیاد بیان برسه بگیرم بگیریم برام بهم biad bian begiram baram")
_SHOP_OFFER_PREFIXES = ("پیشنهاد", "جشنواره", "jashnvare", "pishnahad")


def _cancels_ads(words: Sequence[str]) -> bool:
    """"laghve payamak tablighi", "لغو تبلیغات": cancelling, the ads named within the next few words; or the ads
    named first and the cancelling asked after them ("تبلیغات واتساپ رو کنسل کنید", "tablighat ro cancel konid")."""
    def names_ads(word: str) -> bool:
        return word.startswith(_LIST_OR_ADS_PREFIXES) and not word.startswith(("لیست", "فهرست", "list"))

    return any(word in _CANCELLING and (
        any(names_ads(following) for following in words[position + 1:position + _CANCEL_REACH])
        or words[position + 1:position + 2] and words[position + 1] in _REQUEST_VERBS
        and any(names_ads(before) for before in words[max(0, position - _CANCEL_REACH):position]))
        for position, word in enumerate(words))


_CANCEL_REACH = 5  # "کنسل کنید این پیامای تبلیغاتی رو": the ads three words after the cancelling


# "شمارمو حذف کنید", "منو حذف کنید", "please remove my number", "take me off": in a chat with the shop's
# number, the customer (or their number) removed with nothing else named is a request to stop its messages
# (the writers of five blind-written sets read it so, every time). Anything else named — an account, an
# order, a message, an address, an old number — is something else to delete, and the clause must be short.
_MY_NUMBER = _words("""
شمارمو شمارم شمارمم شمارهمو شمارهام شمارمون shomaramo shomarmo shmrmo shmarmo shomaram shomarm shomaremo
shomaremoo shmaremo
""")
_MY_NUMBER_PAIRS = (("این", "شماره"), ("این", "شمارهرو"), ("شماره", "منو"), ("شماره", "من"), ("شماره", "ما"),
                    ("my", "number"), ("this", "number"), ("our", "number"), ("in", "shomare"),
                    ("shomare", "mano"), ("shomare", "man"),
                    ("شماره", "اینجانب"), ("شماره", "بنده"))
_SOMETHING_ELSE = _words("""
اکانت اکانتمو حساب حسابمو حسابم account سفارش سفارشمو سفارشم order آدرس آدرسمو address پیام پیاممو پیامم پیامو
message messages text comment کامنت کامنتمو عکس عکسمو photo picture قبلی قدیمی قدیمیمو قبلیمو old previous
سبد cart کارت card اطلاعات اطلاعاتمو data info سایت site app اپ برنامه پروفایل profile رمز password ایمیل email
sefaresh hesab akant adres payam ax aks ghabli ghadimi
بسته بستهی پاکت جعبه فاکتور برچسب package parcel box label invoice
""") | {"<list>"}  # a waiting or shopping list (_without_other_lists)
_MAXIMUM_REMOVAL_CLAUSE = 6
_REMOVING = _words("remove delete بردارید بردارین bardarid")


def _removes_the_customer(words: Sequence[str]) -> bool:
    """"منو حذف کنید", "shmrmo hzf knd", "please remove my number": the customer removed, nothing else."""
    # Courtesy does not lengthen it; "from your broadcast list" names where from ("please delete my number from
    # your broadcast list").
    content = [word for word in words if word not in _COURTESY and word not in _GREETING_WORDS]
    if (len(content) > _MAXIMUM_REMOVAL_CLAUSE and not _names_ads(words)) or not _SOMETHING_ELSE.isdisjoint(words):
        return False
    names_me = (any(word in _SELF or word in _MY_NUMBER or _deletes_self(word) for word in words)
                or nlp.has_pair(words, _MY_NUMBER_PAIRS))
    # Removing, not any stop word: "please don't call me, just message" removes no one.
    removing = not _REMOVING.isdisjoint(words) or nlp.has_pair(words, (("take", "me"), ("take", "us"))) or any(
        # "pls take my number off": taken off, not taken down ("take my number and call me")
        word == "take" and words[position + 1:position + 2] == ["my"]
        and not _OUT_OR_OFF.isdisjoint(words[position + 2:position + 5]) for position, word in enumerate(words)) or any(
        _deletes_self(word) or word.startswith(_DELETING_STEMS) and not _REQUEST_VERBS.isdisjoint(
            words[position + 1:position + 3]) for position, word in enumerate(words))
    return names_me and removing


# Another channel's mail named beside the unsubscribe word ("unsubscribe me from your emails", "از ایمیلاتون
# unsubscribe کردم"): stopping this chat's messages would stop what the customer did not name.
_OTHER_CHANNEL_PREFIXES = ("email", "e-mail", "ایمیل", "imeil", "emeil")
# The bot's automatic answers named as what to stop ("stop replying with auto messages and get me someone",
# "این پیامای خودکارو تموم کنید یه آدم جواب بده"): a customer who wants a person, not one leaving the list.
_AUTOMATIC = _words("auto automatic automated autoreply autoreplies خودکار اتوماتیک اتومات khodkar otomatik")


# A command written as a menu item, nothing else in it: "cancel sms", "قطع پیامک", "کنسل کردن پیامک ها",
# "stop promos". A list alone ("cancel list") or anything of the customer's ("cancel my sms order") is no such item.
_COMMAND_NOUNS = _words("لغو کنسل قطع توقف غیرفعال غیرفعالسازی cancel stop end disable mute laghv ghat")
_COMMAND_FILLERS = _words("کردن شدن kardan the all همه hame لطفا لطفاً please pls plz lotfan")
_MAXIMUM_COMMAND_ITEM = 4


def _names_messages_as_a_command(words: Sequence[str]) -> bool:
    content = [word for word in words if word not in _COMMAND_FILLERS]
    if not content or len(content) > _MAXIMUM_COMMAND_ITEM or _COMMAND_NOUNS.isdisjoint(content):
        return False
    messages = [word for word in content if word not in _COMMAND_NOUNS]
    return bool(messages) and all(
        (word.startswith(_MESSAGING_PREFIXES) or word in _MESSAGING_WORDS or word in _LIST_OR_ADS_WORDS)
        and not word.startswith(("لیست", "فهرست", "list")) and word not in _ONE_MESSAGE for word in messages)


# One message may be the customer's own to take back ("cancel message", "کنسل پیام"): the messages, SMS or ads are
# what a menu item stops.
_ONE_MESSAGE = _words("پیام payam pyam message msg text pm")


# An English subscription named by a word this module does not know is another service's: "cancel my Kindle
# subscription" ("cancel my newsletter subscription", "cancel my sms subscription" are this chat's). Persian names the
# subscriber after the word ("اشتراک اینجانب", "عضویت بنده"): there the products listed above decide.
_SUBSCRIPTION_NOUNS = _words("subscription subscriptions membership")


def _names_another_service(words: Sequence[str]) -> bool:
    return any(word in _SUBSCRIPTION_NOUNS and position and (named := words[position - 1]).isascii()
               and named not in nlp.STOPWORDS and named not in _COURTESY and named not in _SELF
               and not (_is_signal(named) or named in _THIS_CHAT or named in _LIST_OR_ADS_WORDS)
               for position, word in enumerate(words))


# The shop's own list by its name: "باشگاه مشتریان" is no gym.
_CUSTOMER_CLUB = (("باشگاه", "مشتریان"), ("باشگاه", "مشتری"), ("bashgah", "moshtarian"), ("customer", "club"))
# "دوباره اضافم نکنید", "please don't add me again": the customer not to be put on the list.
_DONT_ADD_ME = (("اضافم", "نکنید"), ("اضافم", "نکنین"), ("ezafam", "nakonid"), ("ezafam", "nakonin"),
                ("don't", "add"), ("dont", "add"), ("not", "add"))


def _clause_opts_out(words: Sequence[str]) -> bool:
    if _removes_the_customer(words) or _names_messages_as_a_command(words):
        return True
    if nlp.has_pair(words, _DONT_ADD_ME) and (not _SELF.isdisjoint(words) or any(
            word.startswith(("اضافم", "ezafam")) for word in words)):
        return True
    if any(word in _UNSUBSCRIBE for word in words) or any(
            word == "opt" and "out" in words[position + 1:position + 3]
            for position, word in enumerate(words)):
        return not nlp.has_pair(words, _ELSEWHERE_PAIRS) and (
            not any(word.startswith(_OTHER_CHANNEL_PREFIXES) for word in words) or _names_this_chat(words))
    if any(word.startswith(_SUBSCRIPTION_PREFIXES) for word in words) and (
            _PRODUCT_SUBSCRIPTIONS.isdisjoint(words) or nlp.has_pair(words, _CUSTOMER_CLUB)) and not nlp.has_pair(
            words, _ELSEWHERE_PAIRS) and not _names_another_service(words) and (
            any(word in _CANCELLING for word in words) or _requests_stop(words)):
        return True
    messaging = any(word.startswith(_MESSAGING_PREFIXES) or word in _MESSAGING_WORDS
                    for word in words)
    if messaging and any(first in _CANCELLING and second in _SENDING_OR_RECEIVING
                         for first, second in zip(words, words[1:], strict=False)):
        return True
    if _stops_ads_weakly(words) or _cancels_ads(words) or _refuses_offers(words):
        return True
    if _names_ads(words) and _requests_stop(words):  # "ارسال کدهای تخفیف به این شماره را قطع نمایید"
        return True
    if messaging and _says_any_more(words) and not _NEGATED_PASSIVE.isdisjoint(words):
        return True  # "خواهشمند است دیگر پیامی ارسال نشود": no more messages be sent, said formally
    if messaging and not _AUTOMATIC.isdisjoint(words) and not _names_ads(words):
        return False
    return messaging and _requests_stop(words, deleting_counts=_names_what_goes(words))


_THIS_CHAT = _words("whatsapp واتساپ واتس‌اپ watsap whatsup واتس پیام پیامک پیامها پیامای sms payam payamak texts")


def _names_this_chat(words: Sequence[str]) -> bool:
    return not _THIS_CHAT.isdisjoint(words)


# "روزی ده تا پیام میدین، خسته شدم، بسه دیگه": the shop's sending named in one clause (a question
# included), a short stop request in another.
_YOU_SEND = _words("""
میدین میدید میدن میفرستید میفرستین میفرستن میزنید میزنین midin midid mifrestid mifrestin send sending sends
mdn mdin mdid mfrstd mfrstn mfrstid mfrstin
""")  # the last line with the vowels left out: "rozi 3 ta pym mdn"
_MAXIMUM_STOP_CLAUSE = 5
# A stop clause with nothing but the stop in it ("please stop", "بسه دیگه نفرستین"): it can stop nothing but
# what the message is about, so the ads named, or messages counted by the day, are enough in another clause
# ("روزی سه تا پیام تبلیغ؟ بسه دیگه نفرستین", "… daily messages from you, please stop"); "can you stop my
# order?" names something else to stop.
# Something of the customer's that does not work names no ads: "کد تخفیفم کار نمیکنه. بسه دیگه!" is exasperation.
_NOT_WORKING = (("کار", "نمیکنه"), ("کار", "نمیکند"), ("قبول", "نمیشه"), ("اعمال", "نمیشه"), ("kar", "nemikone"),
                ("kar", "nmikone"), ("doesn't", "work"), ("doesnt", "work"), ("not", "working"), ("isn't", "working"))
# Courtesy does not make a stop clause longer: "mamnoon misham dige baraye man nafrestid".
_COURTESY = _words("ممنون میشم لطفا لطفاً خواهشا خواهشاً mamnoon mamnun misham lotfan lotfn khahshan please pls plz")
_BARE_STOP_FILLERS = _COURTESY | _words("""
دیگه دیگر برام بهم به من واسم ما برامون dige digeh khahesh baram behem vasam just it now already me us ok okay
برای baraye man dg bram ارسال ersal send sending چیزی هیچی هیچ chizi hichi anything nothing
باشه bashe bsh i said گفتم goftam گفته بودم gofte bodam boodam
براش واسش براشون barash vasash ازش azash make
""")
# Messages by the day, sent to the customer: "هر روز برام پیام میاد", "daily messages from you" ("هر روز بهتون
# پیام میدم" is the customer's own sending).
_BY_THE_DAY = _words("روزی هرروز روزانه daily ruzi harruz هفتگی weekly مکرر")
_BY_THE_DAY_PAIRS = (("هر", "روز"), ("every", "day"), ("har", "ruz"), ("هر", "هفته"), ("every", "week"))
# Messages called a nuisance are the shop's to the customer: "پیام‌های مکرر شما موجب مزاحمت است".
_NUISANCE_PREFIXES = ("مزاحم", "mozahem", "annoying", "spam", "اسپم")
_TO_ME = _words("برام بهم واسم ازتون baram behem vasam")
_TO_ME_PAIRS = (("به", "من"), ("از", "شما"), ("from", "you"), ("to", "me"), ("baraye", "man"), ("text", "me"),
                ("texting", "me"), ("message", "me"), ("messaging", "me"))


def _messages_me_by_the_day(words: Sequence[str]) -> bool:
    to_me = not _TO_ME.isdisjoint(words) or nlp.has_pair(words, _TO_ME_PAIRS) or _names_yours(words) or any(
        word.startswith(_NUISANCE_PREFIXES) for word in words) or _MY_SENDING.isdisjoint(words)
    by_the_day = not _BY_THE_DAY.isdisjoint(words) or nlp.has_pair(words, _BY_THE_DAY_PAIRS)
    return _names_messaging(words) and by_the_day and to_me


# The messages called too many or a nuisance, in the customer's voice: "khaste shodam az in hame sms", "پیامکهاتون
# مزاحمه", "so many texts from you" ("این همه پیام دادم جواب ندادین" counts the customer's own: not these).
_TOO_MANY_PAIRS = (("این", "همه"), ("in", "hame"), ("so", "many"), ("too", "many"), ("انقدر", "پیام"),
                   ("enghad", "payam"))
_MY_OWN_SENDING = _words("دادم فرستادم زدم dadam ferestadam zadam sent")


def _messages_too_many(words: Sequence[str]) -> bool:
    unwanted = nlp.has_pair(words, _TOO_MANY_PAIRS) or any(word.startswith(_NUISANCE_PREFIXES) for word in words)
    return (unwanted and _names_messaging(words) and _MY_SENDING.isdisjoint(words)
            and _MY_OWN_SENDING.isdisjoint(words))


def _names_yours(words: Sequence[str]) -> bool:
    """The shop's messages: "پیام شما", "پیامهاتون", "your messages"."""
    return any(word.startswith(_MESSAGING_PREFIXES) and (
        word.endswith("تون") or words[position + 1:position + 2] == ["شما"] or words[position - 1:position] == ["your"])
        for position, word in enumerate(words))


def _is_bare_stop(words: Sequence[str]) -> bool:
    """Only a stop, politeness and "me" or "it" as its object ("بسه دیگه منو حذف کنید", "قطعش کنید")."""
    self_named = any(word in _SELF or _deletes_self(word) for word in words)
    return _requests_stop(words, deleting_counts=self_named) and all(
        word in _STOPPING or word in _PAIR_WORDS or word in _BARE_STOP_FILLERS or word in _SELF
        or word in _REQUEST_VERBS or (word.startswith(_REQUEST_VERB_STEMS) and len(word) <= _BARE_VERB_LENGTH[
            word.isascii()]) for word in words)


_BARE_VERB_LENGTH = {False: 6, True: 8}  # "قطعش", "ghatesh": Finglish spells the same verb longer


def _names_messaging(words: Sequence[str]) -> bool:
    return any(word.startswith(_MESSAGING_PREFIXES) or word in _MESSAGING_WORDS for word in words)


def _stop_clause_length(words: Sequence[str]) -> int:
    return len([word for word in words if word not in _COURTESY])


def _stops_what_another_clause_names(text: str, clauses: Sequence[Sequence[str]]) -> bool:
    if len(clauses) < 2 and "?" not in text and "؟" not in text:
        return False
    if not any(_stop_clause_length(words) <= _MAXIMUM_STOP_CLAUSE and _requests_stop(words, deleting_counts=any(
            word in _SELF or _deletes_self(word) for word in words)) for words in clauses):
        return False
    named = [words for words in _clauses(text, questions=True) if not nlp.has_pair(words, _NOT_WORKING)]
    if any(not _YOU_SEND.isdisjoint(words) and _names_messaging(words) for words in named):
        return True
    bare_stops = [words for words in clauses
                  if _stop_clause_length(words) <= _MAXIMUM_STOP_CLAUSE and _is_bare_stop(words)]
    if bare_stops and any(_says_any_more(words) for words in bare_stops) and any(
            _names_messaging(words) and _MY_SENDING.isdisjoint(words) and _MY_OWN_SENDING.isdisjoint(words)
            for words in named):
        return True  # "خواهش میکنم دیگه نفرستید، این همه پیام گیجم میکنه"
    return bool(bare_stops) and any(_names_ads(words) or _messages_me_by_the_day(words) or _messages_too_many(words)
                                    or not _ADVERTISED.isdisjoint(words) or _messages_come_again(words)
                                    or _names_joining(words) for words in named)


# "ارسال پیامک مجدداً آغاز شده است", "chera dobare payam miad??": the messages started again.
def _messages_come_again(words: Sequence[str]) -> bool:
    return _names_messaging(words) and not (_AGAIN | _STILL).isdisjoint(words) and not _COMING_AGAIN.isdisjoint(words)


_STILL = _words("هنوز hanuz hanooz still")


# The customer joined or was added, said in the past ("اشتباهی عضو شدم", "I subscribed by accident", "someone added
# my number"): the list is what a bare stop beside it ends.
_JOINED_PAST = _words("""
شدم شده کرده کردم کردید کردین داده shodam shode karde kardam kardid kardin dade subscribed joined added signed
registered زدم zadam نکردم nakardam
""")


_CANCEL_WORDS = _words("cancel undo remove delete لغو لغوش کنسل حذف حذفش hazf hazfesh laghv laghvesh kansel")
_CANCEL_FILLERS = _COURTESY | _REQUEST_VERBS | _words("it that this آن اونو اینو خواهشمندم خواهشمندیم plz")


def _is_bare_cancel(words: Sequence[str]) -> bool:
    """"cancel it", "لغوش کنید", "خواهشمندم لغو گردد": cancelling, with nothing but courtesy and "it" beside it."""
    return not _CANCEL_WORDS.isdisjoint(words) and all(word in _CANCEL_WORDS or word in _CANCEL_FILLERS
                                                        for word in words)


def _names_joining(words: Sequence[str]) -> bool:
    return not _JOINED.isdisjoint(words) and not _JOINED_PAST.isdisjoint(words) and not _stopped_before(words)


# The customer's own sending ("هر روز بهتون پیام میدم", "دیگه پیام نمیدم"): no messages of the shop named.
_MY_SENDING = _words("میدم نمیدم میفرستم نمیفرستم بهتون بهت midam nemidam mifrestam behetun")


def _may_opt_out(clauses: Sequence[Sequence[str]]) -> bool:
    """Whether some word could take part in an opt-out: every way holds a word of messaging, the ads or a list,
    a subscription, unsubscribing, an offer, receiving, or the customer or their number (most messages hold none)."""
    return any(word.startswith(_MAY_OPT_OUT_PREFIXES) or word in _MAY_OPT_OUT_WORDS or _deletes_self(word)
               for words in clauses for word in words)


# The messages liked in the last word: "خواهرم گفت لغو۱۱ بزنم ولی من نمیخوام، خوشم میاد از پیاماتون", "my friend
# unsubscribed but I love your offers". What is said last decides ("پیاماتون قشنگه ولی دیگه نمیخوام" still stops).
_LIKING_PAIRS = (("خوشم", "میاد"), ("خوشم", "میآد"), ("khosham", "miad"), ("دوست", "دارم"), ("doost", "daram"),
                 ("dust", "daram"))
_LIKING = _words("love like enjoy عاشق عاشقشم ashegh")


def _ends_liking_the_messages(text: str) -> bool:
    last = next((words for words in reversed(_clauses(text, questions=True)) if words), [])
    stops = [position for position, word in enumerate(last) if word in _STOPPING or word in _REFUSING]
    after = stops[-1] + 1 if stops else 0  # "I don't like your ads" likes nothing
    liked = any(position >= after and (nlp.has_pair(last[position:position + 2], _LIKING_PAIRS) or (
        word in _LIKING and not (position and last[position - 1] in _NOT_LIKING)))
        for position, word in enumerate(last))
    return liked and (_names_messaging(last[after:]) or _names_ads(last[after:]))


_NOT_LIKING = _words("don't dont not never")


# A mistake or "again" that undoes no stop (tests/data/README.md, "The twenty-sixth pass"): the joining was the
# mistake ("اشتباهی عضو شدم، لغوش کنید", "I subscribed by accident, cancel it", "someone added my number by mistake"),
# the messages come again ("چرا دوباره پیامک میاد؟ من لغو کرده بودم. قطعش کنید"), the way back is for later and the
# customer's own ("شاید بعدا دوباره عضو شم ولی فعلا پیامک نفرستید"). "اشتباهی لغو کردم، برگردونید" and "قبلا گفتم
# نفرستید ولی الان میخوام دوباره بدید" still undo one.
_JOINED = _words("""
عضو عضوم عضویت ثبت ثبتنام اضافه اضافم اد ادد join joined subscribe subscribed signed registered added sabt sabtenam
ozv ozvam add ezafe ezafam فعال داده dade
""")
_COMING_AGAIN = _words("""
میاد میان میفرستید میفرستین شروع آغاز کردید کردین miad mian mifrestid coming comes getting started start kardid
""")
_LATER = _words("بعدا بعداً شاید اگه اگر هروقت خودم badan shayad age harvaght khodam later maybe if ever whenever "
                "myself")
_WAY_BACK = _words("برگردونید برگردونین برگردون back resume")


def _undoes_no_stop(words: Sequence[str], clauses: Sequence[Sequence[str]]) -> bool:
    everything = [word for clause in clauses for word in clause]
    if not _LATER.isdisjoint(words):
        return True
    if not _WAY_BACK.isdisjoint(words):
        return False
    if not _COMING_AGAIN.isdisjoint(words) and not _AGAIN.isdisjoint(words):
        return True
    if not _UNDOING.isdisjoint(words):
        return not _JOINED.isdisjoint(everything) and not _stopped_before(everything)
    return False  # "قبلا گفتم نفرستید ولی الان میخوام دوباره بدید": wanted again


# The customer's own stop, done before: "لغو کرده بودم", "I unsubscribed", "ghat karde boodam" ("کنسل کنید" is asked
# now).
_STOPPED_BEFORE = _words("لغو قطع کنسل انصراف بلاک laghv ghat kansel enseraf unsubscribe آنسابسکرایب")
_STOPPED_PAST = _words("unsubscribed cancelled canceled stopped blocked")
_DONE = _words("کردم کرده بودم زدم داده دادم دادهام کردهام kardam karde bodam boodam zadam dade dadam krdm")


def _stopped_before(words: Sequence[str]) -> bool:
    return not _STOPPED_PAST.isdisjoint(words) or any(
        word in _STOPPED_BEFORE and not _DONE.isdisjoint(words[position + 1:position + 3])
        for position, word in enumerate(words))


# How to stop another sender's messages, as their footer tells it: "Reply STOP to unsubscribe", "جهت لغو ۱۱ ارسال
# کنید", "برای لغو عدد 11 را بفرستید". An instruction to the reader, no request of the shop. The command to send is
# part of it: "جهت لغو ارسال پیامک تبلیغاتی اقدام فرمایید" asks the shop to stop, and stops.
_HOW_TO_STOP = re.compile(
    r"(?:\b(?:reply|text|send|respond)(?: with)? \W?stop\W? to (?:unsubscribe|opt out|stop|cancel)\b"
    r"|(?:جهت|برای) (?:لغو|انصراف)(?: عضویت)?(?: عدد)? ?(?:[0-9۰-۹]+|لغو) ?(?:را |رو )?(?:ارسال|بفرستید|بفرستین)"
    r"(?: کنید| نمایید| فرمایید)?)",
    re.IGNORECASE)


def is_explicit_opt_out(text: str) -> bool:
    """Tell whether `text` explicitly asks to stop receiving messages (module docstring)."""
    if _HOW_TO_STOP.search(text):
        text = _HOW_TO_STOP.sub(" ", text)
    clauses = _clauses(text)
    if not _may_opt_out(clauses) and (
            ("?" not in text and "؟" not in text) or not _may_opt_out(_clauses(text, questions=True))) and not (
            _only_stops_any_more(clauses)):
        return False  # the ads may be named in a question: "روزی سه تا پیام تبلیغ؟ بسه دیگه نفرستین"
    undoing = [words for words in clauses if not _UNDOING.isdisjoint(words) or (
        not _AGAIN.isdisjoint(words) and not _requests_stop(words))]
    if undoing and not all(_undoes_no_stop(words, clauses) for words in undoing):
        return False
    if _ends_liking_the_messages(text):
        return False
    named = _clauses(text, questions=True)
    if any(_names_joining(words) for words in named) and any(_is_bare_cancel(words) for words in clauses):
        return True  # "I subscribed by accident, cancel it", "اشتباهی عضو شدم، لغوش کنید", "ezafam kardid? hazf konid"
    if any(_messages_come_again(words) for words in named) and _stopped_before(
            [word for words in named for word in words]):
        return True  # "chera dobare payam miad?? man laghv karde boodam": stopped once, still coming
    return (any(_clause_opts_out(words) for words in clauses) or _stops_what_another_clause_names(text, clauses)
            or _only_stops_any_more(clauses) or _refuses_receiving_what_is_named(text, clauses)
            or any(_unsubscribes_from_notices(words) for words in clauses))


# "دیگه نفرستید لطفا 🙏", "خواهشا دیگه برای من چیزی نفرستید، ممنون", "stop please": a message that is nothing but
# a stop and courtesy, with "any more" or "stop" in it, can only mean the shop's messages ("نفرستید" alone may be a
# parcel).
_THANKING = _words("ممنون مرسی ممنونم merci mersi mamnoon mamnun mrc thanks thank you")


def _only_stops_any_more(clauses: Sequence[Sequence[str]]) -> bool:
    stops = [words for words in clauses if _is_bare_stop(words)]
    rest_is_courtesy = all(_is_bare_stop(words) or all(
        word in _THANKING or word in _COURTESY or word in _GREETING_WORDS or word in _BARE_STOP_FILLERS
        for word in words) for words in clauses)
    return bool(stops) and rest_is_courtesy and any(_says_any_more(words) or any(
        word == "stop" and not _not_a_stop(words, position) for position, word in enumerate(words)) for words in stops)


# "پیاماتون قشنگه ولی من دیگه نمیخوام دریافت کنم", "thanks for the offers but I'd rather not receive them anymore":
# receiving refused, with "any more", the messages or offers named in another clause.
_RATHER_NOT = (("rather", "not"), ("not", "receive"))


def _refuses_receiving_what_is_named(text: str, clauses: Sequence[Sequence[str]]) -> bool:
    refused = any(not _RECEIVING.isdisjoint(words) and (not _REFUSING.isdisjoint(words) or nlp.has_pair(
        words, _RATHER_NOT)) and _says_any_more(words) and _SOMETHING_ELSE.isdisjoint(words) for words in clauses)
    return refused and any(_names_messaging(words) or _names_ads(words) or any(
        word in _OFFER_NOUNS for word in words) for words in _clauses(text, questions=True))


# "dige az mahsoolate jadid khabaram nakonid", "دیگه لازم نیست از حراجیا خبرم کنید": no more notices, the opposite
# of an opt-in's "خبرم کنید".
_NOTIFY = _words("خبرم خبرمون khabaram khabarm khbrm notify")
_NOTIFY_NEGATED = _words("نکنید نکنین nakonid nakonin")


def _unsubscribes_from_notices(words: Sequence[str]) -> bool:
    if not _says_any_more(words) or _NOTIFY.isdisjoint(words):
        return False
    return not _NOTIFY_NEGATED.isdisjoint(words) or nlp.has_pair(words, _WEAK_STOPPING_PAIRS[:4])


def asks_to_leave(text: str) -> bool:
    """Tell whether a clause of `text`, questions included, asks to stop, remove or delete or names
    unsubscribing, and none undoes it.

    Short of an explicit opt-out ("remove my number from the order", "منو از لیست قیمت حذف کنید",
    "unsubscribe from what?"), such a message is still never a request to subscribe: the intent rules answer it as
    nothing rather than opt_in.
    """
    clauses = _clauses(text, questions=True)
    if any(word in _UNDOING for words in clauses for word in words) or any(
            any(word in _AGAIN for word in words) and not _requests_stop(words) for words in clauses):
        return False
    return any(_requests_stop(words) or _clause_opts_out(words) for words in clauses)


_MAY_OPT_OUT_PREFIXES = (_MESSAGING_PREFIXES + _SUBSCRIPTION_PREFIXES + _LIST_OR_ADS_PREFIXES
                         + tuple(before for pair in _OFFER_PAIR_PREFIXES for before in pair[0])
                         + tuple(first for first, _ in _SPECIAL_OFFER) + _OFFER_PREFIXES)
_MAY_OPT_OUT_WORDS = (_MESSAGING_WORDS | _UNSUBSCRIBE | _LIST_OR_ADS_WORDS | _SELF | _MY_NUMBER | {"opt"} | _OFFER_NOUNS
                      | {word for pair in _MY_NUMBER_PAIRS for word in pair} | _JOINED)

