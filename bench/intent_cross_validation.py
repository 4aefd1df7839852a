"""Pooled five-fold cross-validation of the intent rules over every development set.

    python bench/intent_cross_validation.py [--errors] [--by-file] [--rules FILE]

`intents_dev.tsv`–`intents_dev3.tsv` are also rule examples, so scoring them directly would
grade the rules on their own examples. Here every development message (all of
tests/data/intents_dev*.tsv, pooled; never the frozen set) falls in one of five folds by a hash
of the words the classifier reads (a sentence written twice, or with other digits, emoji or
punctuation, lands in one fold); for each fold, every rule example and out-of-scope example with
the words of one of its sentences leaves the rules, the matcher and the model are rebuilt from
the rest, and the fold is classified. The same goes for the rules' `training_messages`
(rules/intent_training.tsv, a copy of these files): a fold's sentences leave it before the model
learns. With `--by-file` each development file is a fold (leave one file out: a stricter test of
phrasings from another sitting or writer). Prints accuracy, macro-F1 and F1 per label over the
pool, and accuracy per file (tests/data/README.md, "fourth pass" and "tenth pass").
A measurement, not a test.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config import Config  # noqa: E402
from language import model_cache  # noqa: E402
from language.intent_evaluation import read_labelled_messages  # noqa: E402
from language.intent_matcher import word_tokens  # noqa: E402
from language.intent_rules import RuleSet  # noqa: E402
from language.rules_loader import load_rules  # noqa: E402

FOLDS = 5
# Each fold's model is this run's alone: never written to instance/model-cache, where it would push out the app's.
model_cache.WORTH_KEEPING = float("inf")


def words(text: str) -> str:
    """The words the classifier reads (no numbers, emoji or punctuation): texts that differ only in
    those land in one fold and leave the training together (40 groups of the pool did not, before)."""
    return " ".join(word_tokens(text))


def rules_without(rules: RuleSet, held_out: set[str]) -> RuleSet:
    """`rules` with every example and out-of-scope example equal to a held-out sentence removed."""
    intents = [dataclasses.replace(intent, examples=tuple(
        example for example in intent.examples if words(example) not in held_out))
        for intent in rules.intents.values()]
    out_of_scope = tuple(example for example in rules.out_of_scope if words(example) not in held_out)
    training = tuple((text, label) for text, label in rules.training if words(text) not in held_out)
    return RuleSet(intents, rules.fallback, rules.threshold, rules.margin, out_of_scope, training=training)


def f1_per_label(pairs: list[tuple[str, str]]) -> dict[str, float]:
    """F1 of every expected label over (expected, predicted) pairs."""
    scores = {}
    for label in sorted({expected for expected, _ in pairs}):
        true_positives = sum(expected == predicted == label for expected, predicted in pairs)
        predicted_count = sum(predicted == label for _, predicted in pairs)
        expected_count = sum(expected == label for expected, _ in pairs)
        scores[label] = 2 * true_positives / (predicted_count + expected_count)
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", action="store_true", help="print every misclassified message")
    parser.add_argument("--by-file", action="store_true",
                        help="leave one file out: each development file is a fold")
    parser.add_argument("--rules", default=Config().chatbot_rules_path, help="the rules file (default: shipped)")
    arguments = parser.parse_args()
    show_errors = arguments.errors
    rules = load_rules(arguments.rules)
    paths = sorted((ROOT / "tests" / "data").glob("intents_dev*.tsv"), key=lambda path: (len(path.name), path.name))
    rows = [(path.name, text, label) for path in paths for text, label in read_labelled_messages(path)]
    if arguments.by_file:
        names = [path.name for path in paths]
        folds = [names.index(name) for name, _, _ in rows]
    else:
        folds = [zlib.crc32(words(text).encode()) % FOLDS for _, text, _ in rows]
    fold_count = max(folds) + 1
    predicted = [""] * len(rows)
    for fold in range(fold_count):
        held_out = {words(text) for (_, text, _), row_fold in zip(rows, folds, strict=True) if row_fold == fold}
        fold_rules = rules_without(rules, held_out)
        for index, ((_, text, _), row_fold) in enumerate(zip(rows, folds, strict=True)):
            if row_fold == fold:
                predicted[index] = fold_rules.recognize_intent(text).intent
    pairs = [(label, guess) for (_, _, label), guess in zip(rows, predicted, strict=True)]
    scores = f1_per_label(pairs)
    accuracy = sum(expected == guess for expected, guess in pairs) / len(pairs)
    print(f"{len(rows)} messages in {len(paths)} files, {fold_count} folds: accuracy {accuracy:.4f}, "
          f"macro-F1 {sum(scores.values()) / len(scores):.4f}")
    print("F1: " + ", ".join(f"{label} {score:.3f}" for label, score in scores.items()))
    by_file = {}
    for (name, _, label), guess in zip(rows, predicted, strict=True):
        by_file.setdefault(name, []).append(label == guess)
    print("accuracy: " + ", ".join(f"{name.removesuffix('.tsv')} {sum(hits) / len(hits):.3f}"
                                   for name, hits in by_file.items()))
    if show_errors:
        for (name, text, label), guess in zip(rows, predicted, strict=True):
            if label != guess:
                print(f"{name}\t{label} -> {guess}\t{text}")


if __name__ == "__main__":
    main()
