"""Pooled five-fold cross-validation of sentiment (lexicon and trained model) over every development set.

    python bench/sentiment_cross_validation.py [--errors] [--sweep]

Every development message (tests/data/sentiment_dev*.tsv, pooled; never the held-out sets)
falls in one of five folds by a hash of its normalised words, so a sentence written twice lands
in one fold. For each fold the lexicon is loaded without any word or phrase entry equal to one of
the fold's sentences and the model (`language.sentiment_model`) is trained on the other four
folds only, then the fold is scored: a learned part is judged on sentences it never saw. Prints
macro-F1 and precision / recall / F1 per label over the pool, with the lexicon alone and with
the model, macro-F1 per file, and how many plain requests written blind (intents_dev_blind*.tsv)
the model calls positive or negative. `--sweep` also prints the pooled figure at other model
confidences (one value for both labels). rules/sentiment_corpus.tsv, the shipped training corpus, is
written from the same files by `make training-corpora`. A measurement, not a test.
"""

from __future__ import annotations

import argparse
import os
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from language import sentiment  # noqa: E402
from language.intent_evaluation import read_labelled_messages  # noqa: E402
from language.nlp import tokenize  # noqa: E402
from language.sentiment_evaluation import read_labelled_tsv  # noqa: E402
from language.sentiment_lexicon import load_lexicon, tokens_of  # noqa: E402
from language.sentiment_model import NEUTRAL_INTENTS, SentimentModel, neutral_requests  # noqa: E402

FOLDS = 5
LABELS = sentiment.LABELS


def development_rows() -> list[tuple[str, str, str]]:
    """(file name, text, label) of every sentiment development set, in a fixed order."""
    paths = sorted((ROOT / "tests" / "data").glob("sentiment_dev*.tsv"),
                   key=lambda path: (len(path.name), path.name))
    return [(path.name, text, label) for path in paths for text, label in read_labelled_tsv(path)]


def scores(pairs: list[tuple[str, str]]) -> tuple[float, dict[str, tuple[float, float, float]]]:
    """Macro-F1 and (precision, recall, F1) per label of (gold, predicted) pairs."""
    per_label = {}
    for label in LABELS:
        hits = sum(gold == predicted == label for gold, predicted in pairs)
        predicted_count = sum(predicted == label for _, predicted in pairs)
        gold_count = sum(gold == label for gold, _ in pairs)
        precision = hits / predicted_count if predicted_count else 0.0
        recall = hits / gold_count if gold_count else 0.0
        per_label[label] = (precision, recall, 2 * hits / (predicted_count + gold_count) if gold_count else 0.0)
    return sum(f1 for *_, f1 in per_label.values()) / len(LABELS), per_label


def report(name: str, pairs: list[tuple[str, str]]) -> None:
    macro, per_label = scores(pairs)
    print(f"{name}: macro-F1 {macro:.4f}; " + ", ".join(
        f"{label} P {p:.3f} R {r:.3f} F1 {f:.3f}" for label, (p, r, f) in per_label.items()))


def false_alarms(requests: list[tuple[str, str]]) -> tuple[int, int]:
    """How many blind-written requests of the neutral intents the model labels, of how many."""
    examples = {" ".join(tokenize(text)) for text, _ in requests}
    texts = list(dict.fromkeys(
        text for path in sorted((ROOT / "tests" / "data").glob("intents_dev_blind*.tsv"))
        for text, label in read_labelled_messages(path)
        if label in NEUTRAL_INTENTS and " ".join(tokenize(text)) not in examples))
    model = SentimentModel([(text, label) for _, text, label in development_rows()] + requests)
    labelled = [sentiment.analyze_sentiment(text, model=model).matched for text in texts]
    return sum(bool(matched) and matched[0].startswith("model:") for matched in labelled), len(texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", action="store_true", help="print every misclassified message")
    parser.add_argument("--sweep", action="store_true", help="also score other model confidences")
    arguments = parser.parse_args()
    rows = development_rows()
    requests = neutral_requests()  # never scored here, so always trained on
    words = [" ".join(tokenize(text)) for _, text, _ in rows]
    folds = [zlib.crc32(word.encode()) % FOLDS for word in words]
    confidences = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95) if arguments.sweep else ()
    alone, combined = [""] * len(rows), [""] * len(rows)
    swept = {confidence: [""] * len(rows) for confidence in confidences}
    model_alone = [""] * len(rows)
    shipped = sentiment.MODEL_CONFIDENCE, sentiment.NEGATIVE_CONFIDENCE
    for fold in range(FOLDS):
        inside = [index for index, row_fold in enumerate(folds) if row_fold == fold]
        lexicon = load_lexicon(without={tuple(tokens_of(rows[index][1])) for index in inside})
        model = SentimentModel([(text, label) for (_, text, label), row_fold in zip(rows, folds, strict=True)
                                if row_fold != fold] + requests)
        for index in inside:
            text = rows[index][1]
            alone[index] = sentiment.analyze_sentiment(text, lexicon, model=False).label
            combined[index] = sentiment.analyze_sentiment(text, lexicon, model).label
            model_alone[index] = model.predict(tokens_of(text))[0]
            for confidence in confidences:
                sentiment.MODEL_CONFIDENCE = sentiment.NEGATIVE_CONFIDENCE = confidence
                swept[confidence][index] = sentiment.analyze_sentiment(text, lexicon, model).label
            sentiment.MODEL_CONFIDENCE, sentiment.NEGATIVE_CONFIDENCE = shipped
    gold = [label for *_, label in rows]
    print(f"{len(rows)} messages in {len({name for name, *_ in rows})} files, {FOLDS} folds; "
          f"load average {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    report("lexicon alone", list(zip(gold, alone, strict=True)))
    report(f"with the model (confidence {sentiment.MODEL_CONFIDENCE}, for negative {sentiment.NEGATIVE_CONFIDENCE})",
           list(zip(gold, combined, strict=True)))
    print(f"messages the model decided: {sum(a != c for a, c in zip(alone, combined, strict=True))}")
    for confidence, predicted in swept.items():
        report(f"  confidence {confidence}", list(zip(gold, predicted, strict=True)))
    if arguments.sweep:
        report("  model alone", list(zip(gold, model_alone, strict=True)))
    alarms, checked = false_alarms(requests)
    print(f"plain requests written blind (intents_dev_blind*.tsv, {', '.join(NEUTRAL_INTENTS)}; not rule examples): "
          f"the shipped model labels {alarms} of {checked} positive or negative")
    by_file: dict[str, list[int]] = {}
    for index, (name, _, _) in enumerate(rows):
        by_file.setdefault(name, []).append(index)
    for title, predicted in (("lexicon alone", alone), ("with the model", combined)):
        print(f"macro-F1 per file, {title}: " + ", ".join(
            f"{name.removesuffix('.tsv').removeprefix('sentiment_')} "
            f"{scores([(gold[i], predicted[i]) for i in indexes])[0]:.3f}" for name, indexes in by_file.items()))
    if arguments.errors:
        for (name, text, label), guess in zip(rows, combined, strict=True):
            if label != guess:
                print(f"{name}\t{label} -> {guess}\t{text}")


if __name__ == "__main__":
    main()
