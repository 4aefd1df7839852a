"""Tests for language/sentiment_model.py and how `sentiment` uses it when the lexicon finds no cue.

The shipped corpus must be the development sets, row for row: the app reads only rules/, so a
development set added or corrected in tests/data without `make training-corpora` would silently drift.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from build_training_corpora import sentiment_sets
from conftest import ROOT

from language import sentiment
from language.reply_tone import STRONGLY_NEGATIVE_SCORE
from language.sentiment import analyze_sentiment
from language.sentiment_evaluation import read_labelled_tsv
from language.sentiment_model import CORPUS_PATH, NEUTRAL_INTENTS, SentimentModel, neutral_requests, read_corpus

NO_CUE_COMPLAINT = "هلش تازه نبود و بوی نا میداد"  # written for this test; no lexicon cue in it


def test_the_shipped_corpus_is_every_development_set_in_order():
    expected = [row for path in sentiment_sets() for row in read_labelled_tsv(path)]
    assert read_corpus() == expected, "run: make training-corpora"
    assert CORPUS_PATH.parent.name == "rules"


def test_read_corpus_rejects_a_row_without_a_label(tmp_path: Path):
    path = tmp_path / "corpus.tsv"
    path.write_text("خوبه\tpositive\nno label here\n", encoding="utf-8")
    with pytest.raises(ValueError, match=":2:"):
        read_corpus(path)


def test_a_small_model_learns_its_labels():
    rows = [("the tea was stale", "negative"), ("stale bread again", "negative"),
            ("the tea was lovely", "positive"), ("lovely colour", "positive"),
            ("what is the price", "neutral"), ("price of the tea", "neutral")] * 3
    model = SentimentModel(rows)
    assert model.predict(["stale", "tea"])[0] == "negative"
    assert model.predict(["lovely", "tea"])[0] == "positive"
    label, probability = model.predict(["price"])
    assert label == "neutral" and 1 / 3 < probability <= 1


def test_the_model_decides_a_message_without_a_cue_mildly():
    assert analyze_sentiment(NO_CUE_COMPLAINT, model=False).label == "neutral"
    result = analyze_sentiment(NO_CUE_COMPLAINT)
    assert result.label == "negative" and result.matched[0].startswith("model:negative")
    # A guess from words alone never makes the reply offer a person.
    assert result.score == -sentiment.MODEL_SCORE > STRONGLY_NEGATIVE_SCORE


def test_the_model_never_overrides_a_cue_or_answers_a_question():
    assert analyze_sentiment("ارسالتون خیلی سریع بود").matched == analyze_sentiment(
        "ارسالتون خیلی سریع بود", model=False).matched
    assert analyze_sentiment(NO_CUE_COMPLAINT + "؟").label == "neutral"


def test_the_rules_plain_requests_train_the_model_as_neutral(tmp_path: Path):
    requests = neutral_requests()
    assert len(requests) > 100 and {label for _, label in requests} == {"neutral"}
    rules = tmp_path / "rules.yaml"
    rules.write_text("intents:\n  pricing: {examples: [how much]}\n  thanks: {examples: [merci]}\n", encoding="utf-8")
    assert "pricing" in NEUTRAL_INTENTS and "thanks" not in NEUTRAL_INTENTS
    assert neutral_requests(rules) == [("how much", "neutral")]


@pytest.mark.parametrize("text", ["سلام وقتتون بخیر", "salam vaghtetoon bekheir", "شب خوش", "farq nemide",
                                  "3 روز دیگه میرسه", "I want to order the red one",
                                  "I would like to order the red one"])
def test_greetings_and_fixed_neutral_expressions_are_not_read_by_the_model(text: str):
    assert analyze_sentiment(text).label == "neutral"


def test_a_web_worker_trains_the_model_before_its_first_message():
    """The app's chatbot prepares the sentiment model at start-up: a customer's first message does not
    wait for its training. Checked in a fresh interpreter, where nothing has trained it yet."""
    import subprocess
    import sys

    probe = ("import sys; sys.path.insert(0, '.'); from language.sentiment_model import cached_model; "
             "from config import load_config; from chatbot_service import Chatbot; "
             "before = cached_model.cache_info().currsize; Chatbot(load_config({})); "
             "print(before, cached_model.cache_info().currsize)")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={"PATH": "/usr/bin:/bin", "HOME": str(ROOT)})
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["0", "1"]
