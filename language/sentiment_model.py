"""The trained part of sentiment: a logistic regression over the labelled sentences shipped in rules/.

`rules/sentiment_corpus.tsv` is every sentiment development set of tests/data, joined
(`make training-corpora` writes it; a test keeps the two equal,
and the app never reads tests/data); the chatbot rules' examples of plain requests join it as
neutral. On first use the process trains a multinomial logistic
regression on it over the intent side's features (`intent_model.features`: lemmas, word pairs,
letter n-grams, consonant skeletons): five passes of stochastic gradient descent in a fixed
order, 0.3 s of CPU for the 1,462 sentences, once per process. Naive Bayes on the same features was tried first: its
probabilities are near 0 or 1 whatever it knows, so no confidence separates its good guesses
from its bad ones (cross-validated 0.9426 at best against 0.9535 for this model).
`sentiment.analyze_sentiment` asks it only about messages in which the lexicon found no cue,
and follows it only when it is confident (tests/data/README.md, "The sentiment pass of
2026-12-07", has the figures).
"""

from __future__ import annotations

import math
import random
from array import array
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path

import yaml

from language import model_cache
from language.intent_model import features
from language.sentiment_lexicon import SAFE_LOADER, tokens_of

CORPUS_PATH = Path(__file__).resolve().parents[1] / "rules" / "sentiment_corpus.tsv"
RULES_PATH = Path(__file__).resolve().parents[1] / "rules" / "chatbot_rules.yaml"
# Requests with no feeling in them: the rule examples of these intents train the model as
# neutral. The sentiment sets hold few plain requests, and without them the model called 20 of
# 875 blind-written requests of these intents positive or negative (2 with them; CV 0.9589 -> 0.9581).
NEUTRAL_INTENTS = ("pricing", "business_hours", "greeting", "goodbye", "opt_in")
LABELS = ("positive", "neutral", "negative")
# Chosen by the pooled five-fold cross-validation (bench/sentiment_cross_validation.py): 5, 10
# and 15 passes score within 0.002 of each other; each pass costs 0.05 s of CPU.
PASSES = 5
LEARNING_RATE = 0.5
_SEED = 14  # the order the sentences are visited in is fixed, so every process learns the same


def read_corpus(path: Path = CORPUS_PATH) -> list[tuple[str, str]]:
    """Read the shipped `text<TAB>label` corpus; a malformed row fails loudly."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        text, separator, label = line.rpartition("\t")
        if not separator or label not in LABELS:
            raise ValueError(f"{path}:{number}: expected text<TAB>{'|'.join(LABELS)}")
        rows.append((text, label))
    return rows


def _softmax(scores: list[float]) -> list[float]:
    top = max(scores)
    exponentials = [math.exp(score - top) for score in scores]
    total = sum(exponentials)
    return [value / total for value in exponentials]


def neutral_requests(path: Path = RULES_PATH) -> list[tuple[str, str]]:
    """The chatbot rules' examples of NEUTRAL_INTENTS, labelled neutral."""
    intents = (yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER) or {}).get("intents") or {}
    return [(example, "neutral") for name in NEUTRAL_INTENTS
            for example in (intents.get(name) or {}).get("examples") or () if isinstance(example, str)]


class SentimentModel:
    """Multinomial logistic regression over binary n-gram features, trained from labelled sentences."""

    def __init__(self, rows: Iterable[tuple[str, str]]) -> None:
        # Features become offsets into one float array as they are read: a message's feature
        # strings are dropped at once, so training never holds the corpus's 200,000 strings
        # (memory a process has once allocated stays resident: 7.7 MiB with strings, 1.6 without).
        offsets: dict[str, int] = {}
        documents = []
        for text, label in rows:
            found = sorted(offsets.setdefault(feature, len(offsets)) for feature in features(tokens_of(text)))
            documents.append((found, LABELS.index(label)))
        # One list of weights per label, indexed by feature: a label's score is one `map` over the message's
        # features in C, not a generator (training took 1.3 s of CPU a worker at 3,034 messages; the same sums in
        # the same order, so the same weights to the last bit).
        by_label = [[0.0] * len(offsets) for _ in range(3)]
        order = random.Random(_SEED)
        for _ in range(PASSES):
            order.shuffle(documents)
            for found, gold in documents:
                scores = [sum(map(weights.__getitem__, found)) for weights in by_label]
                # A long message has many features: its step is spread over them.
                step = LEARNING_RATE / math.sqrt(len(found) or 1)
                for label, probability in enumerate(_softmax(scores)):
                    change = (probability - (label == gold)) * step
                    weights = by_label[label]
                    for offset in found:
                        weights[offset] -= change
        # Single precision in one array, a feature's three weights side by side: 12 bytes a feature, where a tuple
        # of three floats costs 136. (Keeping only features of two sentences or more saves 1.2 MiB and loses 2
        # messages of CV.)
        self._offsets = offsets
        self._weights = array("f", (weight for triple in zip(*by_label, strict=True) for weight in triple))

    def predict(self, tokens: Sequence[str]) -> tuple[str, float]:
        """The most probable label of normalised tokens and its probability."""
        scores, weights = [0.0, 0.0, 0.0], self._weights
        for feature in features(tokens):
            index = self._offsets.get(feature)
            if index is not None:
                offset = 3 * index
                scores[0] += weights[offset]
                scores[1] += weights[offset + 1]
                scores[2] += weights[offset + 2]
        probabilities = _softmax(scores)
        best = max(range(3), key=probabilities.__getitem__)
        return LABELS[best], probabilities[best]


@cache
def cached_model() -> SentimentModel:
    """The model trained from CORPUS_PATH, once per process (a web worker at start-up: `sentiment.prepare`), or
    read from instance/model-cache when another process trained it from the same files (`model_cache`)."""
    return model_cache.trained("sentiment", CORPUS_PATH.read_bytes() + b"\0" + RULES_PATH.read_bytes(),
                               lambda: SentimentModel(read_corpus() + neutral_requests()))
