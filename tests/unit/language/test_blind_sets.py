"""The chatbot graded on messages written by people who never saw its rules or our other sets.

`intents_blind.tsv` to `intents_blind18.tsv` and `sentiment_blind.tsv` to `sentiment_blind10.tsv` were each
written in one sitting by a writer given only the labels' conventions and the issue's mix of styles, filtered
against every rule example and labelled sentence (counts printed, no text), and committed before any
classifier ran on them (tests/data/README.md, "Sets written blind"). They measure what our own sets
overestimate: how the bot does with phrasings its authors did not think of. Only the figures of
`intents_blind2.tsv` and `intents_blind3.tsv` have ever been printed (of `intents_blind4.tsv`, the
seven lines of its first score's `none` row by mistake; nothing was made of them). The floors sit
just under the figures measured after the tenth intent pass and the sentiment pass of 2026-12-07;
a lower figure after a change is a regression, not a file to edit.
"""

from __future__ import annotations

import pytest
from conftest import ROOT

from language.intent_evaluation import evaluate, format_report, read_labelled_messages
from language.nlp import tokenize
from language.rules_loader import load_rules
from language.sentiment_evaluation import evaluate as evaluate_sentiment
from language.sentiment_evaluation import format_evaluation, read_labelled_tsv

DATA = ROOT / "tests" / "data"
BLIND = DATA / "intents_blind.tsv"
BLIND2 = DATA / "intents_blind2.tsv"
BLIND3 = DATA / "intents_blind3.tsv"
BLIND4 = DATA / "intents_blind4.tsv"
BLIND5 = DATA / "intents_blind5.tsv"
BLIND6 = DATA / "intents_blind6.tsv"
BLIND7 = DATA / "intents_blind7.tsv"
BLIND8 = DATA / "intents_blind8.tsv"
BLIND9 = DATA / "intents_blind9.tsv"
BLIND10 = DATA / "intents_blind10.tsv"
BLIND11 = DATA / "intents_blind11.tsv"
BLIND12 = DATA / "intents_blind12.tsv"
BLIND13 = DATA / "intents_blind13.tsv"
BLIND14 = DATA / "intents_blind14.tsv"
BLIND15 = DATA / "intents_blind15.tsv"
BLIND16 = DATA / "intents_blind16.tsv"
BLIND17 = DATA / "intents_blind17.tsv"
BLIND18 = DATA / "intents_blind18.tsv"
SENTIMENT_BLIND = DATA / "sentiment_blind.tsv"
SENTIMENT_BLIND2 = DATA / "sentiment_blind2.tsv"
SENTIMENT_BLIND3 = DATA / "sentiment_blind3.tsv"
SENTIMENT_BLIND4 = DATA / "sentiment_blind4.tsv"
SENTIMENT_BLIND5 = DATA / "sentiment_blind5.tsv"
SENTIMENT_BLIND6 = DATA / "sentiment_blind6.tsv"
SENTIMENT_BLIND7 = DATA / "sentiment_blind7.tsv"
SENTIMENT_BLIND8 = DATA / "sentiment_blind8.tsv"
SENTIMENT_BLIND9 = DATA / "sentiment_blind9.tsv"
SENTIMENT_BLIND10 = DATA / "sentiment_blind10.tsv"


@pytest.fixture(scope="module")
def rules():
    return load_rules(ROOT / "rules" / "chatbot_rules.yaml")


def _normalised(path) -> set[str]:
    return {" ".join(tokenize(text)) for text, _ in read_labelled_messages(path)}


def _all_blind_sentences() -> set[str]:
    return set().union(*(_normalised(path) for path in sorted(DATA.glob("intents_blind*.tsv"))))


def test_no_rule_example_is_a_blind_sentence(rules):
    blind = _all_blind_sentences()
    examples = [example for intent in rules.intents.values() for example in intent.examples]
    examples += list(rules.out_of_scope)
    assert [example for example in examples if " ".join(tokenize(example)) in blind] == []
    # The model's training messages (rules/intent_training.tsv): counted, so a failure prints no sentence.
    assert sum(" ".join(tokenize(text)) in blind for text, _ in rules.training) == 0


def test_no_development_sentence_is_a_blind_sentence():
    development = set().union(*(_normalised(path) for path in sorted(DATA.glob("intents_dev*.tsv"))))
    assert development & _all_blind_sentences() == set()


@pytest.mark.parametrize(("path", "accuracy", "none_f1"), [
    # Main before the fifth pass: 0.879 / none 0.762 (blind) and 0.875 / 0.811 (blind2); after it: 0.913 /
    # 0.841 and 0.907 / 0.857, then 0.913 / 0.841 and 0.903 / 0.851 once three out-of-scope examples that
    # rules ahead of the matcher answered were taken out. blind3 was written after the fifth pass: 0.876 /
    # 0.791 then, 0.880 / 0.800 after the sixth (blind 0.937 / 0.903, blind2 0.927 / 0.890). blind4 was
    # written before the seventh pass, its gate: 0.897 / 0.823 on main, 0.913 / 0.850 after it (blind
    # 0.942 / 0.903, blind2 0.927 / 0.887, blind3 0.892 / 0.815). blind5 was written before the eighth
    # pass, its gate: 0.929 / 0.894 on main, 0.943 / 0.894 after it (blind 0.947 / 0.903, blind2 0.931 /
    # 0.895, blind3 0.892 / 0.815, blind4 0.917 / 0.867). blind6 was written after the eighth pass, the
    # gate of a ninth that moved no held-out figure and was not kept: 0.928 / 0.912. blind7 was written
    # before the tenth pass (the model learns from every development message), its gate: 0.877 / 0.857 on
    # main, 0.903 / 0.876 after it (blind 0.981 / 0.969, blind2 0.960 / 0.930, blind3 0.917 / 0.857,
    # blind4 0.937 / 0.894, blind5 0.957 / 0.909, blind6 0.943 / 0.918). blind8 was written before the
    # eleventh pass, its gate: 0.906 / 0.866 on main, 0.911 / 0.871 after it; blind9 after it, 0.949 / 0.937
    # at its first score (a twelfth pass left it there and was not kept). The filter took every greeting and
    # farewell out of blind9 as sentences already known, so it holds eight labels, not ten. blind10 was written
    # before the thirteenth pass, its gate: 0.910 / 0.892 on main, 0.943 / 0.925 after it (blind9 0.945 / 0.930).
    # blind11 (two writers) was the gate of a fourteenth: 0.943 / 0.916 before it and after it. blind12 was
    # written after it: 0.942 / 0.907 at its first score. blind13 was the gate of a fifteenth (the customer or
    # their number removed is an opt-out): 0.962 / 0.931 before and after it (blind10 0.948 / 0.932, blind11
    # 0.951 / 0.927 after it). blind14 was the gate of a sixteenth (formal and SMS-Finglish opt-outs and opt-ins,
    # Azeri and formal thanks, "it works", "how long"; two more blind-written sets learnt): 0.900 / 0.848 on main,
    # 0.911 / 0.867 after it, and no older blind set lower (blind4 0.948 / 0.919, blind7 0.918 / 0.896, blind9
    # 0.959 / 0.949, blind11 0.958 / 0.940, blind13 0.962 / 0.937). blind15 was the gate of a seventeenth, which it
    # refused (0.949 / 0.939 on main, 0.945 / 0.932 with it): not merged. blind16 (743, three writers) judged it once
    # more: 0.968 / 0.950 with and without it, so it stayed out.
    # blind: 0.981 / 0.959 on main, 0.976 / 0.948 after the eighteenth pass (one message; its errors were read
    # once, long ago, and not this time).
    (BLIND, 0.97, 0.94),
    (BLIND2, 0.95, 0.91),
    (BLIND3, 0.91, 0.84),
    (BLIND4, 0.93, 0.88),
    (BLIND5, 0.95, 0.89),
    (BLIND6, 0.93, 0.90),
    (BLIND7, 0.89, 0.86),
    (BLIND8, 0.90, 0.85),
    (BLIND9, 0.94, 0.92),
    (BLIND10, 0.93, 0.91),
    (BLIND11, 0.93, 0.90),
    (BLIND12, 0.93, 0.89),
    (BLIND13, 0.95, 0.92),
    (BLIND14, 0.90, 0.86),
    (BLIND15, 0.94, 0.93),
    (BLIND16, 0.96, 0.94),
    # blind17 (415, two writers; half requests to stop the shop's messages phrased every way, half look-alikes):
    # the eighteenth pass's gate, 0.802 / 0.766 (opt_out 0.862) on main, 0.853 / 0.809 (opt_out 0.912) after it.
    (BLIND17, 0.84, 0.79),
    # blind18 (391, two writers): the gate of a nineteenth pass, which it would have raised (0.895 / 0.859 on main,
    # 0.913 / 0.873 with it) but which lowered blind16 and blind17: refused.
    (BLIND18, 0.88, 0.84),
], ids=["blind", "blind2", "blind3", "blind4", "blind5", "blind6", "blind7", "blind8", "blind9", "blind10", "blind11",
        "blind12", "blind13", "blind14", "blind15", "blind16", "blind17", "blind18"])
def test_blind_intent_sets(rules, path, accuracy, none_f1):
    rows = read_labelled_messages(path)
    labels = {label for _, label in rows}
    assert len(rows) >= 200 and labels <= set(rules.intents) | {"none"} and len(labels) >= 8
    report = evaluate(rules, rows)
    scores = {score.intent: score.f1 for score in report.scores}
    assert report.accuracy >= accuracy and scores["none"] >= none_f1, format_report(report, examples=False)


@pytest.mark.parametrize(("path", "macro_f1"), [
    (SENTIMENT_BLIND, 0.96),  # 0.930 at its first score, 0.979 after the sentiment pass of 2026-12-07
    (SENTIMENT_BLIND2, 0.90),  # that pass's gate, written blind for it: 0.859 on main, 0.917 after it
    (SENTIMENT_BLIND3, 0.88),  # the afternoon pass's gate: 0.882 on main, 0.895 after it
    (SENTIMENT_BLIND4, 0.90),  # the evening pass's gate: 0.907 on main, 0.903 with it (refused), 0.925 after the fourth
    # the larger gate (two writers) that judged that pass once more: 0.854 on main, 0.871 with it (kept). Under the
    # issue's 0.88: the figure to raise.
    (SENTIMENT_BLIND5, 0.89),  # 0.888 after the fourth pass, 0.899 after the sixth
    (SENTIMENT_BLIND6, 0.88),  # the fourth pass's gate (two writers): 0.873 on main, 0.880 after it, 0.890 now
    (SENTIMENT_BLIND7, 0.88),  # a fifth pass's gate (two writers): 0.877 on main (not merged), 0.884 after the sixth
    (SENTIMENT_BLIND8, 0.89),  # the sixth pass's gate (two writers): 0.864 on main, 0.886 after it, 0.904 after the 7th
    (SENTIMENT_BLIND9, 0.87),  # the seventh pass's gate (two writers): 0.866 on main, 0.882 after it
    (SENTIMENT_BLIND10, 0.88),  # an eighth pass's gate (two writers): 0.887 on main; the pass was refused
], ids=["blind", "blind2", "blind3", "blind4", "blind5", "blind6", "blind7", "blind8", "blind9", "blind10"])
def test_blind_sentiment_sets(path, macro_f1):
    rows = read_labelled_tsv(path)
    assert len(rows) >= 100
    result = evaluate_sentiment(rows)
    assert result["macro_f1"] >= macro_f1, format_evaluation(result, max_errors=0)
