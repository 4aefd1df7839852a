"""The matcher's similarity: an intent is as near as its nearest examples, `none` as its nearest one."""

from __future__ import annotations

import itertools

from language.intent_matcher import NO_INTENT, Matcher, word_tokens
from language.intent_rules import Intent

# Unrelated one-word examples: the matcher leaves out of its look-up lists the n-grams of more
# than 5 % of the examples, so a handful of examples alone would share nothing it looks up.
FILLER = Intent("filler", tuple("".join(letters) for letters in itertools.islice(
    itertools.product("qzjv", "xkpf", "qzjv", "gmwy"), 200)), ("-",))


def similarities(matcher: Matcher, text: str) -> dict[str, float]:
    return {label: score for score, label in matcher.ngram_scores(word_tokens(text))}


def test_out_of_scope_keeps_its_nearest_example():
    matcher = Matcher([FILLER, Intent("pricing", ("how much is it", "price please", "what does it cost"), ("-",))],
                      ("the weather is cold today", "who won the match"))
    scores = similarities(matcher, "the weather is cold today")
    assert scores[NO_INTENT] > 0.99
    assert max(score for label, score in scores.items() if label != NO_INTENT) < 0.3
