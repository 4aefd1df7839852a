"""The labelled messages the intent model learns from (rules/intent_training.tsv).

The app reads only rules/, so the development sets (tests/data/intents_dev*.tsv) are copied there by
tests/support/build_training_corpora.py; these tests keep the copy equal to them, free of held-out
sentences, and loaded by the rules (tests/data/README.md, "The tenth pass").
"""

from __future__ import annotations

import shutil

import pytest
from build_training_corpora import TRAINING, development_sets, training_text
from conftest import ROOT

from language.intent_evaluation import read_labelled_messages
from language.intent_rules import RulesError
from language.nlp import tokenize
from language.rules_loader import load_rules, parse_rules

DATA = ROOT / "tests" / "data"
# Every held-out file: frozen, held out, written blind (not the development sets written blind).
HELD_OUT = sorted([DATA / "intents_frozen.tsv", DATA / "intents_heldout.tsv", *DATA.glob("intents_blind*.tsv")])


@pytest.fixture(scope="module")
def rules():
    return load_rules(ROOT / "rules" / "chatbot_rules.yaml")


def test_the_shipped_training_messages_are_the_development_sets():
    # When this fails, a development set was added or changed: run `make training-corpora`.
    assert TRAINING.read_text(encoding="utf-8") == training_text()


def test_the_rules_learn_from_every_development_message(rules):
    development = [row for path in development_sets() for row in read_labelled_messages(path)]
    assert len(development) >= 3800
    assert list(rules.training) == development


def test_no_training_message_is_a_held_out_sentence(rules):
    assert len(HELD_OUT) >= 8
    held_out = set().union(*({" ".join(tokenize(text)) for text, _ in read_labelled_messages(path)}
                             for path in HELD_OUT))
    # A count, not the sentences: a failure must not print a held-out sentence.
    assert sum(" ".join(tokenize(text)) in held_out for text, _ in rules.training) == 0


RULES = """
fallback: ["?"]
training_messages: {name}
intents:
  pricing:
    examples: ["قیمت چنده"]
    responses: ["price"]
  greeting:
    examples: ["سلام"]
    responses: ["hello"]
"""


def test_the_model_learns_from_the_training_messages(tmp_path):
    (tmp_path / "messages.tsv").write_text("text\tintent\n# a comment\nzorbolak?\tpricing\nblimflash\tnone\n",
                                           encoding="utf-8")
    rules = parse_rules(RULES.format(name="messages.tsv"), directory=tmp_path)
    assert rules.training == (("zorbolak?", "pricing"), ("blimflash", "none"))
    probability, label = rules._model.probabilities(["zorbolak"])[0]
    assert label == "pricing" and probability > 0.9  # a tie of three labels without it
    assert rules._model.probabilities(["blimflash"])[0][1] == "none"
    without = parse_rules(RULES.replace("training_messages: {name}\n", ""))
    assert without.training == ()
    assert without._model.labels == ["greeting", "pricing"]


def test_a_copied_rules_file_learns_from_the_shipped_messages(tmp_path, rules):
    shutil.copy(ROOT / "rules" / "chatbot_rules.yaml", tmp_path / "chatbot_rules.yaml")
    assert load_rules(tmp_path / "chatbot_rules.yaml").training == rules.training


def test_a_copy_without_one_of_the_shipped_intents_still_loads(tmp_path, rules):
    """An operator who deletes an intent from a copied rules file gets a bot without it, not a start-up error."""
    import yaml

    content = yaml.safe_load((ROOT / "rules" / "chatbot_rules.yaml").read_text(encoding="utf-8"))
    del content["intents"]["opt_in"]
    (tmp_path / "chatbot_rules.yaml").write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    copied = load_rules(tmp_path / "chatbot_rules.yaml")
    assert "opt_in" not in copied.intents and copied.training
    assert [row for row in rules.training if row[1] != "opt_in"] == list(copied.training)


@pytest.mark.parametrize(("content", "error"), [
    ("hello\tgoodbye\n", r"messages.tsv:1: unknown label 'goodbye'"),
    ("text\tintent\nhello\n", r"messages.tsv:2: expected text<TAB>label"),
])
def test_a_bad_training_file_stops_the_load_naming_the_line(tmp_path, content, error):
    (tmp_path / "messages.tsv").write_text(content, encoding="utf-8")
    with pytest.raises(RulesError, match=error):
        parse_rules(RULES.format(name="messages.tsv"), directory=tmp_path)


@pytest.mark.parametrize(("name", "error"), [
    ("missing.tsv", r"<rules>:3: training_messages: no file 'missing.tsv' beside the rules file"),
    ("/etc/passwd", r"<rules>:3: training_messages must name a file beside the rules file"),
    ("../secrets.tsv", r"<rules>:3: training_messages must name a file beside the rules file"),
])
def test_a_training_file_that_is_not_there_stops_the_load(tmp_path, name, error):
    with pytest.raises(RulesError, match=error):
        parse_rules(RULES.format(name=name), directory=tmp_path)
