"""The trained part of intent recognition: a linear model over word and letter n-grams.

Trained in the process from the rules file's examples (and its `out_of_scope` list as the
`none` class) and its `training_messages` (rules/intent_training.tsv, the 4,717 labelled
development messages) when the rules load: a multinomial naive Bayes model, which trains by
counting (0.35 s of CPU for the 6,400 messages, 0.1 s for the examples alone; no iterations)
and scores a message with one dictionary look-up per feature. An averaged perceptron over the
same features, tried in its place (tests/data/README.md, "The tenth pass"), scored the same alone
and lower combined with the matcher, and took 6 s to train. Features: lemmas, word pairs, letter 2–4-grams inside words
and the consonant skeleton of every word (`finglish.skeleton`), so `ghymt chnd` meets the
Persian examples `قیمت چنده`. Nothing is downloaded: the rules file is the model (a trained copy
is kept in instance/model-cache only to spare the next process the training: `model_cache`).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from functools import lru_cache

from language import finglish, nlp

# Additive smoothing, chosen by two-fold cross-validation on tests/data/intents_dev.tsv.
SMOOTHING = 0.1
_NEGATION_FEATURE = "n:"


@lru_cache(maxsize=4096)  # customers reuse words; both models read every token's features
def _token_features(token: str) -> tuple[str, tuple[str, ...]]:
    """A token's lemma and its own features: the lemma, letter n-grams, consonant skeleton, negation."""
    token_lemma = nlp.lemma(token)
    found = {"w:" + token_lemma}
    padded = f" {token} "
    for size in (2, 3, 4):
        for start in range(len(padded) - size + 1):
            found.add("c:" + padded[start:start + size])
    consonants = finglish.skeleton(token)
    if len(consonants) >= finglish.MINIMUM_SKELETON:
        found.add("s:" + consonants)
        padded = f" {consonants} "
        for start in range(len(padded) - 2):
            found.add("k:" + padded[start:start + 3])
    if nlp.is_negated_verb(token):
        found.add(_NEGATION_FEATURE)
    return token_lemma, tuple(found)


def features(tokens: Sequence[str]) -> set[str]:
    """Return the binary features of normalised word tokens."""
    found: set[str] = set()
    lemmas = []
    for token in tokens:
        token_lemma, own = _token_features(token)
        found.update(own)
        lemmas.append(token_lemma)
    for first, second in zip(lemmas, lemmas[1:], strict=False):
        found.add(f"b:{first} {second}")
    return found


class NaiveBayesModel:
    """Multinomial naive Bayes over binary n-gram features; labels are intents and `none`."""

    def __init__(self, documents: Iterable[tuple[str, Sequence[str]]],
                 smoothing: float = SMOOTHING) -> None:
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        for label, tokens in documents:
            counts[label].update(features(tokens))
        vocabulary = {feature for counter in counts.values() for feature in counter}
        self.labels = sorted(counts)
        # A uniform prior: the rules' example counts say how much an operator wrote,
        # not how often customers ask.
        self.prior = {label: -math.log(len(self.labels)) for label in self.labels}
        self.unseen: dict[str, float] = {}
        # Per feature, only the labels that have seen it, as (label, gain over an unseen feature)
        # pairs: scoring then touches few labels per feature. A pair depends only on the label and
        # the count, so equal pairs are one object, and a feature holds a tuple, not a dict: taught
        # the 4,717 development messages (43,000 features, two thirds seen by one label) the model
        # takes 8 MiB less per worker than with a dict per feature (45.5 → 37.4 MiB, the test's probe).
        pairs: dict[tuple[str, int], tuple[str, float]] = {}
        gains: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for label, counter in counts.items():
            denominator = sum(counter.values()) + smoothing * (len(vocabulary) + 1)
            self.unseen[label] = math.log(smoothing / denominator)
            for feature, count in counter.items():
                pair = pairs.get((label, count))
                if pair is None:
                    pair = pairs[label, count] = (label, math.log((count + smoothing) / denominator)
                                                  - self.unseen[label])
                gains[feature].append(pair)
        # Scoring adds, per label, the gains of a message's known features: each feature holds one
        # vector of gains in `labels` order (0 where a label never saw it), so the sums are one
        # zip over the vectors in C instead of a Python loop over (label, gain) pairs (0.1 ms a
        # message). Equal vectors are one object: most features are seen by one label a few times.
        index = {label: position for position, label in enumerate(self.labels)}
        shared: dict[tuple[float, ...], tuple[float, ...]] = {}
        self.vectors: dict[str, tuple[float, ...]] = {}
        for feature, by_label in gains.items():
            vector = [0.0] * len(self.labels)
            for label, gain in by_label:
                vector[index[label]] = gain
            self.vectors[feature] = shared.setdefault(tuple(vector), tuple(vector))
        self._base = [(self.prior[label], self.unseen[label]) for label in self.labels]

    def probabilities(self, tokens: Sequence[str]) -> list[tuple[float, str]]:
        """Return (probability, label) for every label, highest first."""
        vectors = self.vectors
        known = [vector for vector in map(vectors.get, features(tokens)) if vector is not None]
        totals = map(sum, zip(*known, strict=True)) if known else (0.0 for _ in self.labels)
        scores = [prior + len(known) * unseen + total for (prior, unseen), total
                  in zip(self._base, totals, strict=True)]
        best = max(scores)
        exponentials = [math.exp(score - best) for score in scores]
        total = sum(exponentials)
        return sorted(((value / total, label) for label, value in zip(self.labels, exponentials, strict=True)),
                      reverse=True)


