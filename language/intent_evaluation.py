"""Measuring the intent rules on a labelled set, reported the way `rasa test nlu` does."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from language.intent_rules import RuleSet


@dataclass(frozen=True)
class IntentScore:
    """Precision, recall and F1 of one intent over an evaluation set."""

    intent: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Confusion:
    """Messages of intent `expected` recognised as `predicted`."""

    expected: str
    predicted: str
    count: int
    examples: tuple[str, ...]


@dataclass(frozen=True)
class EvaluationReport:
    """The result of `evaluate`: per-intent scores, accuracy and confusions."""

    scores: tuple[IntentScore, ...]
    accuracy: float
    correct: int
    total: int
    confusions: tuple[Confusion, ...]


def read_labelled_messages(path: str | Path) -> list[tuple[str, str]]:
    """Read `text<TAB>intent` lines (an optional `text<TAB>intent` header, # comments)."""
    rows = []
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith("#"):
            continue
        text, separator, intent = line.rpartition("\t")
        if not separator or not text.strip() or not intent.strip():
            raise ValueError(f"{path}:{number}: expected text<TAB>intent")
        if number == 1 and (text.strip().lower(), intent.strip().lower()) == ("text", "intent"):
            continue
        rows.append((text.strip(), intent.strip()))
    return rows


def evaluate(ruleset: RuleSet, rows: Sequence[tuple[str, str]]) -> EvaluationReport:
    """Recognise every labelled message and score the rules against the labels."""
    results = [(text, expected, ruleset.recognize_intent(text).intent)
               for text, expected in rows]
    labels = sorted({expected for _, expected, _ in results}
                    | {predicted for _, _, predicted in results})
    scores = []
    for label in labels:
        hits = sum(1 for _, expected, predicted in results if expected == predicted == label)
        predicted_count = sum(1 for _, _, predicted in results if predicted == label)
        support = sum(1 for _, expected, _ in results if expected == label)
        precision = hits / predicted_count if predicted_count else 0.0
        recall = hits / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores.append(IntentScore(label, precision, recall, f1, support))
    mistakes: dict[tuple[str, str], list[str]] = defaultdict(list)
    for text, expected, predicted in results:
        if expected != predicted:
            mistakes[(expected, predicted)].append(text)
    confusions = sorted(
        (Confusion(expected, predicted, len(texts), tuple(texts[:3]))
         for (expected, predicted), texts in mistakes.items()),
        key=lambda confusion: (-confusion.count, confusion.expected, confusion.predicted))
    correct = len(results) - sum(confusion.count for confusion in confusions)
    return EvaluationReport(
        scores=tuple(scores), accuracy=correct / len(results) if results else 0.0,
        correct=correct, total=len(results), confusions=tuple(confusions))


def format_report(report: EvaluationReport, examples: bool = True) -> str:
    """Render a report as a `rasa test nlu`-style table plus the confusion list (`examples=False`: counts
    only, for a held-out set whose sentences nobody may read, such as a failing test's message)."""
    width = max([len(score.intent) for score in report.scores] + [len("weighted avg")])
    lines = [f"{'':>{width}}  precision    recall  f1-score   support", ""]
    for score in report.scores:
        lines.append(f"{score.intent:>{width}}  {score.precision:9.3f} {score.recall:9.3f}"
                     f" {score.f1:9.3f} {score.support:9d}")
    total_support = sum(score.support for score in report.scores) or 1
    count = len(report.scores) or 1
    lines += ["", f"{'accuracy':>{width}}  {'':9} {'':9} {report.accuracy:9.3f}"
                  f" {report.total:9d}"]
    for title, weight in (("macro avg", lambda score: 1 / count),
                          ("weighted avg", lambda score: score.support / total_support)):
        averages = [sum(getattr(score, field) * weight(score) for score in report.scores)
                    for field in ("precision", "recall", "f1")]
        lines.append(f"{title:>{width}}  " + " ".join(f"{value:9.3f}" for value in averages)
                     + f" {report.total:9d}")
    lines += ["", f"{report.correct}/{report.total} correct"]
    if report.confusions:
        lines.append("Confusions (expected → predicted):")
        for confusion in report.confusions:
            shown = f": {' | '.join(confusion.examples)}" if examples else ""
            lines.append(f"  {confusion.expected} → {confusion.predicted} ({confusion.count}){shown}")
    return "\n".join(lines)
