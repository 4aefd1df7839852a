"""Write rules/intent_training.tsv, the model's training messages, from the development sets.

    .venv/bin/python tests/support/build_intent_training.py      (or `make intent-training`)

The app reads only rules/ (the image may ship without tests/), so the labelled development
messages it learns from (tests/data/intents_dev*.tsv, never a frozen, held-out or blind file)
are copied there, one section per file in the order the cross-validation bench reads them.
tests/unit/language/test_intent_training.py fails when the copy and the development files
differ: run this after adding or changing a development set.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from language.intent_evaluation import read_labelled_messages  # noqa: E402

DATA = ROOT / "tests" / "data"
TRAINING = ROOT / "rules" / "intent_training.tsv"
HEADER = """\
# Labelled customer messages the chatbot's intent model learns from, beside the examples and
# out_of_scope list of chatbot_rules.yaml (which names this file as `training_messages`).
# GENERATED from tests/data/intents_dev*.tsv by tests/support/build_intent_training.py
# (`make intent-training`); a test fails when it differs from them. Do not edit it by hand:
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


if __name__ == "__main__":
    TRAINING.write_text(training_text(), encoding="utf-8")
    print(f"{TRAINING.relative_to(ROOT)}: {sum(1 for path in development_sets() for _ in read_labelled_messages(path))}"
          f" messages from {len(development_sets())} files")
