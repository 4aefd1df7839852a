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

from language.nlp import normalize, tokenize

LEXICON_PATH = Path(__file__).resolve().parents[1] / "rules" / "sentiment_lexicon.yaml"

_CONTRACTIONS = tuple((re.compile(pattern), replacement) for pattern, replacement in (
    (r"\bcan't\b", "can not"), (r"\bwon't\b", "will not"), (r"n't\b", " not"), (r"'m\b", " am"),
    (r"'re\b", " are"), (r"'ll\b", " will"), (r"'ve\b", " have"), (r"'d\b", " would")))
# Token sets read from the YAML file under these names.
_TOKEN_SETS = ("negators", "negated_copulas", "copula_fillers", "contrast", "still_markers",
               "waiting_cues", "service_terms", "verb_prefixes", "conditionals")

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


def tokens_of(text: str, normalized: bool = False) -> list[str]:
    """The tokens of `text` (normalised unless it is already) with English contractions expanded."""
    text = text if normalized else normalize(text)
    for pattern, replacement in _CONTRACTIONS:
        text = pattern.sub(replacement, text)
    return tokenize(text)


def _keys(entry: str) -> set[Key]:
    """Token tuples an entry stands for: ZWNJ, space and joined spellings alike."""
    spellings = {entry, entry.replace("\u200c", " ")}
    if not entry.isascii():
        spellings.add(entry.replace("\u200c", "").replace(" ", ""))
    return {key for key in (tuple(tokens_of(spelling)) for spelling in spellings) if key}


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


def load_lexicon(path: Path = LEXICON_PATH) -> Lexicon:
    """Read and normalise a sentiment lexicon YAML file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    verb_forms: dict[str, Verb] = {}
    for name, spec in data["negated_verbs"].items():
        verb = Verb(float(spec.get("weight", 0)), _firsttokens_of(spec.get("nouns"), name))
        verb_forms.update(dict.fromkeys(_single(spec["forms"], name), verb))
    return Lexicon(
        phrases=_weights(data["phrases"], "phrases"),
        words=_weights(data["words"], "words"),
        emoji=_firsttokens_of(data["emoji"], "emoji"),
        intensifiers=_firsttokens_of(data["intensifiers"], "intensifiers"),
        negation_intensifiers=_weights(data["negation_intensifiers"], "negation_intensifiers"),
        sets={name: _single(data[name], name) for name in _TOKEN_SETS},
        concession=tuple(tuple(tokens_of(entry)) for entry in data["concession"]),
        still_weight=float(data["still_complaint_weight"]),
        service_weight=float(data["service_negation_weight"]),
        verb_forms=verb_forms,
        context_blocked={normalize(word): _single(before, word) for word, before in data["context_blocked"].items()},
    )


@cache
def cached_lexicon() -> Lexicon:
    """The lexicon at LEXICON_PATH, read on first use."""
    return load_lexicon()


def lexicon_entries() -> frozenset[Key]:
    """Return every phrase and word cue as normalised token tuples (for tests and tools)."""
    return frozenset(cached_lexicon().phrases) | frozenset(cached_lexicon().words)
