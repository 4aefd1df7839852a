"""CPU time per message of the chatbot's language work: intent classification and the reply's tone.

    python bench/language_cost.py [--rounds 5]

Classifies every message of the frozen intent corpus (tests/data/intents_frozen.tsv) `rounds`
times with the shipped rules file and prints the CPU time per message (process time, so other
jobs on a shared machine do not count), beside the issue's budget of 1 ms; then the same for
the sentiment that picks a reply's tone. A figure, not a test: the suite never times itself.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config import Config  # noqa: E402
from language.intent_evaluation import read_labelled_messages  # noqa: E402
from language.rules_loader import load_rules  # noqa: E402
from language.sentiment import analyze_sentiment  # noqa: E402

BUDGET_MS = 1.0


def per_message_ms(work, texts: list[str], rounds: int) -> float:
    started = time.process_time()
    for _ in range(rounds):
        for text in texts:
            work(text)
    return (time.process_time() - started) * 1000 / (rounds * len(texts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    rules = load_rules(Config().chatbot_rules_path)
    texts = [text for text, _ in read_labelled_messages(ROOT / "tests" / "data" / "intents_frozen.tsv")]
    rules.recognize_intent("warm up")
    intent = per_message_ms(rules.recognize_intent, texts, rounds)
    tone = per_message_ms(analyze_sentiment, texts, rounds)
    print(f"{len(texts)} messages x {rounds}; load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"intent {intent:.3f} ms, tone (sentiment) {tone:.3f} ms, together {intent + tone:.3f} ms "
          f"= {(intent + tone) / BUDGET_MS:.2f} of the {BUDGET_MS:g} ms budget")


if __name__ == "__main__":
    main()
