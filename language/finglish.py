"""Finglish (Persian written in Latin letters) and the consonant skeleton both scripts share.

Persian script leaves short vowels unwritten and Finglish writers spell vowels as they
like (`sefaresh`, `sfrsh`, `sefaresh`), so the two meet on consonants: `skeleton` maps a
normalised token of either script to its consonant classes, `qmt` for قیمت, `ghymt`,
`gheymat` and `qeymat` alike. Sounds Persian writes with several letters share a class
(ت/ط, س/ص/ث, ز/ذ/ض/ظ, ق/غ, ح/ه); vowels and vowel carriers (ا آ و ی ع ء, a e i o u v w y)
vanish; a word-final ه/h vanishes (it is mostly the vowel e: چنده = chande); doubled
classes collapse (ممنون, mamnoon → mn). SMS habits map onto the same classes: `c` is s
(`mrc` = mersi), `x` is kh (`xob`), digits inside a word are dropped (`laghv11`).

Also the evidence `nlp.detect_language` weighs: common Finglish words and English words,
so a Latin-script message can be told Finglish or English. Tables only; no model, no I/O.
"""

from __future__ import annotations

import re
from functools import lru_cache

_PERSIAN_CLASSES = {
    "ب": "b", "پ": "p", "ت": "t", "ط": "t", "ث": "s", "س": "s", "ص": "s", "ج": "j",
    "چ": "C", "ح": "h", "ه": "h", "خ": "x", "د": "d", "ذ": "z", "ز": "z", "ض": "z",
    "ظ": "z", "ر": "r", "ژ": "Z", "ش": "S", "غ": "q", "ق": "q", "ف": "f", "ک": "k",
    "گ": "g", "ل": "l", "م": "m", "ن": "n",
}
_LATIN_DIGRAPHS = (("sh", "S"), ("ch", "C"), ("kh", "x"), ("gh", "q"), ("zh", "Z"),
                   ("ck", "k"))
_LATIN_CLASSES = {
    "b": "b", "p": "p", "t": "t", "s": "s", "c": "s", "j": "j", "h": "h", "x": "x",
    "d": "d", "z": "z", "r": "r", "f": "f", "q": "q", "k": "k", "g": "g", "l": "l",
    "m": "m", "n": "n",
}
_DOUBLED_CLASS = re.compile(r"(.)\1+")
MINIMUM_SKELETON = 2  # a one-consonant skeleton (ب, be, ba, بد) says too little


# A message's tokens have their skeleton taken several times (features, keywords, phrases); 2,048
# short strings are a few hundred KiB.
@lru_cache(maxsize=2048)
def skeleton(token: str) -> str:
    """Return the consonant skeleton of a normalised Persian or Latin token ('' if none)."""
    if token.isascii():
        for digraph, letter in _LATIN_DIGRAPHS:
            token = token.replace(digraph, letter)
        classes = [_LATIN_CLASSES.get(character, character if character in "SCxqZ" else "")
                   for character in token]
    else:
        classes = [_PERSIAN_CLASSES.get(character, "") for character in token]
    if len(classes) > 1 and classes[-1] == "h":
        classes.pop()
    return _DOUBLED_CLASS.sub(r"\1", "".join(classes))


# SMS Finglish letters: x for kh ("mixam", "xabar"), and 2 or a q not before u for gh/q ("va2t", "2eymat",
# "tabliqat"; "quality" keeps its q, "2ta" — two of them — its digit).
_SMS_GH = re.compile(r"(?<=[a-z])2(?=[a-z])|^2(?=[a-z]{3})|q(?!u)")


def sms_spelling(token: str) -> str:
    """A Latin token with SMS Finglish letters spelled out: mixam → mikham, va2t → vaght, tabliqat → tablighat."""
    if not token.isascii():
        return token
    if "-" in token:  # "tabliq-haye": each part of a hyphenated word
        return "-".join(sms_spelling(part) for part in token.split("-"))
    if not token.isalnum():
        return token
    return _SMS_GH.sub("gh", token.replace("x", "kh"))


_LATIN_VOWELS = frozenset("aeiouy")
MINIMUM_CONSONANT_SPELLING = 3


def without_final_double(token: str) -> str:
    """Drop a doubled last letter, the way customers stretch a word: heyy, hii, mersii, سلامم, مرسیی."""
    if len(token) >= 3 and token[-1] == token[-2] and not token[-1].isdigit():
        return token[:-1]
    return token


def consonant_spelling(token: str) -> str:
    """A Latin token without its vowels after the first letter: mamnoon and mmnon → mmnn, kheyli and khyli → khl.

    Unlike `skeleton` it keeps doubled letters and Latin spelling, so it meets SMS spellings
    of a Finglish word with two consonant sounds, where a skeleton (mn) says too little.
    Persian script and tokens that keep fewer than three letters give ''.
    """
    if not token.isascii() or not token.isalpha():
        return ""
    spelled = token[0] + "".join(character for character in token[1:] if character not in _LATIN_VOWELS)
    return spelled if len(spelled) >= MINIMUM_CONSONANT_SPELLING else ""


def has_few_vowels(token: str) -> bool:
    """Whether a Latin token is written (nearly) without vowels, as SMS Finglish is: mmnon, ghymt, khyli."""
    return sum(character in "aeiou" for character in token) <= 1 and len(token) >= 3


# Words that mark a Latin-script message as Finglish: greetings, thanks, question words,
# common verbs and the shop's nouns, with the vowel-less and SMS spellings customers use.
FINGLISH_WORDS = frozenset("""
salam slm salaam salm slam dorood dorud khubi khoobi khubin khoobin chetori chetorin
mersi merci mrc mrsi mamnoon mamnun mmnon mmnun mamnunam mmnonm tashakor sepas kheyli
kheili khyli khili dastet dastetun dard nakone damet dametun garm ghorbunet ghorbunetun
khodahafez khodafez khdfz khodanegahdar felan shab bekheir bekheyr bekhair bkhr
sobh sobhetun sobhetoon asr zohr vaght vaghtetun vqt vaghtetoon khaste nabashid
sefaresh sefaresham sefareshe sfrsh sfrshm baste bastam bastehe rahgiri kd peygiri
kojast kojas kjst kei key kay mirese miresse resid nareside naresid hanuz hanooz
ghimat gheymat gheimat ghymt qeymat ghimatesh gheymatesh ghymtsh chande chnde chand chnd
chan toman tomane hazine hzine ersal ersl takhfif darid darin dari mikham mikhastam
saat kari kary bazin bazid baz tatil tatilin emruz emrooz emshab farda jome alan
javab midid midin pasokh zang bezanam bezanid tamas begirid operator oprator oprtr
karshenas poshtibani adam vaghei robot nemikham nemifahme hichi ye nafar behem
dige dg payam pym payamak nafrestid nadid nafres laghv laghve enseraf ozviat ozv
ozvam eshterak khabarname tablighat tabligh hazf pak konid kon kardam dobare
eshtebahi faal befrestid baram mano man shoma lotfan lotfa bashe mishe chi chie
chera khob khub khoob ali aali aalie alie ghashang ghashange razi nistam bud bood
budam kharab pashimunam afzah afteza
""".split())

ENGLISH_WORDS = frozenset("""
the a an and or but if of to in on at by for with from about as is are was were be
been am do does did have has had i me my we our you your he she it its they them this
that these those there here what which who when where why how all any no not only
so too very can will just should would could may please thanks thank you hi hello hey
good morning evening afternoon night bye goodbye see later ok okay yes yeah sure
order orders package parcel delivery shipped shipping ship track tracking status
arrive arrived late still yet price cost costs much many discount cheap list sale
open close closed hours today tomorrow tonight time until friday weekend call
talk speak person human agent operator support someone real manager bot robot
stop unsubscribe subscribe remove send sending message messages messages ads
promotions again back start sign up add want need get got help know tell give
new one two free store shop item size color quality great nice love best bad
terrible broken refund return cancel wrong received waiting week weeks days
""".split())
