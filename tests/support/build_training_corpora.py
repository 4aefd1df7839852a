"""Write the trained models' corpora under rules/ from the development sets.

    .venv/bin/python tests/support/build_training_corpora.py      (or `make training-corpora`)

The app reads only rules/ (the image may ship without tests/), so the labelled development
messages its two models learn from are copied there (never a frozen, held-out or blind file):
tests/data/intents_dev*.tsv to rules/intent_training.tsv, one section per file in the order the
cross-validation bench reads them, and tests/data/sentiment_dev*.tsv to rules/sentiment_corpus.tsv.
tests/unit/language/test_intent_training.py and test_sentiment_model.py fail when a copy and the
development files differ: run this after adding or changing a development set.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the repository's ROOT is conftest's

from conftest import ROOT  # noqa: E402

sys.path.insert(0, str(ROOT))

from language.intent_evaluation import read_labelled_messages  # noqa: E402
from language.sentiment_evaluation import read_labelled_tsv  # noqa: E402
from language.sentiment_model import CORPUS_PATH as SENTIMENT_CORPUS  # noqa: E402

DATA = ROOT / "tests" / "data"
TRAINING = ROOT / "rules" / "intent_training.tsv"
HEADER = """\
# Labelled customer messages the chatbot's intent model learns from, beside the examples and
# out_of_scope list of chatbot_rules.yaml (which names this file as `training_messages`).
# GENERATED from tests/data/intents_dev*.tsv by tests/support/build_training_corpora.py
# (`make training-corpora`); a test fails when it differs from them. Do not edit it by hand:
# teach the bot new phrasings with `examples` in chatbot_rules.yaml.
text\tintent
"""


def development_sets() -> list[Path]:
    """The development intent files, shortest name first (intents_dev, intents_dev2, …, intents_dev_blind…)."""
    return sorted(DATA.glob("intents_dev*.tsv"), key=lambda path: (len(path.name), path.name))


def training_text() -> str:
    """The text rules/intent_training.tsv must hold."""
    parts = [HEADER]
    for path in development_sets():
        parts.append(f"# {path.name}\n")
        parts.extend(f"{text}\t{label}\n" for text, label in read_labelled_messages(path))
    return "".join(parts)


def sentiment_sets() -> list[Path]:
    """The sentiment development files, in the same order."""
    return sorted(DATA.glob("sentiment_dev*.tsv"), key=lambda path: (len(path.name), path.name))


def sentiment_text() -> str:
    """The text rules/sentiment_corpus.tsv must hold: `text<TAB>label` rows, no header."""
    return "".join(f"{text}\t{label}\n" for path in sentiment_sets() for text, label in read_labelled_tsv(path))


if __name__ == "__main__":
    TRAINING.write_text(training_text(), encoding="utf-8")
    print(f"{TRAINING.relative_to(ROOT)}: {sum(1 for path in development_sets() for _ in read_labelled_messages(path))}"
          f" messages from {len(development_sets())} files")
    SENTIMENT_CORPUS.write_text(sentiment_text(), encoding="utf-8")
    print(f"{SENTIMENT_CORPUS.relative_to(ROOT)}: {sentiment_text().count(chr(10))} messages"
          f" from {len(sentiment_sets())} files")
