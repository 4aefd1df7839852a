"""The sentiment lexicon: `rules/sentiment_lexicon.yaml` read into token tables, once per process.

Operators extend the YAML file; this module turns each entry into the token tuples the
scorer in `sentiment` matches (ZWNJ, space and joined spellings alike, English
contractions expanded) and refuses entries YAML has turned into booleans.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from language.finglish import ENGLISH_WORDS, FINGLISH_WORDS, consonant_spelling, skeleton
from language.nlp import normalize, tokenize

# libyaml's parser when PyYAML was built with it (the wheels are): 16 times faster than the pure-Python one on
# the shipped rules file (0.016 s against 0.26 s), with the same marks for errors. The rules loader uses it too.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

LEXICON_PATH = Path(__file__).resolve().parents[1] / "rules" / "sentiment_lexicon.yaml"

_CONTRACTIONS = tuple((re.compile(pattern), replacement) for pattern, replacement in (
    (r"\bcan't\b", "can not"), (r"\bwon't\b", "will not"), (r"n't\b", " not"), (r"'m\b", " am"),
    (r"'re\b", " are"), (r"'ll\b", " will"), (r"'ve\b", " have"), (r"'d\b", " would")))
# Token sets read from the YAML file under these names.
_TOKEN_SETS = ("negators", "negated_copulas", "copula_fillers", "contrast", "still_markers",
               "waiting_cues", "service_terms", "verb_prefixes", "conditionals", "attempt_words",
               "copulas", "why_words", "containers", "delivery_verbs",
               "question_words", "pleasantries", "solved_words", "request_markers",
               "prospective_verbs", "subjunctive_verbs")
# A Finglish token is looked up by its consonants only when they say enough: three classes
# (خوشگل = xSgl = khoshgel = khshgl); two (بد = bd = bood) are as often a neutral word.
_MINIMUM_FUZZY = 3

Key = tuple[str, ...]


@dataclass(frozen=True)
class Verb:
    """A negated verb form of the lexicon: its own weight and the nouns that make it a complaint."""

    weight: float  # a complaint even without a noun (نرسید), else 0
    nouns: dict[str, float]  # light-verb nouns before it (کار نمیکنه، جواب ندادید)


@dataclass(frozen=True)
class Lexicon:
    """The lexicon file as token tables, ready for matching."""

    phrases: dict[Key, float]  # fixed-polarity idioms and 0-weight blockers
    words: dict[Key, float]  # negatable cues
    emoji: dict[str, float]
    intensifiers: dict[str, float]
    negation_intensifiers: dict[Key, float]
    sets: dict[str, frozenset[str]]  # the _TOKEN_SETS
    concession: tuple[Key, ...]
    still_weight: float
    service_weight: float
    verb_forms: dict[str, Verb]
    context_blocked: dict[str, frozenset[str]]
    facts: dict[Key, float]  # complaints only as statements: half, instead of, smaller
    privative: dict[str, float]  # بی + noun: the weight of lacking it (بی‌کیفیت, بی‌نقص)
    privative_skeletons: dict[str, float]  # the same nouns by consonants, for Finglish (bi kefiat)
    procedures: tuple[Key, ...]  # "how do i", چطور میشه: a question about a procedure
    use_markers: tuple[Key, ...]  # a duration beside one is a time of use, not a wait
    expectation_markers: tuple[str, ...]  # به جای, instead of, in the photo (normalised text)
    # Finglish by its consonants: Latin entries by consonant spelling, Persian ones by skeleton.
    latin_spellings: dict[str, float]
    skeleton_words: dict[str, float]
    skeleton_phrases: dict[Key, float]


def tokens_of(text: str, normalized: bool = False) -> list[str]:
    """The tokens of `text` (normalised unless it is already) with English contractions expanded."""
    text = text if normalized else normalize(text)
    for pattern, replacement in _CONTRACTIONS:
        text = pattern.sub(replacement, text)
    return tokenize(text)


def _keys(entry: str) -> set[Key]:
    """Token tuples an entry stands for: ZWNJ, space and joined spellings alike.

    A Persian phrase ending in a verb of the plural "you" stands for both endings, formal ید and
    colloquial ین (گل کاشتید, گل کاشتین).
    """
    spellings = {entry, entry.replace("\u200c", " ")}
    if not entry.isascii():
        spellings.add(entry.replace("\u200c", "").replace(" ", ""))
    keys = {key for key in (tuple(tokens_of(spelling)) for spelling in spellings) if key}
    for key in list(keys):
        if len(key) > 1 and key[-1].endswith(("ید", "ین")) and len(key[-1]) > 3:
            other = "ین" if key[-1].endswith("ید") else "ید"
            keys.add((*key[:-1], key[-1][:-2] + other))
    return keys


def _weights(section: dict | None, name: str) -> dict[Key, float]:
    table: dict[Key, float] = {}
    for entry, weight in (section or {}).items():
        # YAML reads a bare no/yes/on/off as a boolean: fail loudly, not silently.
        if not isinstance(entry, str) or isinstance(weight, bool) or not isinstance(weight, int | float):
            raise ValueError(f"sentiment lexicon {name}: bad entry {entry!r}: {weight!r}")
        table.update(dict.fromkeys(_keys(entry), float(weight)))
    return table


def _firsttokens_of(section: dict | None, name: str) -> dict[str, float]:
    return {key[0]: weight for key, weight in _weights(section, name).items()}


def _single(entries: Iterable[str], name: str) -> frozenset[str]:
    if any(not isinstance(entry, str) for entry in entries):
        raise ValueError(f"sentiment lexicon {name}: entries must be strings (quote no/yes)")
    return frozenset(token for entry in entries for token in tokens_of(entry))


def load_lexicon(path: Path = LEXICON_PATH, without: Iterable[Key] = ()) -> Lexicon:
    """Read and normalise a sentiment lexicon YAML file, leaving out the word and phrase keys `without`.

    (`without` is for cross-validation: an entry equal to a sentence being scored is left out.)
    """
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    left_out = set(without)
    words, phrases = _weights(data["words"], "words"), _weights(data["phrases"], "phrases")
    words = {key: weight for key, weight in words.items() if key not in left_out}
    phrases = {key: weight for key, weight in phrases.items() if key not in left_out}
    verb_forms: dict[str, Verb] = {}
    for name, spec in data["negated_verbs"].items():
        verb = Verb(float(spec.get("weight", 0)), _firsttokens_of(spec.get("nouns"), name))
        verb_forms.update(dict.fromkeys(_single(spec["forms"], name), verb))
    privative = {key[0]: weight for key, weight in _weights(data["privative"], "privative").items()}
    latin, persian, idioms = _fuzzy_tables(words, phrases, verb_forms,
                                           _single(data["finglish_neutral"], "finglish_neutral"))
    return Lexicon(
        phrases=phrases,
        words=words,
        emoji=_firsttokens_of(data["emoji"], "emoji"),
        intensifiers=_firsttokens_of(data["intensifiers"], "intensifiers"),
        negation_intensifiers=_weights(data["negation_intensifiers"], "negation_intensifiers"),
        sets={name: _single(data[name], name) for name in _TOKEN_SETS},
        concession=tuple(tuple(tokens_of(entry)) for entry in data["concession"]),
        still_weight=float(data["still_complaint_weight"]),
        service_weight=float(data["service_negation_weight"]),
        verb_forms=verb_forms,
        context_blocked={normalize(word): _single(before, word) for word, before in data["context_blocked"].items()},
        facts=_weights(data["facts"], "facts"),
        privative=privative,
        privative_skeletons=_unambiguous(((skeleton(noun), weight) for noun, weight in privative.items()
                                          if len(skeleton(noun)) >= _MINIMUM_FUZZY), set()),
        procedures=tuple(tuple(tokens_of(entry)) for entry in data["procedures"]),
        use_markers=tuple(tuple(tokens_of(entry)) for entry in data["use_markers"]),
        expectation_markers=tuple(" ".join(tokens_of(entry)) for entry in data["expectation_markers"]),
        latin_spellings=latin,
        skeleton_words=persian,
        skeleton_phrases=idioms,
    )


def _unambiguous(pairs: Iterable[tuple[str, float]], neutral: set[str]) -> dict[str, float]:
    """Keys that no neutral word shares and that no two entries of opposite sign share."""
    table: dict[str, float] = {}
    clashing: set[str] = set()
    for key, weight in pairs:
        if key in table and (table[key] > 0) != (weight > 0):
            clashing.add(key)
        table.setdefault(key, weight)
    return {key: weight for key, weight in table.items() if key not in clashing | neutral}


def _fuzzy_tables(words: dict[Key, float], phrases: dict[Key, float], verbs: Iterable[str],
                  neutral: Iterable[str]) -> tuple[dict, dict, dict]:
    """The consonant tables Finglish tokens missing from the lexicon are looked up in.

    A key that a common neutral word or a negated Finglish verb also has is left out:
    ناامید and `nemide` ("doesn't give") are both n-m-d.
    """
    plain = {key[0] for key in words if len(key) == 1}
    neutral_words = ((FINGLISH_WORDS | ENGLISH_WORDS) - plain) | set(neutral)
    neutral_words |= {prefix + form for form in verbs if form.isascii() for prefix in ("na", "nemi", "ne")}
    neutral_spellings = {consonant_spelling(word) for word in neutral_words}
    neutral_skeletons = {skeleton(word) for word in neutral_words}
    latin = _unambiguous(((consonant_spelling(key[0]), weight) for key, weight in words.items()
                          if len(key) == 1 and key[0].isascii() and consonant_spelling(key[0])), neutral_spellings)
    persian = _unambiguous(((skeleton(key[0]), weight) for key, weight in words.items()
                            if len(key) == 1 and not key[0].isascii() and len(skeleton(key[0])) >= _MINIMUM_FUZZY),
                           neutral_skeletons)
    idioms = {}
    for key, weight in phrases.items():
        skeletons = tuple(skeleton(token) for token in key)
        if len(key) > 1 and not any(token.isascii() for token in key) and all(skeletons) \
                and sum(map(len, skeletons)) >= 2 * _MINIMUM_FUZZY:
            idioms.setdefault(skeletons, weight)
    return latin, persian, idioms


@cache
def cached_lexicon() -> Lexicon:
    """The lexicon at LEXICON_PATH, read on first use."""
    return load_lexicon()


def lexicon_entries() -> frozenset[Key]:
    """Return every phrase and word cue as normalised token tuples (for tests and tools)."""
    return frozenset(cached_lexicon().phrases) | frozenset(cached_lexicon().words)
