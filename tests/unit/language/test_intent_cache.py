"""The intent cache gives exactly the classifier's answers, once per distinct normalised wording."""

from __future__ import annotations

import csv
import random

import pytest
from conftest import ROOT

from language.intent_cache import IntentCache, cached_recognizer
from language.rules_loader import load_rules

RULES_PATH = ROOT / "rules" / "chatbot_rules.yaml"


@pytest.fixture(scope="module")
def rules():
    return load_rules(str(RULES_PATH))


def corpus(count: int) -> list[str]:
    with open(ROOT / "tests" / "data" / "intents_dev.tsv", encoding="utf-8") as file:
        texts = [row["text"] for row in csv.DictReader(file, delimiter="\t") if row.get("text")]
    return random.Random(7).sample(texts, min(count, len(texts)))


def test_answers_equal_the_classifier_on_the_corpus_with_numbers_added(rules):
    cache = IntentCache(rules)
    texts = corpus(150)
    variants = texts + [f"{text} سفارش {n}" for n, text in enumerate(texts)] + [f"{n} {text}" for n, text in
                                                                                 enumerate(texts)]
    variants += ["لغو", "لغو 12", "stop", "STOP please", "دیگه پیام نده", "پیام نده 0912", "1", "۲", "🙂", ""]
    for text in variants:
        assert cache.recognize(text) == rules.recognize_intent(text), text


def test_texts_differing_only_in_numbers_are_classified_once(rules):
    cache = IntentCache(rules)
    for number in range(50):
        cache.recognize(f"سفارش {number} کی میرسه؟")
    assert len(cache._matches) == 1
    cache.recognize("سفارش 12 کی میرسه؟ لغو کنید")  # other words: classified on its own
    assert len(cache._matches) == 2


def test_a_stop_request_never_shares_an_answer_with_a_wording_that_is_not_one(rules):
    cache = IntentCache(rules)
    assert cache.recognize("stop") == rules.recognize_intent("stop")
    assert cache.recognize("don't stop") == rules.recognize_intent("don't stop")


def test_each_rules_object_has_its_own_cache(rules, tmp_path):
    assert cached_recognizer(rules) is cached_recognizer(rules)
    other = load_rules(str(RULES_PATH))
    assert cached_recognizer(other) is not cached_recognizer(rules)
    assert cached_recognizer(other).rules is other


def test_the_same_words_with_other_punctuation_are_classified_apart(rules):
    # The clauses decide here ("thanks, see you later" is a farewell), so the key holds them.
    cache = IntentCache(rules)
    for text in ("ممنون تا بعد", "ممنون، تا بعد", "عالی بود ممنون تا کی بازید", "عالی بود ممنون. تا کی بازید؟"):
        assert cache.recognize(text) == rules.recognize_intent(text)
