"""Sentiment graded on labelled data: `text<TAB>label` files, per-class P/R/F1, macro-F1, confusion.

Used by `flask analytics evaluate-sentiment` and the tests that grade `sentiment` on the sets
in tests/data (README there says how each was written).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from language.sentiment import LABELS, analyze_sentiment


def read_labelled_tsv(path: str | Path) -> list[tuple[str, str]]:
    """Read `text<TAB>label` rows (an optional header line is skipped)."""
    rows: list[tuple[str, str]] = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        text, separator, label = line.rpartition("\t")
        label = label.strip().lower()
        if not line.strip() or (number == 1 and label not in LABELS):
            continue
        if not separator or label not in LABELS:
            raise ValueError(f"{path}:{number}: expected text<TAB>{'|'.join(LABELS)}")
        rows.append((text, label))
    return rows


def evaluate(rows: Iterable[tuple[str, str]]) -> dict:
    """Score `analyze_sentiment` on (text, gold label) rows: per-class P/R/F1, macro-F1, confusion."""
    confusion = {gold: dict.fromkeys(LABELS, 0) for gold in LABELS}
    errors: list[tuple[str, str, str]] = []
    for text, gold in rows:
        if gold not in LABELS:
            raise ValueError(f"unknown label {gold!r} for {text!r}")
        predicted = analyze_sentiment(text).label
        confusion[gold][predicted] += 1
        if predicted != gold:
            errors.append((text, gold, predicted))
    per_class: dict[str, dict[str, float]] = {}
    for label in LABELS:
        hits, support = confusion[label][label], sum(confusion[label].values())
        predicted_count = sum(confusion[gold][label] for gold in LABELS)
        precision = hits / predicted_count if predicted_count else 0.0
        recall = hits / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {"precision": precision, "recall": recall, "f1": f1, "support": support}
    # A class absent from both gold and predictions says nothing; averaging its 0 would punish.
    present = [label for label in LABELS if any(confusion[label].values())
               or any(confusion[gold][label] for gold in LABELS)]
    count = sum(sum(row.values()) for row in confusion.values())
    return {
        "labels": list(LABELS),
        "per_class": per_class,
        "macro_f1": sum(per_class[label]["f1"] for label in present) / len(present) if present else 0.0,
        "accuracy": sum(confusion[label][label] for label in LABELS) / count if count else 0.0,
        "count": count,
        "confusion": [[confusion[gold][predicted] for predicted in LABELS] for gold in LABELS],
        "errors": errors,
    }


def format_evaluation(result: dict, max_errors: int = 10) -> str:
    """Render an `evaluate` result as a plain-text table, with the first misclassified rows."""
    labels = result["labels"]
    lines = [f"{'label':<10}{'precision':>10}{'recall':>8}{'f1':>8}{'support':>9}"]
    for label in labels:
        row = result["per_class"][label]
        lines.append(f"{label:<10}{row['precision']:>10.3f}{row['recall']:>8.3f}{row['f1']:>8.3f}{row['support']:>9}")
    lines += [f"macro-F1 {result['macro_f1']:.3f}   accuracy {result['accuracy']:.3f}   messages {result['count']}",
              "", "confusion (rows: gold, columns: predicted)", " " * 10 + "".join(f"{x:>10}" for x in labels)]
    for gold, counts in zip(labels, result["confusion"], strict=True):
        lines.append(f"{gold:<10}" + "".join(f"{count:>10}" for count in counts))
    if result["errors"] and max_errors > 0:
        lines += ["", f"misclassified ({len(result['errors'])}, first {max_errors}):"]
        lines += [f"  {gold} -> {predicted}: {text}" for text, gold, predicted in result["errors"][:max_errors]]
    return "\n".join(lines)
