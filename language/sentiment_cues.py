"""Sentiment cues in a clause's tokens: emoji, idioms, negated verbs, weighted words, their negation.

`find_cues` scans in a fixed order — emoji, then the phrase table's idioms (دستتون درد نکنه is
thanks, not a negation), negated verbs with their nouns (کار نمیکنه), then words, complaint facts,
shapes from `sentiment_patterns` and, in Finglish, consonant matches — and each token is taken by
one cue at most. `sentiment` weighs what it finds. Split from `sentiment` when that passed 400 lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from language import sentiment_patterns as patterns
from language.nlp import lemma
from language.sentiment_lexicon import Key, Lexicon, Verb

MAX_INTENSITY = 2.0
_VERB_NOUN_REACH = 4  # ارزش این پول رو نداشت: the noun may stand four words before its verb
_PERSIAN_SUFFIXES = ("ه", "ست", "است", "م", "ش", "ام", "یم", "مون", "تون", "شون", "ها", "های",
                     "ید", "ین", "ترین")
_FINGLISH_SUFFIXES = ("e", "eh", "ast", "am")
_MIN_STEM = 3  # shorter stems (بد + ید = "give!") are too ambiguous to strip to


@dataclass(frozen=True)
class Cue:
    start: int
    end: int
    weight: float
    kind: str  # emoji, phrase, verb, word or service


@lru_cache(maxsize=8192)  # customers reuse words: the lookups were half of the scoring time
def variants(token: str) -> tuple[str, ...]:
    """The token, then the stems its colloquial suffixes may hide (عالیه → عالی)."""
    suffixes = _FINGLISH_SUFFIXES if token.isascii() else _PERSIAN_SUFFIXES
    variants = [token] + [token[: -len(suffix)] for suffix in suffixes
                          if token.endswith(suffix) and len(token) - len(suffix) >= _MIN_STEM]
    if not token.isascii():
        if token.endswith("ست"):
            variants.append(token[:-2] + "ه")  # فوق‌العاده + ست is written فوق‌العادست
        elif token.endswith("س"):
            variants.append(token[:-1] + "ه")  # and, spoken, فوق‌العادس
        # A word's final ه is dropped before a pronoun: اندازش is اندازه + ش, جعبم جعبه + م.
        variants += [token[:-len(suffix)] + "ه" for suffix in ("ش", "م", "ت", "شون", "تون", "مون")
                     if token.endswith(suffix) and len(token) - len(suffix) >= _MIN_STEM]
    return tuple(variants)


# Per table (a lexicon's tables are built once and never changed), the words its entries start with: most
# tokens start none, and are passed over with one look-up per spelling instead of four tuple look-ups a length.
_FIRST_WORDS: dict[int, tuple[dict[Key, float], frozenset[str]]] = {}


def _first_words(table: dict[Key, float]) -> frozenset[str]:
    entry = _FIRST_WORDS.get(id(table))
    if entry is None or entry[0] is not table:
        entry = _FIRST_WORDS[id(table)] = (table, frozenset(key[0] for key in table))
    return entry[1]


def match(tokens: Sequence[str], start: int, table: dict[Key, float], taken: set[int]) -> tuple[int, float] | None:
    """Longest entry of `table` at `start` as (length, weight); its last token may carry a suffix."""
    firsts = _first_words(table)
    if firsts.isdisjoint(variants(tokens[start])):
        return None  # no entry starts with this token or a stem of it
    for length in range(min(4, len(tokens) - start), 0, -1):
        if taken.isdisjoint(range(start, start + length)):
            head = tuple(tokens[start:start + length - 1])
            for last in variants(tokens[start + length - 1]):
                if head + (last,) in table:
                    return length, table[head + (last,)]
            if length == 2:  # a suffix on the first word of a pair: پیشنهادتون میکنم
                for first in variants(tokens[start])[1:]:
                    if (first, tokens[start + 1]) in table:
                        return length, table[(first, tokens[start + 1])]
    return None


@lru_cache(maxsize=8)
def _longest_first(prefixes: frozenset[str]) -> tuple[str, ...]:
    return tuple(sorted(prefixes, key=len, reverse=True))


def negated_verb(token: str, lexicon: Lexicon) -> Verb | None:
    """The verb when `token` is ن/نمی + a listed form; words merely starting with ن are not."""
    if token.startswith(("برن", "درن")):  # a preverb in front: برنمیدارید, درنمیاد
        token = token[2:]
    for prefix in _longest_first(lexicon.sets["verb_prefixes"]):
        if token.startswith(prefix):
            rest = token[len(prefix):]
            for form in (rest, rest.removesuffix("e") if rest.isascii() else rest):  # nayoomade: nayoomad
                if form in lexicon.verb_forms:
                    return lexicon.verb_forms[form]
    return None


def is_negated(tokens: Sequence[str], start: int, end: int, lexicon: Lexicon, taken: set[int]) -> bool:
    """English-style negator up to three tokens before, or a Persian negated copula after."""
    if any(tokens[i] in lexicon.sets["negators"] and i not in taken for i in range(max(0, start - 3), start)):
        return True
    for token in tokens[end:end + 3]:
        if token in lexicon.sets["negated_copulas"]:
            return True
        if token not in lexicon.sets["copula_fillers"]:
            return False
    return False


def intensity(tokens: Sequence[str], start: int, lexicon: Lexicon) -> float:
    """The product of the intensifiers in the two tokens before `start` (خیلی, really), capped."""
    factor = 1.0
    for token in tokens[max(0, start - 2):start]:
        factor *= next((lexicon.intensifiers[form] for form in variants(token) if form in lexicon.intensifiers), 1.0)
    return min(factor, MAX_INTENSITY)


def find_cues(tokens: Sequence[str], lexicon: Lexicon, finglish: bool = False) -> tuple[list[Cue], set[int]]:
    """The cues of a clause's tokens and the positions they took."""
    cues: list[Cue] = []
    taken: set[int] = set()

    def take(start: int, end: int, weight: float, kind: str) -> None:
        cues.append(Cue(start, end, weight, kind))
        taken.update(range(start, end))

    for index, token in enumerate(tokens):
        if token in lexicon.emoji:
            take(index, index + 1, lexicon.emoji[token], "emoji")
    index = 0
    while index < len(tokens):  # idioms first: دستتون درد نکنه is thanks, not a negation
        found = match(tokens, index, lexicon.phrases, taken)
        if found and found == (1, 0.0) and patterns.indefinite(tokens, index, lexicon, lexicon.words) is not None:
            found = None  # خوبی is "how are you?" but تجربه خیلی خوبی بود praises
        if found:
            take(index, index + found[0], found[1], "phrase")
        elif (index + 2 < len(tokens) and tokens[index + 1] in lexicon.intensifiers
              and taken.isdisjoint(range(index, index + 3))):
            # An intensifier inside an idiom: کیفیتش خیلی پایینه is کیفیتش پایین, said harder.
            skipped = match([tokens[index], *tokens[index + 2:index + 5]], 0, lexicon.phrases, set())
            if skipped and skipped[0] >= 2 and taken.isdisjoint(range(index, index + skipped[0] + 1)):
                found = (skipped[0] + 1, skipped[1] * lexicon.intensifiers[tokens[index + 1]])
                take(index, index + found[0], found[1], "phrase")
        index += found[0] if found else 1
    for index, token in enumerate(tokens):
        verb = None if index in taken else negated_verb(token, lexicon)
        if verb is not None:
            start, weight = index, verb.weight
            before = next((i for i in range(index - 1, max(-1, index - _VERB_NOUN_REACH - 1), -1)
                           if tokens[i] in verb.nouns and i not in taken), None)
            if before is not None:
                start, weight = before, verb.nouns[tokens[before]]
            if weight:
                take(start, index + 1, weight, "verb")
    index, services = 0, lexicon.sets["service_terms"]
    while index < len(tokens):
        found = match(tokens, index, lexicon.words, taken)
        kind = "word"
        if not found and index not in taken:
            found, kind = match(tokens, index, lexicon.facts, taken), "fact"
            if not found:
                found, kind = patterns.privative(tokens, index, lexicon), "phrase"
            if not found:
                weight = patterns.indefinite(tokens, index, lexicon, lexicon.words)
                found, kind = (None if weight is None else (1, weight)), "word"
            if not found and finglish:
                found = patterns.fuzzy_latin(tokens, index, lexicon)
            if found and not taken.isdisjoint(range(index, index + found[0])):
                found = None
        if found and not (index and tokens[index - 1] in lexicon.context_blocked.get(tokens[index], ())):
            take(index, index + found[0], found[1], kind)
        elif (index not in taken and {tokens[index], lemma(tokens[index])} & services
              and is_negated(tokens, index, index + 1, lexicon, taken)):
            take(index, index + 1, lexicon.service_weight, "service")  # doesn't work, no reply
        index += found[0] if found else 1
    return cues, taken
