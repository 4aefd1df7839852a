"""Tests for language/sentiment_evaluation.py, and sentiment graded on the fourth pass's development sets.

`sentiment_dev8.tsv` and `sentiment_dev9.tsv` were written and committed before any score
(tests/data/README.md, "The fourth pass — sentiment"). dev8 was scored first (0.831) and then
used to improve the lexicon and the rules; dev9 was scored once, after the pass's changes, and
never tuned on: its floor was its honest figure for messages the rules had not seen. Since the
sentiment pass of 2026-12-07 both are also training sentences of the sentiment model
(rules/sentiment_corpus.tsv), so a direct score of any development set is no longer a figure for
unseen messages: bench/sentiment_cross_validation.py gives that (dev9 0.940 under cross-validation).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT

from language.nlp import tokenize
from language.sentiment import LABELS, lexicon_entries
from language.sentiment_evaluation import evaluate, format_evaluation, read_labelled_tsv

DATA = ROOT / "tests" / "data"
DEV8, DEV9 = DATA / "sentiment_dev8.tsv", DATA / "sentiment_dev9.tsv"


@pytest.mark.parametrize(("path", "size"), [(DEV8, 150), (DEV9, 100)], ids=["dev8", "dev9"])
def test_fourth_pass_sets_mix_the_three_labels(path: Path, size: int) -> None:
    rows = read_labelled_tsv(path)
    counts = {label: sum(gold == label for _, gold in rows) for label in LABELS}
    assert len(rows) >= size and min(counts.values()) >= len(rows) // 4, counts


def test_dev8_macro_f1() -> None:
    result = evaluate(read_labelled_tsv(DEV8))
    # 0.831 at first score (before the fourth pass), 0.993 after it: it was tuned on.
    assert result["macro_f1"] >= 0.99, format_evaluation(result)


def test_dev9_macro_f1() -> None:
    result = evaluate(read_labelled_tsv(DEV9))
    # Scored once, after the fourth pass: 0.912 (main before the pass: 0.799). Never tuned on.
    assert result["macro_f1"] >= 0.91, format_evaluation(result)


@pytest.mark.parametrize("path", [DEV8, DEV9], ids=["dev8", "dev9"])
def test_no_lexicon_entry_is_a_fourth_pass_sentence(path: Path) -> None:
    entries = lexicon_entries()
    assert [text for text, _ in read_labelled_tsv(path) if tuple(tokenize(text)) in entries] == []


def test_evaluate_counts_and_metrics() -> None:
    rows = [
        ("عالی بود", "positive"),
        ("افتضاح بود", "negative"),
        ("سلام", "neutral"),
        ("سلام", "positive"),
    ]  # one deliberate miss: positive predicted neutral
    result = evaluate(rows)
    assert result["labels"] == ["positive", "neutral", "negative"]
    assert result["confusion"] == [[1, 1, 0], [0, 1, 0], [0, 0, 1]]
    assert result["accuracy"] == pytest.approx(0.75)
    assert result["per_class"]["positive"] == pytest.approx(
        {"precision": 1.0, "recall": 0.5, "f1": 2 / 3, "support": 2}
    )
    assert result["per_class"]["neutral"]["precision"] == pytest.approx(0.5)
    assert result["macro_f1"] == pytest.approx((2 / 3 + 2 / 3 + 1.0) / 3)
    assert result["errors"] == [("سلام", "positive", "neutral")]
    table = format_evaluation(result)
    assert "macro-F1 0.778" in table and "accuracy 0.750" in table
    assert "positive -> neutral: سلام" in table
    with pytest.raises(ValueError):
        evaluate([("hi", "happy")])


def test_evaluate_empty_input() -> None:
    result = evaluate([])
    assert result["count"] == 0 and result["macro_f1"] == 0.0 and result["accuracy"] == 0.0
    assert "messages 0" in format_evaluation(result)


def test_read_labelled_tsv(tmp_path: Path) -> None:
    path = tmp_path / "rows.tsv"
    path.write_text("text\tsentiment\nخوبه\tpositive\n\nbad one\tNegative\n", encoding="utf-8")
    assert read_labelled_tsv(path) == [("خوبه", "positive"), ("bad one", "negative")]
    path.write_text("خوبه\tpositive\nno label here\n", encoding="utf-8")
    with pytest.raises(ValueError, match=":2:"):
        read_labelled_tsv(path)
